"""The rules every input file's schema shares: finite numbers of a size the simulator can hold.

A scenario, a policy's parameters and a sweep file are all frozen pydantic models that inherit
:class:`StrictModel`. Like the customs desk every parcel passes whatever its destination, it checks
what no single field's author should have to remember:

- unknown keys are errors (``extra="forbid"``) and models are immutable;
- no ``inf`` or ``nan`` anywhere (``allow_inf_nan=False``): TOML can spell both, and neither is a
  price, a delay or a share;
- every number, in a field or inside a list, tuple or table of a field, is at most
  :data:`MAX_MAGNITUDE` in size unless its field names a bound of its own.

Why :data:`MAX_MAGNITUDE` is 10**12. Inputs meet in products (a price times units times days, a cost
per day times days), and counts become numpy ``int64`` columns. With every input at most 10**12 in
size, a product of three stays below 10**36, far inside float64 (1.8 x 10**308, so no profit becomes
``inf`` and no manifest holds ``Infinity``), and a stock or lot of at most 10**12 units plus everything
a population of 5 million can order in a run of :data:`MAX_DAYS` days (under 10**16) stays inside
int64 (9.2 x 10**18), where 10**19 units would raise ``OverflowError``. What a given machine can run
(days x consumers, the network, the number of runs of a sweep) is not a schema limit: it depends on the
machine, and :mod:`simulator.resources` estimates it before any work starts.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

MAX_MAGNITUDE = 1e12
"""Largest size of any number in an input file (see the module docstring for why)."""
MAX_DAYS = 2**31 - 1
"""Longest run and latest day anything can happen: days are ``int32`` in the event log and tables."""


def _too_big(value: Any) -> float | None:
    """The first number inside ``value`` (a number, or a list, tuple or dict of them) that is too big."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value if abs(value) > MAX_MAGNITUDE else None
    if isinstance(value, list | tuple):
        for v in value:
            bad = _too_big(v)
            if bad is not None:
                return bad
    if isinstance(value, dict):
        for v in value.values():
            bad = _too_big(v)
            if bad is not None:
                return bad
    return None


class StrictModel(BaseModel):
    """Base of every input-file section: frozen, no unknown keys, finite numbers of bounded size.

    A subclass lists in ``_own_bounds`` the fields that carry their own bound instead of
    :data:`MAX_MAGNITUDE` (a seed may be any 64-bit number).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    _own_bounds: ClassVar[frozenset[str]] = frozenset({"seed"})

    @field_validator("*", mode="after")
    @classmethod
    def _bounded(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name in cls._own_bounds:
            return value
        bad = _too_big(value)
        if bad is not None:
            raise ValueError(
                f"{bad:g} is too large: numbers in an input file are at most {MAX_MAGNITUDE:.0e} in size"
            )
        return value
