"""Parameters of each supply-chain policy, as they appear under ``[firms.policy]`` in a scenario.

Think of the brief a planning office receives: which way of running the supply chain (``name``:
push or pull), who decides (``decision``: fixed rules of thumb, statistics, an optimiser, or an
optimiser with named human overrides), and the numbers each of them needs. Each policy's model
carries a literal ``name``, so the scenario picks the model by name (a pydantic discriminated union)
and a misspelt parameter is reported with its field path. This module holds data models only; the
behaviour lives in the policy, forecasting, sensing, optimisation and decision modules next to it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, model_validator

from simulator.schema import StrictModel

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
    "support_purchase",
    "boycott_announce",
    "buycott_announce",
]
"""Consumer event kinds a firm can see (lower-case names of the event log's public kinds and of its
own order desk's)."""


class _Params(StrictModel):
    """Frozen, unknown keys rejected, finite numbers of bounded size (:mod:`simulator.schema`)."""


Cards = Annotated[int, Field(ge=1, le=100_000)]
KanbanCards = Cards | Annotated[list[Cards], Field(min_length=1, max_length=19)]
"""Kanban cards at each stage before the last: one count for all of them or one per stage."""


class CxBuffer(_Params):
    """Customer-experience buffer: hold ``extra_sd`` more standard deviations of cover demand than
    the optimiser recommends, at a profit cost, for a higher fill rate."""

    extra_sd: Annotated[float, Field(ge=0.0, le=5.0)] = 1.0


class QualityFirst(_Params):
    """Quality first: postpone marketing spend and invest in quality instead.

    While the quality the spending has bought is below ``target``, each day costs ``spend_per_day``
    and closes ``gain_per_day`` of the remaining gap to 1 (quality += gain * (1 - quality)); the
    firm's quality (what customers see and the defects it ships) follows ``lag_days`` later.
    Marketing spend is held back for ``marketing_delay_days`` from the start, so the firm's
    advertising goodwill decays meanwhile (:mod:`simulator.firms.goodwill`).
    """

    target: Annotated[float, Field(ge=0.0, le=1.0)] = 0.9
    spend_per_day: Annotated[float, Field(ge=0.0, le=1e7)] = 60.0
    gain_per_day: Annotated[float, Field(ge=0.0, le=1.0)] = 0.004
    marketing_delay_days: Annotated[int, Field(ge=0, le=3650)] = 90
    lag_days: Annotated[int, Field(ge=0, le=3650)] = 30
    """Days between spending on quality and the plant shipping it (process changes, training,
    supplier audits; assumption: about a month)."""


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
    """Optimiser's cost of a unit short per review period; None: what a shortage costs in the model
    the firm runs in: the share of shoppers its desk saw walk away at a stock-out times the unit
    contribution (a lost sale), plus the rest times the backorder cost for a review period (a sale
    that waits); :meth:`~simulator.policies.base.PeriodicPolicy.costs`."""
    quote_reliability: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.95
    """Share of orders that should arrive by the quoted calendar day: the order desk quotes from
    stock, queue and pipeline plus a safety margin learned to meet it
    (:mod:`simulator.policies.quoting`)."""
    measure_window: Annotated[int, Field(ge=1, le=365)] = 28
    """Days of finished batches the replenishment lead time is measured on when ``lead_time_days``
    is not given (:mod:`simulator.policies.measure`)."""
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


def _plain(value: object) -> object:
    return value.model_dump(mode="python") if isinstance(value, BaseModel) else value


def _different(params: BaseModel, field: str) -> bool:
    """Whether ``field`` holds something other than its default (so the user set it)."""
    info = type(params).model_fields[field]
    default = info.get_default(call_default_factory=True)
    return bool(_plain(getattr(params, field)) != _plain(default))


def ignored_fields(params: BaseModel) -> list[tuple[str, str]]:
    """Parameters set to a non-default value that have no effect in the chosen mode: (field, why).

    A parameter the policy would never read is a mistake the user should hear about (they believe
    they changed something), so the scenario refuses it (:func:`_refuse_ignored`).
    """
    uses = getattr(params, "_uses", None)
    if uses is None:
        return []
    out = []
    for field, why in uses().items():
        if why and _different(params, field):
            out.append((field, why))
    return out


def _refuse_ignored(params: BaseModel) -> None:
    problems = ignored_fields(params)
    if problems:
        # one line per field, each prefixed with its name: the scenario reader reports each at its path
        raise ValueError("\n".join(f"{f}: has no effect: {why}" for f, why in problems))


def without_ignored(params: BaseModel | dict[str, object]) -> tuple[dict[str, object], list[str]]:
    """Policy parameters with the ignored ones put back to their defaults, and a note for each.

    For callers that change a policy's mode on the user's behalf (a browser control switching the
    decision mode) and must not turn the user's other settings into an error.
    """
    from simulator.policies import registry

    data = dict(params) if isinstance(params, dict) else params.model_dump(mode="python")
    model = registry.params_model(str(data["name"]))
    fields = model.model_fields
    notes = []
    # unchecked construction: the ignored fields are what a checked one would refuse
    given: dict[str, Any] = {k: v for k, v in data.items() if k in fields}
    probe = model.model_construct(None, **given)
    for field, why in ignored_fields(probe):
        data.pop(field, None)
        notes.append(f"{field} dropped: {why}")
    return data, notes


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
    lead_time_days: Annotated[float | None, Field(ge=0.0, le=365.0)] = None
    """Planned production + supply lead time the order-up-to level covers (L in Chen et al.);
    None: measured, the mean release-to-finished time of recent batches (with its spread in the
    safety stock)."""
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
    """A fixed delivery time promised to every consumer, whatever the stock; None: quote from the
    pipeline to ``quote_reliability``."""

    @model_validator(mode="after")
    def _frozen_is_whole_reviews(self) -> SupplierCentricParams:
        if self.frozen_days is not None and self.frozen_days % self.review_days:
            raise ValueError(
                f"frozen_days: {self.frozen_days} is not a multiple of review_days ({self.review_days})"
            )
        _refuse_ignored(self)
        return self

    def _uses(self) -> dict[str, str]:
        """Why each mode-dependent field would be ignored now ("" where it is read)."""
        d = self.decision
        mode = f"under decision = {d!r}"
        return {
            **_decision_uses(self),
            "forecast": ""
            if d != "rules"
            else f"{mode} the rule of thumb forecasts with a moving "
            "average (forecast_window days); choose decision 'data', 'ai' or 'cobot' for another",
            "smoothing_alpha": ""
            if d != "rules" and self.forecast == "exp_smoothing"
            else "only an exp_smoothing forecast (decision 'data', 'ai' or 'cobot') reads it",
            "safety_factor": ""
            if d == "rules"
            else f"{mode} the stock level is set by "
            + (
                "service_level"
                if d == "data"
                else "the critical fractile of holding_cost and shortage_cost"
            ),
            "markup": "" if self.pricing == "cost_plus" else "only pricing = 'cost_plus' reads it",
            "quote_reliability": ""
            if self.quoted_days is None
            else "a fixed quoted_days is promised whatever the pipeline (leave one of them out)",
        }


def _decision_uses(p: _DecisionParams) -> dict[str, str]:
    """Why the decision-mode fields shared by every policy would be ignored ("" where read)."""
    d = p.decision
    optimiser = d in ("ai", "cobot")
    return {
        "service_level": "" if d == "data" else "only decision = 'data' reads it",
        "measure_window": ""
        if getattr(p, "lead_time_days", None) is None
        else "lead_time_days is given, so no lead time is measured",
        "holding_cost": "" if optimiser else "only the optimiser (decision 'ai' or 'cobot') reads it",
        "shortage_cost": "" if optimiser else "only the optimiser (decision 'ai' or 'cobot') reads it",
        "cx_buffer": "" if "cx_buffer" in p.overrides else "it needs overrides = ['cx_buffer']",
        "quality_first": ""
        if "quality_first" in p.overrides
        else "it needs overrides = ['quality_first']",
    }


def _default_signals() -> dict[SignalKind, float]:
    # The prior of the sensing regression (simulator.policies.sensing.fit_weights): an announced
    # boycott stands for about two silent ones (values posting ~0.3 x social media ~0.75 of joiners
    # announce), each a customer lost for weeks; buycotts mirror it. Assumptions, not estimates.
    return {"purchase": 1.0, "boycott_announce": -0.5, "buycott_announce": 0.5}


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
    """``rules``: the stock level on inventory position (under kanban: the last stage's cards)."""
    review: Literal["periodic", "continuous"] = "periodic"
    """``periodic``: release at a review every ``review_days`` days (at ``k * review_days + 0.5``);
    ``continuous``: release the moment an order comes, a batch finishes or units are scrapped
    (one for one), with the buffer re-planned once a day at ``d + 0.5``."""
    review_days: Annotated[int, Field(ge=1, le=365)] = 1
    lead_time_days: Annotated[float | None, Field(ge=0.0, le=365.0)] = None
    """Replenishment time of one unit that the buffer covers (besides the review period); None:
    measured, the mean release-to-finished time of recent batches."""
    control: Literal["base_stock", "kanban", "conwip"] = "base_stock"
    """How work is let into the plant (Hopp and Spearman, *Factory Physics*, ch. 10):
    ``base_stock`` releases what brings the inventory position back to the buffer, with no cap on
    work in process; ``kanban`` puts ``kanban_cards`` cards at each stage but the last and the
    buffer's cards at the last (a unit moves on only with a card of the next stage; a unit enters
    the plant when the first stage has a card free); ``conwip`` releases what the buffer asks for
    in jobs of ``transfer_batch`` units while the units in process stay within ``wip_limit``."""
    wip_limit: Annotated[int, Field(ge=1, le=1_000_000)] = 200
    """CONWIP cap on units in process."""
    transfer_batch: Annotated[int, Field(ge=1, le=1_000_000)] = 1
    """CONWIP: units per job; a job is released and moves through the routing as one batch."""
    kanban_cards: KanbanCards = 2
    """Kanban: cards at each stage before the last, one number for all or a list with one per
    stage (assumption: two, the two-bin rule: one container in use, one waiting)."""
    sensing_days: Annotated[int, Field(ge=1, le=365)] = 14
    """Days of consumer events the demand sensing reads."""
    signals: dict[SignalKind, Annotated[float, Field(ge=-100.0, le=100.0)]] = Field(
        default_factory=_default_signals
    )
    """Prior weights of the sensed daily demand (intercept + sum over kinds of weight x mean daily
    count of that kind for the firm); the policy estimates the weights from the data it has seen
    (:func:`simulator.policies.sensing.fit_weights`)."""
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
        _refuse_ignored(self)
        return self

    def _uses(self) -> dict[str, str]:
        """Why each mode-dependent field would be ignored now ("" where it is read)."""
        d = self.decision
        sensed = d != "rules"
        sop = self.sop_days > 0
        no_forecast = (
            "a demand-centric policy senses demand from the market feed (signals, sensing_days) "
            "and makes no forecast of its own sales"
        )
        return {
            **_decision_uses(self),
            "forecast": no_forecast,
            "forecast_window": no_forecast,
            "smoothing_alpha": no_forecast,
            "buffer": ""
            if not sensed
            else f"under decision = {d!r} the buffer is sized from "
            "sensed demand over lead_time_days + review_days",
            "review_days": ""
            if self.review == "periodic"
            else "review = 'continuous' releases on every order and completion",
            "wip_limit": "" if self.control == "conwip" else "only control = 'conwip' reads it",
            "transfer_batch": "" if self.control == "conwip" else "only control = 'conwip' reads it",
            "kanban_cards": "" if self.control == "kanban" else "only control = 'kanban' reads it",
            "sensing_days": ""
            if sensed or sop
            else "decision 'rules' without S&OP (sop_days = 0) senses nothing",
            "signals": ""
            if sensed or sop
            else "decision 'rules' without S&OP (sop_days = 0) senses nothing",
            "min_shifts": "" if sop else "sop_days = 0: capacity stays as built",
            "max_shifts": "" if sop else "sop_days = 0: capacity stays as built",
            "target_utilisation": ""
            if sop and d in ("rules", "data")
            else (
                "sop_days = 0: capacity stays as built"
                if not sop
                else f"under decision = {d!r} the S&OP sets shifts by expected profit"
            ),
        }


PolicyParams = Annotated[SupplierCentricParams | DemandCentricParams, Field(discriminator="name")]
POLICY_NAMES: tuple[str, ...] = ("supplier_centric", "demand_centric")
