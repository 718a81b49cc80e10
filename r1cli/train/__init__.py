"""Training stages: R1-Zero GRPO (zero.py), SFT, and their shared logging callbacks."""
