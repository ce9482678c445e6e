"""Scenario files: what a run simulates, as data.

A scenario is a TOML file read with :mod:`tomllib` and validated by the frozen pydantic models below
(``extra="forbid"``, so a misspelt key is an error, not a silent default). Every field has a default
that makes sense for a consumer-goods market, so a ten-line file that names two firms is enough.

Think of it as the brief handed to the simulation team: how long to run (``run``), who the consumers
are (``population``, ``network``), which firms compete with what factory and which supply-chain policy
(``firms``), and what happens to them on which day (``events``). Nothing here simulates anything.

Errors are collected as :class:`ScenarioError` with one ``(field.path, message)`` per problem, which
the command line prints as ``FILE: field.path: message``.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from simulator.policies.params import POLICY_NAMES, PolicyParams, SupplierCentricParams

GENERATIONS: tuple[str, ...] = ("silent", "boomers", "gen_x", "millennials", "gen_z")
VALUE_DIMENSIONS: tuple[str, ...] = ("environment", "fair_labour", "animal_welfare")

Share = Annotated[float, Field(ge=0.0, le=1.0)]
PositiveInt = Annotated[int, Field(gt=0)]
NonNegFloat = Annotated[float, Field(ge=0.0)]
PositiveFloat = Annotated[float, Field(gt=0.0)]


class Frozen(BaseModel):
    """Base of every scenario section: immutable, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class RunSettings(Frozen):
    """How long to simulate and with which root seed."""

    days: PositiveInt = 365
    warmup_days: Annotated[int, Field(ge=0)] = 30
    seed: Annotated[int, Field(ge=0)] = 42

    @model_validator(mode="after")
    def _warmup_shorter_than_run(self) -> RunSettings:
        if self.warmup_days >= self.days:
            raise ValueError(f"warmup_days ({self.warmup_days}) must be < days ({self.days})")
        return self


class GenerationMix(Frozen):
    """Share of each generation in the population; the shares sum to 1."""

    silent: Share = 0.05
    boomers: Share = 0.22
    gen_x: Share = 0.25
    millennials: Share = 0.28
    gen_z: Share = 0.20

    @model_validator(mode="after")
    def _sums_to_one(self) -> GenerationMix:
        total = sum(self.as_tuple())
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            raise ValueError(f"generation shares must sum to 1, got {total:.6g}")
        return self

    def as_tuple(self) -> tuple[float, ...]:
        """Shares in the order of :data:`GENERATIONS`."""
        return tuple(float(getattr(self, g)) for g in GENERATIONS)


class TraitOverrides(Frozen):
    """Per-generation replacements for the bundled trait defaults (``simulator/data/generations.toml``).

    Every field left out keeps the calibrated default; see that file for each trait's meaning and source.
    """

    wtp_mu: Annotated[float, Field(ge=-1.0, le=2.0)] | None = None
    """Mean of the stated willingness-to-pay premium (share of the reference price)."""
    wtp_sigma: Annotated[float, Field(ge=0.0, le=2.0)] | None = None
    say_do: Annotated[float, Field(ge=0.0, le=1.0)] | None = None
    """Share of the stated premium actually paid (the say-do discount)."""
    price_sensitivity: Annotated[float, Field(gt=0.0, le=100.0)] | None = None
    """Median utility per unit of price / reference price."""
    value_weights: tuple[NonNegFloat, NonNegFloat, NonNegFloat] | None = None
    """Mean weights over environment, fair labour, animal welfare (normalised to sum to 1)."""
    delay_zero_share: Share | None = None
    """Share who accept no extra delivery day at all."""
    delay_mean_days: Annotated[float, Field(gt=0.0, le=365.0)] | None = None
    social_media_share: Share | None = None
    posting_propensity: Share | None = None
    """Chance a social-media user posts about a notable purchase experience."""
    values_posting: Share | None = None
    """Chance a social-media user shows their values in public when they take a stand."""
    susceptibility: Annotated[float, Field(ge=0.0, le=10.0)] | None = None
    need_interval_factor: Annotated[float, Field(gt=0.0, le=10.0)] | None = None
    """Multiplies ``mean_need_interval_days`` for this generation."""
    customisation_preference: Annotated[float, Field(ge=0.0, le=10.0)] | None = None
    loyalty: Annotated[float, Field(ge=0.0, le=10.0)] | None = None
    boycott_propensity: Share | None = None
    buycott_propensity: Share | None = None
    support_rate: Share | None = None
    """Daily chance that a strongly aligned buycotter buys only to support the firm."""


