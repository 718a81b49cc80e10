"""The Typer surface of r1: one module per command group, no training logic here."""
