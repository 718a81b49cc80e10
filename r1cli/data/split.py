"""The train/test split: what `data.test_size` may be (the one rule, also used by recipe validation),
and the seeded split itself."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from r1cli.plumbing.errors import R1Error

if TYPE_CHECKING:
    import datasets


def parse_test_size(value: Any, name: str | None = None) -> float | int:
    """`test_size` as a fraction in (0, 1), a row count (>= 1), or 0 for an empty test split; `name` is
    how the error calls the value (default `data.test_size = VALUE`; validation adds where it came from).

    >>> parse_test_size(0.1), parse_test_size("200"), parse_test_size(0.0)
    (0.1, 200, 0)
    """
    rule = "must be a fraction in (0, 1), a whole row count, or 0 for no test split"
    name = name or f"data.test_size = {value!r}"
    number = value
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            raise R1Error(f"{name}: {rule}") from None
    if isinstance(number, bool) or not isinstance(number, int | float) or not number >= 0:
        raise R1Error(f"{name}: {rule}")
    if number >= 1:
        if float(number) != int(number):
            raise R1Error(f"{name}: {rule}")
        return int(number)
    return float(number) if number else 0


def split_train_test(
    ds: datasets.Dataset, test_size: float | int, seed: int
) -> tuple[datasets.Dataset, datasets.Dataset]:
    """A seeded random train/test split; test_size 0 gives an empty test split."""
    if not test_size:
        return ds, ds.select([])
    if isinstance(test_size, int) and test_size >= len(ds):
        raise R1Error(
            f"test_size {test_size} leaves no training rows: only {len(ds)} rows after cleaning",
            hint="lower data.test_size (--test-size)",
        )
    try:
        parts = ds.train_test_split(test_size=test_size, seed=seed)
    except ValueError as exc:
        raise R1Error(
            f"cannot split {len(ds)} rows with test_size {test_size}: {exc}", hint="change --test-size"
        ) from None
    return parts["train"], parts["test"]