class GenerationTraits(Frozen):
    """Trait overrides by generation (``[population.traits.gen_z]`` and so on)."""

    silent: TraitOverrides = TraitOverrides()
    boomers: TraitOverrides = TraitOverrides()
    gen_x: TraitOverrides = TraitOverrides()
    millennials: TraitOverrides = TraitOverrides()
    gen_z: TraitOverrides = TraitOverrides()


class BirthYears(Frozen):
    """Birth-year range of each generation (inclusive); default: Pew Research Center's cut-offs."""

    silent: tuple[int, int] = (1928, 1945)
    boomers: tuple[int, int] = (1946, 1964)
    gen_x: tuple[int, int] = (1965, 1980)
    millennials: tuple[int, int] = (1981, 1996)
    gen_z: tuple[int, int] = (1997, 2012)

    @model_validator(mode="after")
    def _ordered(self) -> BirthYears:
        prev_end = None
        for g in GENERATIONS:
            lo, hi = getattr(self, g)
            if lo > hi:
                raise ValueError(f"{g}: first year {lo} is after last year {hi}")
            if prev_end is not None and lo != prev_end + 1:
                raise ValueError(f"{g}: must start the year after the previous generation ends")
            prev_end = hi
        return self


class Population(Frozen):
    """The consumers: how many, which generations, how strongly values drive them."""

    birth_years: BirthYears = BirthYears()
    traits: GenerationTraits = GenerationTraits()

    size: Annotated[int, Field(gt=0, le=5_000_000)] = 10_000
    mix: GenerationMix = GenerationMix()
    value_intensity: Annotated[float, Field(ge=0.0, le=5.0)] = 1.0
    """Multiplies every consumer's willingness to pay for value alignment (0 = values ignored)."""
    mean_need_interval_days: Annotated[float, Field(gt=0.0, le=3650.0)] = 30.0
    """Mean days between two needs for the product (exponential)."""
    retry_days: Annotated[float, Field(gt=0.0, le=365.0)] = 7.0
    """Mean days before a consumer who went without looks again."""
    reference_price: PositiveFloat = 100.0
    """The price that utilities are measured against (price enters as price / reference_price)."""
    purchase_constant: float = 3.5
    """Utility of buying at all (alternative-specific constant of the products vs not buying)."""


COMPLETE_GRAPH_MAX = 5_000
"""Largest population a complete network may span (its links grow as size squared)."""


class Network(Frozen):
    """The social network over which consumers see each other's posts.

    ``edge_list`` reads ``path``: a text file of two consumer rows (0-based) per line, separated by
    a space, a tab or a comma; ``#`` starts a comment. Links are undirected.
    """

    kind: Literal["watts_strogatz", "barabasi_albert", "complete", "edge_list", "none"] = (
        "watts_strogatz"
    )
    k: Annotated[int, Field(ge=0, le=1000)] = 10
    """Mean degree (Watts-Strogatz) or 2 x edges per new node (Barabasi-Albert)."""
    rewire_p: Share = 0.1
    path: str | None = None
    """The edge-list file (``kind = "edge_list"``), relative to the working directory."""

    @model_validator(mode="after")
    def _path_for_edge_list(self) -> Network:
        if self.kind == "edge_list" and not self.path:
            raise ValueError("an edge_list network needs path, the file of its links")
        if self.kind != "edge_list" and self.path:
            raise ValueError(f"path is read only by an edge_list network (kind is {self.kind!r})")
        return self


