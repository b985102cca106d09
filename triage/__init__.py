"""triage: ML-assisted first pass over crowdsourced media submissions."""

__version__ = "0.1.0"
