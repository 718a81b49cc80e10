"""Model handling: load for training, open a saved folder, build r1-tiny, import a GGUF, merge, estimate memory,
how a model is prompted, and the environment report."""