class Social(Frozen):
    """Word of mouth, awareness, boycotts and buycotts (see :mod:`simulator.market.boycott`)."""

    enabled: bool = True
    """False switches off every social effect: no posts, awareness, boycotts or peer terms."""
    positive_weight: NonNegFloat = 0.02
    """Perceived-reputation gain (0-1 scale) from one positive post by a neighbour."""
    negative_weight: NonNegFloat = 0.05
    """Perceived-reputation loss from one negative post (negative word of mouth weighs more)."""
    values_weight: NonNegFloat = 0.03
    """Perceived-reputation change from one values post (protest or support) by a neighbour."""
    reputation_reversion: Share = 0.02
    """Daily pull of each perceived reputation back toward the firm's public reputation."""
    peer_purchase_weight: NonNegFloat = 0.5
    """Utility of the share of neighbours who bought the offer's firm recently."""
    recent_days: Annotated[float, Field(gt=0.0, le=365.0)] = 30.0
    """How long a purchase counts as recent for neighbours."""
    media_rate: Annotated[float, Field(ge=0.0, le=10.0)] = 0.03
    """Daily hazard of learning of a firm's scandal or virtuous act from the media (Bass p)."""
    media_decay_days: Annotated[float, Field(gt=0.0)] = 14.0
    """Mean life of the media coverage: the media hazard decays as exp(-t / this)."""
    peer_awareness_rate: Annotated[float, Field(ge=0.0, le=10.0)] = 0.38
    """Daily hazard of learning it from neighbours, times the share of aware neighbours (Bass q)."""
    issue_days: Annotated[int, Field(gt=0)] = 365
    """Days a scandal or virtuous act stays a live issue (awareness spreads, consumers can join)."""
    reference_magnitude: PositiveFloat = 0.3
    """An event of this magnitude moves consumers with the full calibrated propensity."""
    peer_boycott_rate: Annotated[float, Field(ge=0.0, le=10.0)] = 0.2
    """Daily hazard of joining, times susceptibility and the share of neighbours taking a stand."""
    mean_boycott_days: Annotated[float, Field(gt=0.0)] = 60.0
    never_return_share: Share = 0.36
    scandal_reputation_factor: Share = 0.5
    """A scandal of magnitude m lowers the firm's public reputation by m x this."""
    buycott_premium: NonNegFloat = 0.1
    """Extra willingness to pay (share of the reference price) of a buycotter for the firm."""
    support_threshold: NonNegFloat = 0.1
    """Minimum premium x alignment for a buycotter to make support purchases."""
    defect_rate_per_quality_gap: Share = 0.05
    """Chance a delivered unit is defective, per unit of (1 - quality)."""


class EthicsProfile(Frozen):
    """How a firm scores on each value dimension, 0 (bad) to 1 (exemplary)."""

    environment: Share = 0.5
    fair_labour: Share = 0.5
    animal_welfare: Share = 0.5

    def as_tuple(self) -> tuple[float, ...]:
        """Scores in the order of :data:`VALUE_DIMENSIONS`."""
        return tuple(float(getattr(self, d)) for d in VALUE_DIMENSIONS)


class Distribution(Frozen):
    """A random time in days.

    ``deterministic`` is always ``mean``; ``exponential`` has that mean; ``gamma`` and ``lognormal``
    have that mean and coefficient of variation ``cv``.
    """

    kind: Literal["deterministic", "exponential", "gamma", "lognormal"] = "exponential"
    mean: NonNegFloat = 1.0
    cv: Annotated[float, Field(gt=0.0, le=10.0)] = 1.0


VariantName = Annotated[str, Field(min_length=1, max_length=60)]


class Stage(Frozen):
    """One step of the routing: a group of identical machines (a SimPy resource).

    A stage sets a machine up before a batch (every batch, or only when the machine last ran another
    variant), processes the batch unit by unit, and finds ``defect_rate`` of the units defective:
    reworked on the stage (each pass may fail again) or scrapped. A machine fails after an
    exponential up time of mean ``mtbf_days`` (calendar days) and is repaired in ``mttr_days``;
    the batch on it resumes where it stopped. A stage works ``shifts`` 8-hour shifts a day
    (3 = round the clock); outside them its machines stand still.
    """

    name: Annotated[str, Field(min_length=1, max_length=40)]
    machines: Annotated[int, Field(gt=0, le=10_000)] = 1
    unit_time: Distribution = Distribution(kind="gamma", mean=0.004, cv=0.5)
    """Processing time of one unit on one machine, in days."""
    setup_days: NonNegFloat = 0.0
    setup_cost: NonNegFloat = 0.0
    setup_when: Literal["every_batch", "variant_change"] = "every_batch"
    mtbf_days: PositiveFloat | None = None
    """Mean time between failures of one machine (calendar days); None: machines never fail."""
    mttr_days: Distribution = Distribution(kind="exponential", mean=0.1)
    defect_rate: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0
    rework: bool = True
    """Defective units are reworked on the stage (True) or scrapped (False)."""
    unit_cost: NonNegFloat | None = None
    """Cost of processing one unit once; None: an equal share of the factory's production_cost."""
    shifts: Annotated[int, Field(ge=1, le=3)] = 3


