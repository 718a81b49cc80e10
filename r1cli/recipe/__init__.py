"""TOML recipes: built-in defaults, layering with provenance, override parsing (checked per stage by
`r1cli.preflight.validate`, which sits above the builders it calls)."""

from r1cli.recipe.layering import load_recipe
from r1cli.recipe.provenance import Recipe

__all__ = ["Recipe", "load_recipe"]
