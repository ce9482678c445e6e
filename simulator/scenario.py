"""Scenario files: what a run simulates, as data.

A scenario is a TOML file read with :mod:`tomllib` and validated by the frozen pydantic models below
(``extra="forbid"``, so a misspelt key is an error, not a silent default). Every field has a default
that makes sense for a consumer-goods market, so a ten-line file that names two firms is enough.

Think of it as the brief handed to the simulation team: how long to run (``run``), who the consumers
are (``population``, ``network``), which firms compete with what factory and which supply-chain policy
(``firms``), and what happens to them on which day (``events``). Nothing here simulates anything.

Errors are collected as :class:`ScenarioError` with one ``(field.path, message)`` per problem, which
the command line prints as ``FILE: field.path: message``; every problem of a file is reported in one
pass, the checks that span several fields too. Every model inherits the shared input rules of
:class:`~simulator.schema.StrictModel`: finite numbers of bounded size, no unknown keys. Names are
printable (no control characters, which could rewrite a terminal line or end a C string); a name
never becomes a path as it is (:mod:`simulator.paths` makes file names of it).
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationError, model_validator

from simulator.policies.params import POLICY_NAMES, PolicyParams, SupplierCentricParams
from simulator.schema import MAX_DAYS, StrictModel

GENERATIONS: tuple[str, ...] = ("silent", "boomers", "gen_x", "millennials", "gen_z")
VALUE_DIMENSIONS: tuple[str, ...] = ("environment", "fair_labour", "animal_welfare")

Share = Annotated[float, Field(ge=0.0, le=1.0)]
PositiveInt = Annotated[int, Field(gt=0)]
NonNegFloat = Annotated[float, Field(ge=0.0)]
PositiveFloat = Annotated[float, Field(gt=0.0)]
Day = Annotated[int, Field(ge=0, le=MAX_DAYS)]
"""A day of the run (0 is the first)."""
DayCount = Annotated[int, Field(gt=0, le=MAX_DAYS)]
"""A whole number of days, at least one."""

_CONTROL = {*range(0x00, 0x20), *range(0x7F, 0xA0), 0x2028, 0x2029, *range(0x202A, 0x202F)}
_CONTROL |= set(range(0x2066, 0x206A))


def printable(text: str) -> str:
    """``text`` unchanged, or ValueError naming its first control character.

    Control characters (C0, DEL, C1, line and paragraph separators, bidirectional overrides) in a
    name would move the cursor, recolour or reorder a terminal line, or cut a C string short.
    """
    for ch in text:
        if ord(ch) in _CONTROL:
            raise ValueError(f"contains the control character U+{ord(ch):04X}; use printable characters")
    return text


def strip_controls(text: str) -> str:
    """``text`` with every control character replaced by U+FFFD, safe to print to a terminal.

    For text read from files that no schema checked (a run folder's tables, an old manifest).
    """
    return "".join("\ufffd" if ord(ch) in _CONTROL and ch not in "\n\t" else ch for ch in text)


Name = Annotated[str, Field(min_length=1, max_length=60), AfterValidator(printable)]
"""A name shown to people and used in tables: 1 to 60 printable characters."""


class Frozen(StrictModel):
    """Base of every scenario section: immutable, unknown keys rejected, finite bounded numbers."""


class RunSettings(Frozen):
    """How long to simulate and with which root seed."""

    days: DayCount = 365
    """Days to simulate. What this machine can run in reasonable time and memory is estimated
    before a run starts (:mod:`simulator.resources`), not fixed here."""
    warmup_days: Day = 30
    seed: Annotated[int, Field(ge=0, lt=2**64)] = 42

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
    """Chance of joining a boycott at once on learning of a scandal of the reference magnitude."""
    boycott_sympathy: Share | None = None
    """Chance of sympathising with that boycott (sympathisers may join later, pushed by peers)."""
    boycott_mean_days: Annotated[float, Field(gt=0.0, le=36500.0)] | None = None
    """Mean days a boycotter keeps the boycott up (a constant daily hazard of giving up)."""
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
    reference_price: Annotated[float, Field(gt=0.0, le=1e9)] = 100.0
    """The price that utilities are measured against (price enters as price / reference_price - 1)."""
    purchase_constant: Annotated[float, Field(ge=-100.0, le=100.0)] = -1.5
    """Utility of buying at the reference price an offer that is average in every other respect,
    against not buying (calibrated so that about a quarter of shopping occasions in
    ``scenarios/baseline.toml`` end without a purchase: an assumption)."""
    reference_ethics: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.4
    """Ethics score (0-1) of the conventional product consumers compare a firm with: a firm at this
    score earns no share of anyone's willingness to pay for values (``simulator/data``)."""
    brand_taste_sd: Annotated[float, Field(ge=0.0, le=10.0)] | None = None
    """Spread (price units) of each consumer's lasting taste for each firm's brand; None: the
    calibrated default in ``simulator/data/generations.toml``, 0: products differ only in their
    attributes."""


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
    path: Annotated[str, Field(min_length=1, max_length=4096)] | None = None
    """The edge-list file (``kind = "edge_list"``), relative to the working directory; checked
    (exists, a regular file, a size this machine can read) by ``marketsim check`` and before a run."""

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
    """Perceived-reputation gain (0-1 scale) from one positive post by a neighbour (assumption; how
    much perceived reputation moves orders is calibrated: ``simulator/data/generations.toml``)."""
    negative_weight: NonNegFloat = 0.05
    """Perceived-reputation loss from one negative post (assumption: negative word of mouth weighs
    more, about 2.5 times)."""
    values_weight: NonNegFloat = 0.03
    """Perceived-reputation change from one values post (protest or support) by a neighbour
    (assumption)."""
    reputation_reversion: Share = 0.02
    """Daily pull of each perceived reputation back toward the firm's public reputation
    (assumption: a post's effect halves in about five weeks)."""
    peer_purchase_weight: Annotated[float, Field(ge=0.0, le=10.0)] = 0.1
    """Value (price units) of all of one's neighbours having bought the offer's firm recently
    (scaled by the share who did; assumption: social proof worth up to a tenth of the price)."""
    recent_days: Annotated[float, Field(gt=0.0, le=365.0)] = 30.0
    """How long a purchase counts as recent for neighbours."""
    media_rate: Annotated[float, Field(ge=0.0, le=10.0)] = 0.03
    """Daily hazard of learning of a firm's scandal or virtuous act from the media (Bass p; with
    ``peer_awareness_rate`` it makes 99% aware within three weeks, as in Korea 2019)."""
    media_decay_days: Annotated[float, Field(gt=0.0)] = 14.0
    """Mean life of the media coverage: the media hazard decays as exp(-t / this)."""
    peer_awareness_rate: Annotated[float, Field(ge=0.0, le=10.0)] = 0.38
    """Daily hazard of learning it from neighbours, times the share of aware neighbours (Bass q)."""
    issue_days: DayCount = 365
    """Days a scandal or virtuous act stays a live issue (awareness spreads, consumers can join)."""
    reference_magnitude: PositiveFloat = 0.3
    """An event of this magnitude moves consumers with the full calibrated propensity."""
    peer_boycott_rate: Annotated[float, Field(ge=0.0, le=10.0)] = 0.5
    """Daily hazard of joining, times susceptibility and the share of neighbours taking a stand
    (fitted to Korea 2019: participation rose about 7 points a week in the first weeks)."""
    mean_boycott_days: Annotated[float, Field(gt=0.0, le=36500.0)] | None = None
    """Mean days a boycott lasts, for everyone; None: by generation, from the Korean boycott's decay
    (``simulator/data/generations.toml``)."""
    mean_buycott_days: Annotated[float, Field(gt=0.0, le=36500.0)] = 60.0
    """Mean days a buycott lasts (assumption: the enthusiasm after a virtuous act fades in months)."""
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


VariantName = Name


class Stage(Frozen):
    """One step of the routing: a group of identical machines (a SimPy resource).

    A stage sets a machine up before a batch (every batch, or only when the machine last ran another
    variant), processes the batch unit by unit, and finds ``defect_rate`` of the units defective:
    reworked on the stage (each pass may fail again) or scrapped. A machine fails after an
    exponential up time of mean ``mtbf_days`` (calendar days) and is repaired in ``mttr_days``;
    the batch on it resumes where it stopped. A stage works ``shifts`` 8-hour shifts a day
    (3 = round the clock); outside them its machines stand still.
    """

    name: Annotated[Name, Field(max_length=40)]
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

    day: Day
    duration_days: DayCount = 14


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


class Marketing(Frozen):
    """How marketing spend (``factory.marketing_cost_per_day``) becomes demand: a goodwill stock
    that decays (Nerlove-Arrow), entering every consumer's utility for the firm with diminishing
    returns (:mod:`simulator.firms.goodwill`)."""

    goodwill_decay_per_day: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0154
    """Share of the goodwill forgotten each day: a half-life of 45 days (Clarke 1976: 90 % of an
    advertising effect on sales gone within 3 to 9 months; assumption inside that range)."""
    appeal_per_log_goodwill: Annotated[float, Field(ge=0.0, le=10.0)] = 0.2
    """Utility per unit of ln(1 + goodwill / goodwill_scale): with a share near 0.4 the share's
    elasticity to goodwill is about 0.2 x 0.6 = 0.12, the mean short-run advertising elasticity
    (Sethuraman, Tellis & Briesch 2011)."""
    goodwill_scale: Annotated[float, Field(gt=0.0, le=1e12)] = 1000.0
    """Goodwill (money of past spend, net of decay) at which returns have halved (assumption)."""
    initial_goodwill: Annotated[float, Field(ge=0.0, le=1e12)] | None = None
    """Goodwill at day 0; None: what the firm's daily spend has built (spend / decay), as for a firm
    that has advertised steadily before the simulation starts."""


class Firm(Frozen):
    """A competing firm: its offer, its ethics, its factory and its supply-chain policy."""

    name: Name
    price: PositiveFloat = 100.0
    quality: Share = 0.7
    reputation: Share = 0.7
    ethics: EthicsProfile = EthicsProfile()
    factory: Factory = Factory()
    policy: PolicyParams = Field(default_factory=SupplierCentricParams)
    marketing: Marketing = Marketing()

    @model_validator(mode="after")
    def _kanban_cards_fit_the_routing(self) -> Firm:
        # kanban puts cards at every stage: the last stage's are the buffer, the others kanban_cards
        p = self.policy
        if getattr(p, "control", None) != "kanban":
            return self
        cards = p.kanban_cards  # type: ignore[union-attr]
        before_last = len(self.factory.routing()) - 1
        if before_last == 0 and cards != 2:
            raise ValueError(
                "policy.kanban_cards: has no effect: a one-stage plant's kanban cards are the buffer"
            )
        if isinstance(cards, list) and len(cards) != before_last:
            raise ValueError(
                f"policy.kanban_cards: give one count per stage before the last ({before_last}), "
                f"got {len(cards)}"
            )
        return self


class Event(Frozen):
    """A scheduled shock.

    - ``scandal``: the firm's ethics profile drops by ``magnitude`` on every dimension (floored at 0).
    - ``virtue``: a viral ethical act raises it by ``magnitude`` (capped at 1).
    - ``supply_disruption``: the firm's supplier ships nothing for ``duration_days``.
    - ``demand_shift``: consumers' need rate is multiplied by ``magnitude`` for ``duration_days``.
    """

    kind: Literal["scandal", "virtue", "supply_disruption", "demand_shift"]
    day: Day
    """The day it takes effect; it must fall inside the run (before ``run.days``)."""
    firm: Name | None = None
    magnitude: NonNegFloat = 0.3
    duration_days: DayCount = 14


class Scenario(Frozen):
    """A whole scenario file."""

    name: Annotated[Name, Field(max_length=80)] = "scenario"
    """Shown in tables and reports; a default output folder's name is made from it (slugged)."""
    description: Annotated[str, Field(max_length=10_000)] = ""
    run: RunSettings = RunSettings()
    population: Population = Population()
    network: Network = Network()
    social: Social = Social()
    firms: Annotated[list[Firm], Field(min_length=1, max_length=50)]
    events: list[Event] = Field(default_factory=list)

    @model_validator(mode="after")
    def _cross_checks(self) -> Scenario:
        problems = cross_problems(self)
        if problems:
            raise Problems(problems)
        return self

    def shortened(self, days: int) -> tuple[Scenario, list[str]]:
        """A copy that runs ``days`` days, and notes on what that leaves out.

        The warm-up is cut to fit, and scheduled events and supplier disruptions after the new end
        are left out (they cannot happen in the shorter run): what a quick ``run --days`` of a long
        scenario means. Raises :class:`ScenarioError` if ``days`` itself is not a valid length.
        """
        if days == self.run.days:
            return self, []
        notes = []
        data = self.model_dump(mode="python")
        data["run"]["days"] = days
        if self.run.warmup_days >= days:
            data["run"]["warmup_days"] = days - 1
            notes.append(f"warm-up ({self.run.warmup_days} days) shortened to {days - 1}")
        late = [i for i, ev in enumerate(self.events) if ev.day >= days]
        if late:
            data["events"] = [e for i, e in enumerate(data["events"]) if i not in late]
            what = ", ".join(f"{self.events[i].kind} on day {self.events[i].day}" for i in late)
            notes.append(f"left out, after the end of the run: {what}")
        for i, firm in enumerate(self.firms):
            sup = firm.factory.supplier
            if sup is not None and any(dis.day >= days for dis in sup.disruptions):
                kept = [
                    d for d in data["firms"][i]["factory"]["supplier"]["disruptions"] if d["day"] < days
                ]
                data["firms"][i]["factory"]["supplier"]["disruptions"] = kept
                notes.append(f"left out, after the end of the run: {firm.name}'s supplier disruptions")
        return parse_scenario(data, source="<overrides>"), notes

    def with_overrides(self, overrides: Mapping[str, Any]) -> Scenario:
        """A copy with values replaced by dotted path (``population.mix.gen_z``, ``firms.1.price``).

        The result is validated again, so an override that breaks a rule raises
        :class:`ScenarioError`.
        """
        data = self.model_dump(mode="python")
        for path, value in overrides.items():
            set_path(data, path, value)
        return parse_scenario(data, source="<overrides>")


class Problems(ValueError):
    """Several problems found by one check that spans fields: ``(field.path, message)`` each.

    Raised inside a model validator, pydantic keeps the exception, and :func:`_problems` reports
    each problem on its own line (a plain ``ValueError`` would stop at the first).
    """

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p}: {m}" if p else m for p, m in problems))