class Disruption(Frozen):
    """A scheduled period in which the supplier ships nothing."""

    day: Annotated[int, Field(ge=0)]
    duration_days: Annotated[int, Field(ge=1)] = 14


class Supplier(Frozen):
    """The raw-material supplier: lead time, capacity, sourcing, disruptions.

    Ethical sourcing costs ``ethical_premium`` more per unit of material and raises every dimension
    of the firm's ethics profile by ``ethics_boost`` (capped at 1). Random disruptions start after
    exponential times of mean ``disruption_mtbf_days`` and last ``disruption_days``.
    """

    lead_days: Distribution = Distribution(kind="deterministic", mean=3.0)
    capacity_per_day: PositiveFloat | None = None
    """Units the supplier can dispatch per day (orders queue first come, first served); None: any."""
    ethical: bool = False
    ethical_premium: Annotated[float, Field(ge=0.0, le=10.0)] = 0.25
    ethics_boost: Share = 0.1
    disruptions: list[Disruption] = Field(default_factory=list)
    disruption_mtbf_days: PositiveFloat | None = None
    disruption_days: Distribution = Distribution(kind="exponential", mean=7.0)


class Factory(Frozen):
    """One firm's plant: a supplier of raw material, a routing of stages, finished goods, shipping.

    A one-stage plant can be written with the short fields (``machines``, ``unit_time``,
    ``setup_days``, ``setup_cost``, ``supplier_lead_days``); a longer routing lists ``stages`` and a
    ``supplier`` section instead (then the short fields must stay at their defaults).
    """

    machines: Annotated[int, Field(gt=0, le=10_000)] = 1
    unit_time: Distribution = Distribution(kind="gamma", mean=0.004, cv=0.5)
    """Processing time of one unit on one machine, in days."""
    setup_days: NonNegFloat = 0.0
    """Machine set-up before each work order (the cost of small batches)."""
    supplier_lead_days: Distribution = Distribution(kind="deterministic", mean=3.0)
    stages: Annotated[list[Stage], Field(min_length=1, max_length=20)] | None = None
    supplier: Supplier | None = None
    variants: Annotated[list[VariantName], Field(min_length=1, max_length=100)] = Field(
        default_factory=lambda: ["standard"]
    )
    """Variants the plant makes (set-ups switch between them); the first is the standard one."""
    initial_material: Annotated[int, Field(ge=0)] = 600
    """Raw material on hand at day 0; also the base stock the one-for-one material reorder keeps."""
    initial_stock: Annotated[int, Field(ge=0)] = 200
    """Finished goods on hand at day 0 (of the first variant)."""
    shipping_days: NonNegFloat = 2.0
    # --- costs: the Factory's cost fields (see simulator/glossary.py for how each is booked) -------
    material_cost: NonNegFloat = 30.0
    """Price of one unit of raw material (paid on receipt)."""
    production_cost: NonNegFloat = 15.0
    """Variable cost of making one unit (paid as each stage finishes a batch; rework passes too)."""
    setup_cost: NonNegFloat = 0.0
    shipping_cost: NonNegFloat = 3.0
    """Cost of shipping one unit to the customer."""
    holding_rate_per_year: Annotated[float, Field(ge=0.0, le=5.0)] = 0.20
    """Yearly cost of holding stock as a share of its value at cost, on raw material, work in
    process and finished goods alike: capital tied up, storage, insurance, handling. Consumer-goods
    carrying rates run about 15-30 %/year in all (shared KPI glossary; practitioner guides put the
    total at 20-30 % with capital the largest part); 20 % here plus ``obsolescence_rate_per_year``
    on finished goods makes 25 % (assumption inside that range)."""
    obsolescence_rate_per_year: Annotated[float, Field(ge=0.0, le=5.0)] = 0.05
    """Yearly loss of value of finished goods to obsolescence and markdowns, as a share of their
    value at cost, charged every day on the stock held (the risk part of the carrying rate;
    assumption)."""
    shelf_life_days: Annotated[float, Field(gt=0.0, le=36_500.0)] | None = None
    """Finished goods older than this (days since they were finished) are written off at cost
    (oldest are shipped first); None: goods do not expire."""
    backorder_cost_per_day: NonNegFloat = 0.5
    """Penalty per unit ordered and not yet shipped, per day (expediting and goodwill; assumption)."""
    return_cost: NonNegFloat = 8.0
    """Handling cost of one returned unit (collection, inspection, disposal), on top of the refund
    of its price; assumption: about 8 % of the default price."""
    capacity_cost_per_machine_shift: NonNegFloat = 500.0
    """Fixed cost of one machine staffed for one 8-hour shift (crew, depreciation, maintenance),
    paid whether the machine works or not. Assumption: a crew of two at about 25 an hour loaded
    (400) and 100 for the line; with the default stage (250 units a day round the clock) that is 6
    per unit at full use, 9 at two thirds."""
    overtime_premium: Annotated[float, Field(ge=0.0, le=5.0)] = 0.5
    """Extra share of ``capacity_cost_per_machine_shift`` paid for a machine-shift beyond a stage's
    planned ``shifts`` (time and a half: the US Fair Labor Standards Act's overtime rate)."""
    shift_change_lead_days: Annotated[int, Field(ge=0, le=365)] = 7
    """Days between deciding to add or drop a shift and the change taking effect (staffing a shift;
    assumption: a week's notice). Capacity is paid until then."""
    machine_change_lead_days: Annotated[int, Field(ge=0, le=3650)] = 60
    """Days between deciding to add or remove machines and the change taking effect (buying,
    installing or selling a line; assumption)."""
    overhead_cost_per_day: NonNegFloat = 3500.0
    """Fixed selling, general and administrative cost a day (offices, sales force, systems), the
    same whatever the supply chain does. Assumption sized for the default market (10,000
    consumers shared by two firms): a fifth to a quarter of a firm's revenue, which with a
    contribution margin near 50 % leaves an operating margin of about 5-20 %, the range of
    consumer-goods makers (Damodaran's margins by industry: household products, food
    processing). Scale it with the market you simulate."""
    marketing_cost_per_day: NonNegFloat = 0.0

    @model_validator(mode="before")
    @classmethod
    def _renamed_cost_fields(cls, data: Any) -> Any:
        # Old scenario files: say what replaced a removed field rather than "unknown key".
        if isinstance(data, dict):
            renamed = {
                "holding_cost_per_day": "holding_rate_per_year (a yearly share of the stock's "
                "value at cost, charged on raw material, work in process and finished goods)",
                "overtime_cost_per_machine_shift": "capacity_cost_per_machine_shift and "
                "overtime_premium (the extra share paid for a shift beyond plan)",
            }
            old = [k for k in renamed if k in data]
            if old:
                raise ValueError("; ".join(f"{k} was replaced by {renamed[k]}" for k in old))
        return data

    @model_validator(mode="after")
    def _one_way_to_say_it(self) -> Factory:
        short = ("machines", "unit_time", "setup_days", "setup_cost")
        if self.stages is not None:
            given = [k for k in short if getattr(self, k) != type(self).model_fields[k].get_default()]
            if given:
                raise ValueError(f"with stages, set {', '.join(given)} on each stage instead")
            names = [s.name for s in self.stages]
            dupes = sorted({n for n in names if names.count(n) > 1})
            if dupes:
                raise ValueError(f"stage names must be unique, repeated: {', '.join(dupes)}")
        default_lead = type(self).model_fields["supplier_lead_days"].get_default()
        if self.supplier is not None and self.supplier_lead_days != default_lead:
            raise ValueError("with a supplier section, set supplier.lead_days, not supplier_lead_days")
        if len(set(self.variants)) != len(self.variants):
            raise ValueError("variant names must be unique")
        return self

    @model_validator(mode="after")
    def _shift_fields_need_a_shift_calendar(self) -> Factory:
        # Shifts can only change (and run beyond plan) on a stage planned below round the clock,
        # so a value other than the default would have no effect (a dumped scenario repeats the
        # defaults, which is fine).
        if all(s.shifts == 3 for s in self.routing()):
            fields = type(self).model_fields
            given = [
                k
                for k in ("overtime_premium", "shift_change_lead_days")
                if getattr(self, k) != fields[k].get_default()
            ]
            if given:
                raise ValueError(
                    f"{', '.join(given)}: no stage has a shift calendar (every stage is planned "
                    "round the clock, shifts = 3), so shifts can never change; plan a stage "
                    "below 3 shifts or leave these out"
                )
        return self

    def routing(self) -> list[Stage]:
        """The stages in order (the short form gives one stage named ``production``)."""
        if self.stages is not None:
            return list(self.stages)
        return [
            Stage(
                name="production",
                machines=self.machines,
                unit_time=self.unit_time,
                setup_days=self.setup_days,
                setup_cost=self.setup_cost,
                unit_cost=self.production_cost,
            )
        ]

    def supply(self) -> Supplier:
        """The supplier section (the short form gives one with ``supplier_lead_days``)."""
        if self.supplier is not None:
            return self.supplier
        return Supplier(lead_days=self.supplier_lead_days)

    # --- standard costs: what a unit in each stock is worth, and what holding it costs -----------
    def material_price(self) -> float:
        """Price paid per unit of material (with the ethical sourcing premium when it applies)."""
        supply = self.supply()
        return self.material_cost * (1.0 + (supply.ethical_premium if supply.ethical else 0.0))

    def stage_unit_costs(self) -> list[float]:
        """Cost of one pass of one unit through each stage (``unit_cost`` or an equal share)."""
        routing = self.routing()
        share = self.production_cost / len(routing)
        return [share if s.unit_cost is None else s.unit_cost for s in routing]

    def standard_unit_cost(self) -> float:
        """Value at cost of one finished unit: material plus one pass through every stage."""
        return self.material_price() + sum(self.stage_unit_costs())

    def holding_cost_per_unit_day(self, stock: Literal["material", "finished"] = "finished") -> float:
        """Cost of holding one unit for one day: the yearly rate times its value at cost / 365.

        Finished goods carry the obsolescence rate on top. This is the figure an optimiser or a
        lot-sizing rule reads (for work in process, value the unit by the stages it has passed).
        """
        if stock == "material":
            return self.holding_rate_per_year / 365.0 * self.material_price()
        rate = self.holding_rate_per_year + self.obsolescence_rate_per_year
        return rate / 365.0 * self.standard_unit_cost()

    def unit_contribution(self, price: float) -> float:
        """Price less the variable cost of one unit sold (standard cost and shipping)."""
        return price - self.standard_unit_cost() - self.shipping_cost


