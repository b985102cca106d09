"""Turning files on disk into stored, analysed submissions."""