def _get(node: Any, key: str, default: Any = None) -> Any:
    """``node[key]`` of a dict or ``node.key`` of a model; ``default`` when absent."""
    if isinstance(node, Mapping):
        return node.get(key, default)
    return getattr(node, key, default)


def _int(value: Any) -> int | None:
    """``value`` if it is a whole number (not a bool), else None (its own check reports it)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def cross_problems(scenario: Any) -> list[tuple[str, str]]:
    """The problems that span several sections of a scenario, all of them.

    ``scenario`` is a :class:`Scenario` or the raw data of one (nested dicts from TOML): on raw data
    a value of the wrong type is skipped (its own field check reports it), so that a file with a
    broken field still gets its cross-section problems reported in the same pass.
    """
    out: list[tuple[str, str]] = []
    firms = _get(scenario, "firms", [])
    firms = firms if isinstance(firms, list | tuple) else []
    names = [n for n in (_get(f, "name") for f in firms) if isinstance(n, str)]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        out.append(("firms", f"firm names must be unique, repeated: {', '.join(dupes)}"))
    run = _get(scenario, "run", {})
    days = _int(_get(run, "days", RunSettings.model_fields["days"].default))
    last = f"the run's last day is {days - 1}" if days is not None and days > 0 else ""
    events = _get(scenario, "events", [])
    for i, ev in enumerate(events if isinstance(events, list | tuple) else []):
        kind, firm, day = _get(ev, "kind"), _get(ev, "firm"), _int(_get(ev, "day"))
        if kind in ("scandal", "virtue", "supply_disruption") and firm is None:
            out.append((f"events.{i}.firm", f"a {kind} event needs a firm"))
        if isinstance(firm, str) and len(names) == len(firms) and firm not in names:
            out.append((f"events.{i}.firm", f"no firm named {firm!r} (firms: {', '.join(names)})"))
        if day is not None and last and day >= days:  # type: ignore[operator]
            out.append((f"events.{i}.day", f"day {day} is after the end of the run ({last})"))
    for i, f in enumerate(firms):
        supplier = _get(_get(f, "factory", {}), "supplier")
        breaks = _get(supplier, "disruptions", []) if supplier is not None else []
        for j, dis in enumerate(breaks if isinstance(breaks, list | tuple) else []):
            day = _int(_get(dis, "day"))
            if day is not None and last and day >= days:  # type: ignore[operator]
                out.append(
                    (
                        f"firms.{i}.factory.supplier.disruptions.{j}.day",
                        f"day {day} is after the end of the run ({last})",
                    )
                )
    network, population = _get(scenario, "network", {}), _get(scenario, "population", {})
    kind = _get(network, "kind", Network.model_fields["kind"].default)
    k = _int(_get(network, "k", Network.model_fields["k"].default))
    n = _int(_get(population, "size", Population.model_fields["size"].default))
    if n is not None and kind == "complete" and n > COMPLETE_GRAPH_MAX:
        out.append(
            (
                "network.kind",
                f"a complete graph over {n:,} consumers has {n * (n - 1) // 2:,} links; "
                f"use it only up to {COMPLETE_GRAPH_MAX:,} consumers (watts_strogatz scales)",
            )
        )
    if n is not None and k is not None and kind in ("watts_strogatz", "barabasi_albert") and k >= n:
        out.append(("network.k", f"network.k ({k}) must be < population.size ({n})"))
    return out


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


_FIELD_PREFIX = re.compile(r"^[a-z_][a-z0-9_.]*: ")


def _problems(err: ValidationError) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for e in err.errors():
        found = e.get("ctx", {}).get("error")
        if isinstance(found, Problems):
            prefix = _format_loc(tuple(e["loc"]))
            out += [(".".join(x for x in (prefix, p) if x), m) for p, m in found.problems]
            continue
        msg = e["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        loc = _format_loc(tuple(e["loc"]))
        if loc and _FIELD_PREFIX.match(msg):
            # a section's validator names the field(s) at fault, one per line ("field: ...")
            for line in msg.split("\n"):
                field, _, rest = line.partition(": ")
                out.append((f"{loc}.{field}", rest))
            continue
        # A cross-check error carries its own path prefix ("events.1.firm: ...").
        if ": " in msg and not loc and msg.split(": ", 1)[0].replace(".", "").isalnum():
            loc, msg = msg.split(": ", 1)
        if e["type"] == "extra_forbidden":
            msg = "unknown key (not a field of this section)"
        elif e["type"] == "finite_number":
            msg = f"must be a finite number, got {e.get('input')!r} (inf and nan are not numbers here)"
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
        problems = _problems(err)
    # A broken field stops pydantic before the checks that span sections; run those on the raw data
    # too, so that one pass reports every problem of the file.
    if isinstance(data, Mapping):
        problems += [p for p in cross_problems(data) if p not in problems]
    raise ScenarioError(source, problems)


MAX_TOML_BYTES = 16 * 2**20
"""Largest input TOML file: a scenario of 50 firms with 20 stages each is about 60 kB, and tomllib
reads 16 MiB in about a second; anything larger is not a scenario or sweep file."""
MAX_DEPTH = 32
"""Deepest nesting of tables and arrays in an input file (a scenario needs 6 levels)."""


def _depth(data: Any) -> int:
    """Nesting depth of dicts and lists, without recursion (a hostile file can nest thousands deep)."""
    deepest = 0
    stack = [(data, 1)]
    while stack:
        node, d = stack.pop()
        deepest = max(deepest, d)
        if d > MAX_DEPTH:
            break
        if isinstance(node, dict):
            stack.extend((v, d + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, d + 1) for v in node)
    return deepest


def read_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file, turning a missing, malformed, huge or absurdly nested file into
    :class:`ScenarioError`."""
    from simulator.paths import check_input_file

    p = Path(path)
    problem = check_input_file(p, MAX_TOML_BYTES)
    if problem:
        raise ScenarioError(str(p), [("", problem)])
    try:
        with p.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ScenarioError(str(p), [("", "file not found")]) from None
    except IsADirectoryError:
        raise ScenarioError(str(p), [("", "is a directory, not a file")]) from None
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(str(p), [("", f"not valid TOML: {err}")]) from None
    except RecursionError:
        raise ScenarioError(
            str(p), [("", f"nested too deeply (more than {MAX_DEPTH} levels of tables and arrays)")]
        ) from None
    except (OSError, UnicodeDecodeError) as err:
        raise ScenarioError(str(p), [("", f"cannot read: {err}")]) from None
    if _depth(data) > MAX_DEPTH:
        raise ScenarioError(
            str(p), [("", f"nested too deeply (more than {MAX_DEPTH} levels of tables and arrays)")]
        )
    return data


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file."""
    return parse_scenario(read_toml(path), source=str(path))


def dump_scenario(scenario: Scenario) -> dict[str, Any]:
    """The fully resolved scenario (defaults filled in) as JSON-ready data."""
    return scenario.model_dump(mode="json")
