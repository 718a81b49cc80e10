"""Plumbing every stage shares: the error type, talk on stderr, atomic files, JSON Lines, paths, run folders.

Imports nothing else of r1cli (tests/unit/test_import_graph.py holds it to that)."""
