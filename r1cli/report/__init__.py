"""`r1 report`: plots and a summary of a run (summary.py), seed bands (bands.py), samples (samples.py)."""