class Firm(Frozen):
    """A competing firm: its offer, its ethics, its factory and its supply-chain policy."""

    name: Annotated[str, Field(min_length=1, max_length=60)]
    price: PositiveFloat = 100.0
    quality: Share = 0.7
    reputation: Share = 0.7
    ethics: EthicsProfile = EthicsProfile()
    factory: Factory = Factory()
    policy: PolicyParams = Field(default_factory=SupplierCentricParams)


class Event(Frozen):
    """A scheduled shock.

    - ``scandal``: the firm's ethics profile drops by ``magnitude`` on every dimension (floored at 0).
    - ``virtue``: a viral ethical act raises it by ``magnitude`` (capped at 1).
    - ``supply_disruption``: the firm's supplier ships nothing for ``duration_days``.
    - ``demand_shift``: consumers' need rate is multiplied by ``magnitude`` for ``duration_days``.
    """

    kind: Literal["scandal", "virtue", "supply_disruption", "demand_shift"]
    day: Annotated[int, Field(ge=0)]
    firm: str | None = None
    magnitude: NonNegFloat = 0.3
    duration_days: Annotated[int, Field(ge=1)] = 14


class Scenario(Frozen):
    """A whole scenario file."""

    name: str = "scenario"
    description: str = ""
    run: RunSettings = RunSettings()
    population: Population = Population()
    network: Network = Network()
    social: Social = Social()
    firms: Annotated[list[Firm], Field(min_length=1, max_length=50)]
    events: list[Event] = Field(default_factory=list)

    @model_validator(mode="after")
    def _cross_checks(self) -> Scenario:
        names = [f.name for f in self.firms]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"firm names must be unique, repeated: {', '.join(dupes)}")
        for i, ev in enumerate(self.events):
            needs_firm = ev.kind in ("scandal", "virtue", "supply_disruption")
            if needs_firm and ev.firm is None:
                raise ValueError(f"events.{i}: a {ev.kind} event needs a firm")
            if ev.firm is not None and ev.firm not in names:
                raise ValueError(
                    f"events.{i}.firm: no firm named {ev.firm!r} (firms: {', '.join(names)})"
                )
        if self.network.kind == "complete" and self.population.size > COMPLETE_GRAPH_MAX:
            n = self.population.size
            raise ValueError(
                f"network.kind: a complete graph over {n:,} consumers has {n * (n - 1) // 2:,} links; "
                f"use it only up to {COMPLETE_GRAPH_MAX:,} consumers (watts_strogatz scales)"
            )
        if self.network.kind in ("watts_strogatz", "barabasi_albert"):
            if self.network.k >= self.population.size:
                raise ValueError(
                    f"network.k ({self.network.k}) must be < population.size ({self.population.size})"
                )
        return self

    def with_overrides(self, overrides: Mapping[str, Any]) -> Scenario:
        """A copy with values replaced by dotted path (``population.mix.gen_z``, ``firms.1.price``).

        The result is validated again, so an override that breaks a rule raises
        :class:`ScenarioError`.
        """
        data = self.model_dump(mode="python")
        for path, value in overrides.items():
            set_path(data, path, value)
        return parse_scenario(data, source="<overrides>")


