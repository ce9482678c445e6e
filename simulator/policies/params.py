"""Parameters of each supply-chain policy, as they appear under ``[firms.policy]`` in a scenario.

Think of the brief a planning office receives: which way of running the supply chain (``name``:
push or pull), who decides (``decision``: fixed rules of thumb, statistics, an optimiser, or an
optimiser with named human overrides), and the numbers each of them needs. Each policy's model
carries a literal ``name``, so the scenario picks the model by name (a pydantic discriminated union)
and a misspelt parameter is reported with its field path. This module holds data models only; the
behaviour lives in the policy, forecasting, sensing, optimisation and decision modules next to it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

DecisionMode = Literal["rules", "data", "ai", "cobot"]
"""Who decides: ``rules`` (fixed rules of thumb), ``data`` (statistical forecast and a target
service level), ``ai`` (an optimiser: critical fractile on the forecast distribution, capacity by
expected profit), ``cobot`` (the optimiser's recommendation with named human overrides)."""
DECISION_MODES: tuple[str, ...] = ("rules", "data", "ai", "cobot")
OverrideName = Literal["cx_buffer", "quality_first"]
SignalKind = Literal[
    "purchase",
    "wait",
    "cancel",
    "post_positive",
    "post_negative",
    "post_values",
    "boycott_join",
    "boycott_leave",
    "support_purchase",
    "buycott_join",
]
"""Consumer event kinds a firm can see (lower-case names of the event log's kinds)."""


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CxBuffer(_Params):
    """Customer-experience buffer: hold ``extra_sd`` more standard deviations of cover demand than
    the optimiser recommends, at a profit cost, for a higher fill rate."""

    extra_sd: Annotated[float, Field(ge=0.0, le=5.0)] = 1.0


class QualityFirst(_Params):
    """Quality first: postpone marketing spend and invest in quality instead.

    While the firm's quality is below ``target``, each day costs ``spend_per_day`` and closes
    ``gain_per_day`` of the remaining gap to 1 (quality += gain * (1 - quality)); marketing spend is
    held back for ``marketing_delay_days`` from the start.
    """

    target: Annotated[float, Field(ge=0.0, le=1.0)] = 0.9
    spend_per_day: Annotated[float, Field(ge=0.0, le=1e7)] = 60.0
    gain_per_day: Annotated[float, Field(ge=0.0, le=1.0)] = 0.004
    marketing_delay_days: Annotated[int, Field(ge=0, le=3650)] = 90


class _DecisionParams(_Params):
    """What every policy needs to let someone decide: the mode and that mode's numbers."""

    decision: DecisionMode = "rules"
    forecast: Literal["moving_average", "exp_smoothing"] = "moving_average"
    """Statistical forecast of daily demand used by ``data``, ``ai`` and ``cobot``."""
    forecast_window: Annotated[int, Field(ge=2, le=365)] = 28
    """Days the moving average (and every standard deviation of demand) looks back."""
    smoothing_alpha: Annotated[float, Field(gt=0.0, le=1.0)] = 0.2
    service_level: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.95
    """``data`` mode: probability that one cover's demand does not exceed the stock level."""
    holding_cost: Annotated[float | None, Field(ge=0.0, le=1e6)] = None
    """Optimiser's cost of a unit left over per review period; None: the factory's holding cost of a
    finished unit per day (holding and obsolescence rates times its value at cost) times the
    review period."""
    shortage_cost: Annotated[float | None, Field(ge=0.0, le=1e6)] = None
    """Optimiser's cost of a unit short per review period; None: the unit margin (a sale at risk)
    plus the factory's backorder cost per day times the review period."""
    overrides: list[OverrideName] = Field(default_factory=list)
    """Named human overrides applied on top of the optimiser (``cobot`` only)."""
    cx_buffer: CxBuffer = CxBuffer()
    quality_first: QualityFirst = QualityFirst()

    @model_validator(mode="after")
    def _overrides_need_cobot(self) -> _DecisionParams:
        if self.overrides and self.decision != "cobot":
            raise ValueError(
                f"overrides: only a cobot decision takes human overrides (decision is {self.decision!r})"
            )
        if len(set(self.overrides)) != len(self.overrides):
            raise ValueError("overrides: an override is listed twice")
        return self


class SupplierCentricParams(_DecisionParams):
    """Push: make to stock with a periodic order-up-to rule on inventory position.

    The order-up-to level covers ``lead_time_days + review_days`` days of forecast demand; how much
    safety stock comes on top is up to the decision mode (``rules``: ``safety_factor`` standard
    deviations). Releases are at least ``min_lot`` (or the economic order quantity), the plan is
    frozen for ``frozen_days``, capacity stays as built, only standard variants are made, material
    comes from the cheapest supplier and the price may be set cost-plus.
    """

    name: Literal["supplier_centric"] = "supplier_centric"
    review_days: Annotated[int, Field(ge=1, le=365)] = 7
    lead_time_days: Annotated[float, Field(ge=0.0, le=365.0)] = 5.0
    """Planned production + supply lead time the order-up-to level covers (L in Chen et al.)."""
    safety_factor: Annotated[float, Field(ge=0.0, le=5.0)] = 1.0
    lot_sizing: Literal["min_lot", "eoq"] = "min_lot"
    """``eoq``: releases at least sqrt(2 * daily demand * set-up cost / holding cost per day)."""
    min_lot: Annotated[int, Field(ge=0, le=1_000_000)] = 100
    """Smallest work order released (big batches amortise set-ups)."""
    frozen_days: Annotated[int | None, Field(ge=1, le=365)] = None
    """Plan releases for this many days at once and keep them whatever demand does (a multiple of
    ``review_days``); None: decide at every review."""
    pricing: Literal["fixed", "cost_plus"] = "fixed"
    markup: Annotated[float, Field(ge=0.0, le=10.0)] = 0.8
    """Cost-plus pricing: price = unit cost * (1 + markup)."""
    quoted_days: Annotated[float | None, Field(ge=0.0, le=365.0)] = None
    """Delivery time promised to consumers; None quotes the shipping time (stock assumed)."""

    @model_validator(mode="after")
    def _frozen_is_whole_reviews(self) -> SupplierCentricParams:
        if self.frozen_days is not None and self.frozen_days % self.review_days:
            raise ValueError(
                f"frozen_days: {self.frozen_days} is not a multiple of review_days ({self.review_days})"
            )
        return self


def _default_signals() -> dict[SignalKind, float]:
    # A join today is a customer lost for weeks: about -1/30 a day for each of the ~7 to 14 days'
    # joins a window holds, so -0.25 per daily join; buycotts mirror it. Assumptions, not estimates.
    return {"purchase": 1.0, "boycott_join": -0.25, "buycott_join": 0.25}


class DemandCentricParams(_DecisionParams):
    """Pull: make to order behind a small finished-goods buffer, reviewed daily.

    Each review releases what brings the inventory position back to the buffer level (one-for-one
    replenishment: every order pulls one unit through the plant); ``control`` caps work in process
    (``kanban``: on hand + in process never above the buffer; ``conwip``: in process never above
    ``wip_limit``). ``rules`` keeps the buffer at ``buffer``; the other modes size it from sensed
    demand over ``lead_time_days + review_days``. A monthly S&OP review resets the plant's capacity
    (shifts a day on each stage planned below round the clock) within ``[min_shifts, max_shifts]``.
    Ethical sourcing is the factory's supplier option (``factory.supplier.ethical``). Quotes are
    honest.
    """

    name: Literal["demand_centric"] = "demand_centric"
    buffer: Annotated[int, Field(ge=0, le=1_000_000)] = 30
    review_days: Annotated[int, Field(ge=1, le=365)] = 1
    lead_time_days: Annotated[float, Field(ge=0.0, le=365.0)] = 1.0
    """Replenishment time of one unit that the buffer covers (besides the review period)."""
    control: Literal["base_stock", "kanban", "conwip"] = "base_stock"
    wip_limit: Annotated[int, Field(ge=1, le=1_000_000)] = 200
    """CONWIP cap on units in process."""
    sensing_days: Annotated[int, Field(ge=1, le=365)] = 14
    """Days of consumer events the demand sensing reads."""
    signals: dict[SignalKind, Annotated[float, Field(ge=-100.0, le=100.0)]] = Field(
        default_factory=_default_signals
    )
    """Sensed daily demand = sum over kinds of weight * mean daily count of that kind for the firm."""
    sop_days: Annotated[int, Field(ge=0, le=365)] = 30
    """Days between S&OP reviews that reset capacity; 0: capacity stays as built."""
    min_shifts: Annotated[int, Field(ge=1, le=3)] = 1
    max_shifts: Annotated[int, Field(ge=1, le=3)] = 3
    """Shifts a day the S&OP may set on each stage planned below round the clock."""
    target_utilisation: Annotated[float, Field(gt=0.0, le=1.0)] = 0.8
    """``rules`` and ``data`` S&OP: the fewest shifts that load the bottleneck to at most this."""

    @model_validator(mode="after")
    def _shifts_in_order(self) -> DemandCentricParams:
        if self.min_shifts > self.max_shifts:
            raise ValueError(f"min_shifts ({self.min_shifts}) must be <= max_shifts ({self.max_shifts})")
        return self


PolicyParams = Annotated[SupplierCentricParams | DemandCentricParams, Field(discriminator="name")]
POLICY_NAMES: tuple[str, ...] = ("supplier_centric", "demand_centric")
