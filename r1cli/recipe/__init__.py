"""TOML recipes: built-in defaults, layering with provenance, override parsing, validation."""

from r1cli.recipe.layering import Recipe, load_recipe

__all__ = ["Recipe", "load_recipe"]
