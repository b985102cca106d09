"""Pure measures of triage quality (ranking, duplicates) and a keyword baseline."""
