"""Parameters of each supply-chain policy, as they appear under ``[firms.policy]`` in a scenario.

Each policy's parameter model carries a literal ``name``, so the scenario picks the model by name
(a pydantic discriminated union) and reports a misspelt parameter with its field path. This module
holds data models only; the behaviour lives in the policy modules next to it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SupplierCentricParams(_Params):
    """Push: make-to-stock with a periodic order-up-to rule on a moving-average forecast.

    The order-up-to level covers ``lead_time_days + review_days`` days of forecast demand plus
    ``safety_factor`` standard deviations of demand over that cover.
    """

    name: Literal["supplier_centric"] = "supplier_centric"
    review_days: Annotated[int, Field(ge=1, le=365)] = 7
    forecast_window: Annotated[int, Field(ge=1, le=365)] = 28
    lead_time_days: Annotated[float, Field(ge=0.0, le=365.0)] = 5.0
    """Planned production + supply lead time the order-up-to level covers (L in Chen et al.)."""
    safety_factor: Annotated[float, Field(ge=0.0, le=5.0)] = 1.0
    min_lot: Annotated[int, Field(ge=0, le=1_000_000)] = 100
    """Smallest work order released (big batches amortise set-ups)."""
    quoted_days: Annotated[float | None, Field(ge=0.0, le=365.0)] = None
    """Delivery time promised to consumers; None quotes the shipping time (stock assumed)."""


class DemandCentricParams(_Params):
    """Pull: make-to-order with a small finished-goods buffer, reviewed daily.

    Each day the policy releases what brings the inventory position back to ``buffer`` units
    (one-for-one replenishment: every order pulls one unit through the plant). Quoted delivery times
    are honest: shipping plus the expected time to make what is already waiting.
    """

    name: Literal["demand_centric"] = "demand_centric"
    buffer: Annotated[int, Field(ge=0, le=1_000_000)] = 30
    review_days: Annotated[int, Field(ge=1, le=365)] = 1


PolicyParams = Annotated[SupplierCentricParams | DemandCentricParams, Field(discriminator="name")]
POLICY_NAMES: tuple[str, ...] = ("supplier_centric", "demand_centric")
