"""`r1 eval`: accuracy on held-out problems (run.py), its metrics (metrics.py) and prompt fitting (fit.py)."""