class ScenarioError(Exception):
    """A scenario (or other input file) that cannot be used; ``problems`` are (field path, message)."""

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        self.source = source
        self.problems = problems
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        """One ``FILE: field.path: message`` line per problem."""
        return [
            f"{self.source}: {path}: {msg}" if path else f"{self.source}: {msg}"
            for path, msg in self.problems
        ]


def set_path(data: Any, path: str, value: Any) -> None:
    """Set ``value`` at a dotted ``path`` in nested dicts/lists (list indices are integers)."""
    parts = path.split(".")
    node = data
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list):
            try:
                idx = int(part)
                node[idx]
            except (ValueError, IndexError):
                raise ScenarioError("<overrides>", [(path, f"no list item {part!r}")]) from None
            if last:
                node[idx] = value
            else:
                node = node[idx]
        elif isinstance(node, dict):
            if last:
                node[part] = value
            else:
                if part not in node or not isinstance(node[part], dict | list):
                    node[part] = {} if part not in node else node[part]
                node = node[part]
        else:
            raise ScenarioError("<overrides>", [(path, f"cannot set {part!r} inside a value")])


def _format_loc(loc: tuple[Any, ...]) -> str:
    # pydantic puts validator names ("function-after[...]") and the policy union's tag
    # ("policy.supplier_centric.x") into locations; a user wrote neither, so drop them.
    parts = []
    for i, p in enumerate(loc):
        if isinstance(p, str) and "[" in p:
            continue
        if i > 0 and loc[i - 1] == "policy" and p in POLICY_NAMES:
            continue
        parts.append(str(p))
    return ".".join(parts)


