"""Remix lineage: which piece builds on which, where on both sides, and who is owed credit.

Pure matching over fingerprint items (landmark hashes for sound, frame hashes for pictures, word shingles for
texts) through inverted indexes, and the graph of "builds on" edges with transitive credits. No database here:
`service/` stores and reads what these functions compute.
"""
