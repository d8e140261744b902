"""How far a printed sum may miss its rounded addends: the rounding the printed figures allow.

Each figure printed to two decimals is within 0.005 of its exact value, so a total of n such
figures may differ from the sum of their printed values by up to n × 0.005 — a rounding tail,
not an error. The sum rules accept that much by default (``tolerance: auto``) and the rounding
tails are reported for information; a tolerance given as an amount replaces it.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

__all__ = ["half_unit", "rounding_limit"]


def half_unit(values: Iterable[Decimal | None]) -> Decimal:
    """Half a unit of the finest printed place among ``values`` (0.005 for two decimals)."""
    places = [
        -int(exponent)
        for value in values
        if value is not None
        and value.is_finite()
        and isinstance(exponent := value.as_tuple().exponent, int)
    ]
    return Decimal(5).scaleb(-max(places, default=2) - 1)


def rounding_limit(tolerance: Decimal | None, values: Iterable[Decimal | None]) -> Decimal:
    """The largest difference a sum of ``values`` (its addends, blank ones ``None``) may show:
    ``tolerance`` when given, else half a printed unit for each addend printed."""
    if tolerance is not None:
        return tolerance
    figures = [value for value in values if value is not None]
    return half_unit(figures) * max(len(figures), 1)