def _problems(err: ValidationError) -> list[tuple[str, str]]:
    out = []
    for e in err.errors():
        msg = e["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        loc = _format_loc(tuple(e["loc"]))
        # A cross-check error carries its own path prefix ("events.1.firm: ...").
        if ": " in msg and not loc and msg.split(": ", 1)[0].replace(".", "").isalnum():
            loc, msg = msg.split(": ", 1)
        if e["type"] == "extra_forbidden":
            msg = "unknown key (not a field of this section)"
        elif e["type"] == "union_tag_invalid":
            tag = e.get("ctx", {}).get("tag", "?")
            msg = f"unknown policy {tag!r}; choose one of {', '.join(POLICY_NAMES)}"
            loc = f"{loc}.name" if loc else "name"
        elif e["type"] == "union_tag_not_found":
            msg = f"a policy needs a name; choose one of {', '.join(POLICY_NAMES)}"
            loc = f"{loc}.name" if loc else "name"
        out.append((loc, msg))
    return out


def parse_scenario(data: Mapping[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate a scenario given as nested dicts; raise :class:`ScenarioError` on any problem."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(source, _problems(err)) from None


def read_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file, turning a missing or malformed file into :class:`ScenarioError`."""
    p = Path(path)
    try:
        with p.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ScenarioError(str(p), [("", "file not found")]) from None
    except IsADirectoryError:
        raise ScenarioError(str(p), [("", "is a directory, not a file")]) from None
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(str(p), [("", f"not valid TOML: {err}")]) from None
    except (OSError, UnicodeDecodeError) as err:
        raise ScenarioError(str(p), [("", f"cannot read: {err}")]) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file."""
    return parse_scenario(read_toml(path), source=str(path))


def dump_scenario(scenario: Scenario) -> dict[str, Any]:
    """The fully resolved scenario (defaults filled in) as JSON-ready data."""
    return scenario.model_dump(mode="json")
