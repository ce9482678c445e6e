"""Experiment designs: which scenarios to run, with which policies, on which seeds.

An experiment is a set of questions asked of one base scenario, like a test kitchen trying a recipe
with more or less salt (the swept parameters, our uncertainties about the world) and two ways of
running the kitchen (the policies, our levers). Each design point is the base scenario with some
values replaced by their dotted path (``population.value_intensity``, ``firms.PullCo.price``: a firm
by name or number); at every point every policy is run on the same replication seeds (common
random numbers).

A sweep file is TOML validated like a scenario (unknown keys rejected, each problem reported as
``FILE: field.path: message``)::

    name = "value_share_demo"
    scenario = "../scenarios/small.toml"   # relative to this file
    firm = "PullCo"                        # whose policy the policies replace
    policies = ["supplier_centric", "demand_centric"]
    replications = 6
    seed = 7
    [design]
    kind = "grid"                          # grid | lhs | sobol
    points = 5
    [[parameters]]
    path = "population.value_intensity"
    low = 0.0
    high = 3.0

A policy given by name alone keeps the firm's own parameters of that policy when the scenario gives
it that policy, and takes the policy's defaults otherwise; a table (``{name = "demand_centric",
buffer = 20, label = "pull20"}``) gives the parameters explicitly.
A comparison changes the policy only: the product, price, ethics, costs and plant stay as in the
scenario. To ask about a second factor too (the product's positioning, the market), declare it as a
``[factor]`` with two or more ``levels``, each a table of ``settings`` (paths inside the firm, such
as ``price`` or ``ethics.environment``, or scenario paths such as ``population.mix.gen_z``): every
policy then runs at every level on the same seeds (a factorial design) and the report splits the
difference into the pure policy effect, the factor's effect and their interaction
(:mod:`simulator.experiments.factorial`)::

    [factor]
    name = "product"
    [[factor.levels]]
    label = "conventional"
    settings = { price = 100.0, "ethics.environment" = 0.4 }
    [[factor.levels]]
    label = "ethical"
    settings = { price = 108.0, "ethics.environment" = 0.85 }

A share of the generation mix (``population.mix.gen_z``) is set as given and the other generations
are rescaled in proportion so that the shares still sum to one. ``marketsim compare`` builds the
same object with no parameters.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, ValidationError, model_validator
from scipy.stats import qmc

from simulator.policies.params import PolicyParams
from simulator.rng import Streams, replication_seeds
from simulator.scenario import (
    GENERATIONS,
    Name,
    Scenario,
    ScenarioError,
    _problems,
    load_scenario,
    read_toml,
)
from simulator.schema import StrictModel

LABEL = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
CELL_LABEL = re.compile(r"^[A-Za-z0-9_-]{1,40}\+[A-Za-z0-9_-]{1,30}$")


class _Frozen(StrictModel):
    """Frozen, unknown keys rejected, finite numbers of bounded size (:mod:`simulator.schema`)."""


class PolicyChoice(_Frozen):
    """One policy to try on the chosen firm."""

    label: str
    policy: PolicyParams
    use_scenario_params: bool = False
    """Start from the firm's own parameters of this policy when the scenario gives it this policy."""
    firm_settings: dict[str, float | int | str | bool] = Field(default_factory=dict)
    """Settings of one factorial cell (set from a ``[factor]`` level, never by the user: a
    comparison changes the policy only), by path inside the firm (``price``, ``ethics.environment``)
    or in the scenario (``population.mix.gen_z``)."""


class FactorLevel(_Frozen):
    """One level of the second factor: a label and the settings that make it."""

    label: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,30}$")]
    settings: Annotated[dict[str, float | int | str | bool], Field(min_length=1)]
    """Paths inside the varied firm (``price``, ``ethics.environment``, ``factory.material_cost``) or
    in the scenario (``population.mix.gen_z``, ``firms.0.price``)."""


class Factor(_Frozen):
    """A second factor crossed with the policies (a factorial design): product positioning, market."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_ -]{1,40}$")] = "product"
    levels: Annotated[list[FactorLevel], Field(min_length=2, max_length=10)]

    @model_validator(mode="after")
    def _levels_unique(self) -> Factor:
        labels = [lv.label for lv in self.levels]
        if len(set(labels)) != len(labels):
            raise ValueError("levels: labels must be unique")
        keys = [sorted(lv.settings) for lv in self.levels]
        if any(k != keys[0] for k in keys):
            raise ValueError(
                "levels: every level must set the same paths (a level that leaves one out would "
                "keep the scenario's value, which is a level of its own)"
            )
        return self


CELL_SEP = "+"
"""Separates the policy and the level in a factorial cell's label (``push+ethical``)."""


class ScenarioChoice(_Frozen):
    """One whole scenario in a scenario-vs-scenario comparison (``marketsim compare A B``)."""

    label: str
    path: str


class Parameter(_Frozen):
    """A swept scenario value: a range (``low``..``high``) or an explicit list of ``values``."""

    path: Annotated[str, Field(min_length=1)]
    low: float | None = None
    high: float | None = None
    values: list[float] | None = None
    integer: bool = False
    """Round sampled values to whole numbers (counts such as ``firms.0.factory.machines``)."""

    @model_validator(mode="after")
    def _range_or_values(self) -> Parameter:
        if self.values is not None:
            if self.low is not None or self.high is not None:
                raise ValueError("give either values or low/high, not both")
            if len(self.values) == 0:
                raise ValueError("values: give at least one value")
        elif self.low is None or self.high is None:
            raise ValueError("give low and high (or a list of values)")
        elif not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be < high ({self.high})")
        return self


class Design(_Frozen):
    """How points are placed: a full grid, a Latin hypercube, or Saltelli's Sobol design."""

    kind: Literal["grid", "lhs", "sobol"] = "grid"
    points: Annotated[int, Field(ge=1, le=100_000)] = 5
    """Grid: levels per parameter (without ``values``); lhs: samples; sobol: base N (a power of 2)."""
    second_order: bool = False
    """Sobol only: also second-order indices (N * (2D + 2) points instead of N * (D + 2))."""

    @model_validator(mode="after")
    def _sobol_power_of_two(self) -> Design:
        if self.kind == "sobol" and self.points & (self.points - 1):
            raise ValueError(f"points: Sobol's base sample must be a power of 2, got {self.points}")
        return self


KPI_NAMES: tuple[str, ...] = (
    "profit",
    "cash_profit",
    "revenue",
    "operating_margin",
    "cost_per_unit",
    "units_sold",
    "market_share",
    "fill_rate",
    "otif",
    "otif_requested",
    "mean_lead_time_days",
    "lead_time_p95_days",
    "defect_ppm",
    "mean_inventory",
    "inventory_turns",
    "bullwhip_ratio",
)


class ExperimentSpec(_Frozen):
    """A comparison of policies over design points and replications (the content of a sweep file)."""

    name: Annotated[Name, Field(max_length=80)] = "experiment"
    """Shown in reports; a default output folder's name is made from it (slugged)."""
    description: Annotated[str, Field(max_length=2000)] | None = None
    """What the experiment asks, in a sentence (listed by ``marketsim scenarios``)."""
    scenario: Annotated[str, Field(min_length=1, max_length=4096)]
    firm: Name | None = None
    """The firm whose policy is replaced (default: the first firm)."""
    policies: Annotated[list[PolicyChoice], Field(max_length=20)] = Field(default_factory=list)
    scenarios: Annotated[list[ScenarioChoice], Field(max_length=20)] = Field(default_factory=list)
    """Whole scenarios to compare with each other (instead of policies of one firm)."""
    replications: Annotated[int, Field(ge=2, le=10_000)] = 5
    seed: Annotated[int, Field(ge=0)] = 0
    days: Annotated[int | None, Field(ge=2)] = None
    warmup_days: Annotated[int | None, Field(ge=0)] = None
    kpi: Literal[KPI_NAMES] = "profit"  # type: ignore[valid-type]
    """The KPI that sensitivity indices and the tipping point are computed for."""
    design: Design = Design()
    parameters: list[Parameter] = Field(default_factory=list)
    factor: Factor | None = None
    """A second factor crossed with the policies (see the module docstring)."""
    cells: dict[str, tuple[str, str]] = Field(default_factory=dict)
    """Factorial designs: each run label's (policy label, level label); filled from ``factor``."""

    @model_validator(mode="before")
    @classmethod
    def _expand_policies(cls, data: Any) -> Any:
        # "name" is shorthand for {policy = {name = ...}} that keeps the firm's own parameters; a table
        # carries its label next to the policy's parameters.
        if not isinstance(data, dict) or not isinstance(data.get("policies"), list):
            return data
        if data.get("cells"):
            if data.get("factor") is None:
                raise ValueError("cells: set by a [factor], not by hand")
            return data  # already expanded (a spec dumped and read back)
        out = []
        for i, p in enumerate(data["policies"]):
            if isinstance(p, dict) and p.get("firm_settings"):
                raise ValueError(
                    f"policies.{i}.firm_settings: a comparison changes the policy only (product, "
                    "price, ethics, costs and plant stay equal); to compare products too, give "
                    "them as [factor] levels: the report then splits the difference into the "
                    "policy effect, the product effect and their interaction"
                )
            if isinstance(p, str):
                out.append({"label": p, "policy": {"name": p}, "use_scenario_params": True})
            elif isinstance(p, dict) and "policy" not in p:
                q = dict(p)
                label = q.pop("label", q.get("name"))
                extra = {k: q.pop(k) for k in ("use_scenario_params",) if k in q}
                out.append({"label": label, "policy": q, **extra})
            else:
                out.append(p)
        factor = data.get("factor")
        if isinstance(factor, dict) and isinstance(factor.get("levels"), list):
            cells, expanded = {}, []
            # level-major: the first two runs are the two policies on the same first level, so the
            # default difference a report draws is a pure policy effect
            for lv in factor["levels"]:
                if not isinstance(lv, dict) or not isinstance(lv.get("settings"), dict):
                    return {**data, "policies": out}  # the Factor model reports the problem
                for p in out:
                    label = f"{p['label']}{CELL_SEP}{lv.get('label')}"
                    cells[label] = (p["label"], lv.get("label"))
                    expanded.append({**p, "label": label, "firm_settings": lv["settings"]})
            return {**data, "policies": expanded, "cells": cells}
        return {**data, "policies": out}

    @model_validator(mode="after")
    def _labels(self) -> ExperimentSpec:
        if bool(self.policies) == bool(self.scenarios):
            raise ValueError("policies: give the policies to compare (or, instead, scenarios)")
        if self.scenarios and self.parameters:
            raise ValueError("parameters: a comparison of whole scenarios sweeps no parameter")
        if self.scenarios and self.firm is not None:
            raise ValueError("firm: a comparison of whole scenarios reports every firm")
        labels = [p.label for p in (self.policies or self.scenarios)]
        for i, lab in enumerate(labels):
            if not LABEL.match(lab) and not (self.cells and CELL_LABEL.match(lab)):
                raise ValueError(f"policies.{i}.label: use letters, digits, '_' or '-' (got {lab!r})")
        dupes = sorted({x for x in labels if labels.count(x) > 1})
        if dupes:
            raise ValueError(
                f"policies: labels must be unique, repeated: {', '.join(dupes)}; add label = ..."
            )
        paths = [p.path for p in self.parameters]
        if len(set(paths)) != len(paths):
            raise ValueError("parameters: each path may be swept only once")
        if self.design.kind == "sobol" and not self.parameters:
            raise ValueError("design.kind: a Sobol design needs at least one parameter")
        if self.design.kind != "grid" and any(p.values is not None for p in self.parameters):
            raise ValueError(
                f"parameters: explicit values need design.kind = 'grid', not {self.design.kind!r}"
            )
        return self


@dataclass(frozen=True)
class Point:
    """One design point: its number and the swept values by path."""

    index: int
    values: dict[str, float]


@dataclass(frozen=True)
class Experiment:
    """A validated experiment: the resolved base scenario, the firm, the points and the seeds.

    A comparison of whole scenarios (``spec.scenarios``) has no varied firm (``firm`` is None: every
    firm is reported) and one resolved scenario per label in ``scenarios``; ``base`` is the first.
    """

    spec: ExperimentSpec
    base: Scenario
    firm: str | None
    points: list[Point]
    source: str
    estimate: Any = None
    """What the sweep will take on this machine (:class:`simulator.resources.Estimate`)."""
    scenarios: dict[str, Scenario] = dataclasses.field(default_factory=dict)

    @property
    def choices(self) -> list[PolicyChoice] | list[ScenarioChoice]:
        """What is compared: the policies, or the whole scenarios."""
        return self.spec.scenarios or self.spec.policies

    @property
    def labels(self) -> list[str]:
        """Labels of what is compared (policies or scenarios), in the order given."""
        return [c.label for c in self.choices]

    @property
    def mode(self) -> str:
        """``policies`` (one firm's policy varies) or ``scenarios`` (whole scenarios compared)."""
        return "scenarios" if self.spec.scenarios else "policies"

    def seeds(self) -> list[np.random.SeedSequence]:
        """Replication seeds, the same for every point and policy (common random numbers)."""
        return replication_seeds(self.spec.seed, self.spec.replications)

    def scenario_for(self, point: Point, choice: PolicyChoice | ScenarioChoice) -> Scenario:
        """The scenario one run simulates: the base scenario with the firm's policy replaced and
        the point's values set, or a compared scenario itself."""
        if isinstance(choice, ScenarioChoice):
            return self.scenarios[choice.label]
        assert self.firm is not None
        return build_scenario(self.base, self.firm, choice, point.values)

    def fingerprint(self) -> str:
        """A hash of everything that decides the runs (a resumed sweep must match it)."""
        data = {
            "spec": self.spec.model_dump(mode="json", exclude={"scenario"}),
            "base": self.base.model_dump(mode="json"),
            "points": [p.values for p in self.points],
            **(
                {"scenarios": {k: v.model_dump(mode="json") for k, v in self.scenarios.items()}}
                if self.scenarios
                else {}
            ),
        }
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def scenario_path(base: Scenario, path: str) -> str:
    """A swept path with a firm named instead of numbered (``firms.EthicalCo.price``) as the
    scenario's own path (``firms.1.price``); other paths unchanged."""
    parts = path.split(".")
    if len(parts) >= 2 and parts[0] == "firms" and not parts[1].isdigit():
        names = [f.name for f in base.firms]
        if parts[1] in names:
            parts[1] = str(names.index(parts[1]))
    return ".".join(parts)


def build_scenario(
    base: Scenario, firm: str, policy: PolicyChoice, values: dict[str, float]
) -> Scenario:
    """``base`` with ``firm``'s policy replaced by ``policy`` and the swept ``values`` set."""
    idx = [f.name for f in base.firms].index(firm)
    current = base.firms[idx].policy
    if policy.use_scenario_params and current.name == policy.policy.name:
        params: Any = current.model_dump(mode="python")
    else:
        params = policy.policy.model_dump(mode="python")
    overrides: dict[str, Any] = {f"firms.{idx}.policy": params}
    top = set(Scenario.model_fields)
    settings = {
        (k if k.split(".", 1)[0] in top else f"firms.{idx}.{k}"): v
        for k, v in policy.firm_settings.items()
    }
    overrides.update(_with_mix_rescaled(base, settings))
    overrides.update(_with_mix_rescaled(base, values))
    return base.with_overrides(overrides)


def _with_mix_rescaled(base: Scenario, values: dict[str, Any]) -> dict[str, Any]:
    # Setting one generation's share leaves the others in their old proportions, scaled to fill the
    # rest, so a sweep over "share of gen Z" stays a valid population.
    values = {scenario_path(base, p): v for p, v in values.items()}
    out: dict[str, Any] = dict(values)
    fixed = {p.rsplit(".", 1)[1]: v for p, v in values.items() if p.startswith("population.mix.")}
    if not fixed or set(fixed) - set(GENERATIONS):
        return out
    rest = [g for g in GENERATIONS if g not in fixed]
    old = {g: getattr(base.population.mix, g) for g in rest}
    room = 1.0 - sum(fixed.values())
    total = sum(old.values())
    for g in rest:
        out[f"population.mix.{g}"] = room * old[g] / total if total > 0 else room / len(rest)
    return out


def _design_values(spec: ExperimentSpec) -> list[dict[str, float]]:
    params = spec.parameters
    if not params:
        return [{}]
    rng = Streams(spec.seed).get("design")
    d = len(params)
    if spec.design.kind == "grid":
        axes = [
            list(p.values)
            if p.values is not None
            else list(np.linspace(float(p.low or 0), float(p.high or 0), spec.design.points))
            for p in params
        ]
        unit = None
        rows = [list(combo) for combo in itertools.product(*axes)]
    elif spec.design.kind == "lhs":
        unit = qmc.LatinHypercube(d, rng=rng).random(spec.design.points)
        rows = [[p.low + u * (p.high - p.low) for p, u in zip(params, row, strict=True)] for row in unit]  # type: ignore[operator]
    else:
        from SALib.sample import sobol

        rows = sobol.sample(
            salib_problem(spec),
            spec.design.points,
            calc_second_order=spec.design.second_order,
            seed=int(rng.integers(2**31 - 1)),
        ).tolist()
    out = []
    for row in rows:
        vals = {}
        for p, v in zip(params, row, strict=True):
            vals[p.path] = float(round(v)) if p.integer else float(v)
        out.append(vals)
    return out


def salib_problem(spec: ExperimentSpec) -> dict[str, Any]:
    """The SALib problem dict of the swept parameters."""
    return {
        "num_vars": len(spec.parameters),
        "names": [p.path for p in spec.parameters],
        "bounds": [[p.low, p.high] for p in spec.parameters],
    }


def planned_points(spec: ExperimentSpec) -> int:
    """How many design points ``spec`` makes, counted without making them."""
    params = spec.parameters
    if not params:
        return 1
    if spec.design.kind == "grid":
        n = 1
        for p in params:
            n *= len(p.values) if p.values is not None else spec.design.points
        return n
    if spec.design.kind == "lhs":
        return spec.design.points
    d = len(params)
    return spec.design.points * ((2 * d + 2) if spec.design.second_order else (d + 2))


def _largest(base: Scenario, spec: ExperimentSpec) -> Scenario:
    # the sizes that drive memory and time, at the top of their swept range
    sizes = ("population.size", "network.k", "run.days")
    top = {}
    for p in spec.parameters:
        if p.path in sizes:
            top[p.path] = int(max(p.values) if p.values is not None else (p.high or 0))
    try:
        return base.with_overrides(top) if top else base
    except ScenarioError:
        return base  # _check_parameters reports the bad value


def parse_experiment(
    data: dict[str, Any],
    source: str,
    base_dir: Path | None = None,
    *,
    allow_large: bool = True,
    workers: int | None = None,
) -> Experiment:
    """Validate an experiment given as nested dicts (a sweep file's content).

    Before the design points are made and each point's scenario validated, the sweep's memory and
    time are estimated (:mod:`simulator.resources`); unless ``allow_large``, a sweep this machine
    cannot run is refused then, before any work.

    Args:
        data: the sweep file's content.
        source: the file's name, for messages.
        base_dir: the folder the scenario path is relative to.
        allow_large: do not refuse a sweep that exceeds this machine (library default).
        workers: processes the runs will share (default: this machine's cores).

    Raises:
        ScenarioError: with one ``(field.path, message)`` per problem, including problems that only
            show once the values are put into the scenario (an unknown path, a value out of range).
    """
    try:
        spec = ExperimentSpec.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(source, _problems(err)) from None
    if spec.scenarios:
        return _scenarios_experiment(spec, source, base_dir, allow_large, workers)
    scen_path = Path(spec.scenario)
    if base_dir is not None and not scen_path.is_absolute():
        scen_path = base_dir / scen_path
    try:
        base = load_scenario(scen_path)
    except ScenarioError as err:
        raise ScenarioError(source, [("scenario", line) for line in err.lines()]) from None
    overrides: dict[str, Any] = {}
    if spec.days is not None:
        overrides["run.days"] = spec.days
    if spec.warmup_days is not None:
        overrides["run.warmup_days"] = spec.warmup_days
    if overrides:
        try:
            base = base.with_overrides(overrides)
        except ScenarioError as err:
            field = {"run.days": "days", "run.warmup_days": "warmup_days", "run": "warmup_days"}
            raise ScenarioError(source, [(field.get(p, p), m) for p, m in err.problems]) from None
    import os

    from simulator.resources import (
        check_fits,
        input_file_problems,
        run_estimate,
        sweep_estimate,
    )

    files = input_file_problems(base)
    if files:
        raise ScenarioError(source, [("scenario", f"{scen_path}: {p}: {m}") for p, m in files])
    runs = planned_points(spec) * len(spec.policies) * spec.replications
    per_run = run_estimate(_largest(base, spec), agents=False)
    estimate = sweep_estimate(per_run, runs, workers or os.cpu_count() or 1)
    check_fits(estimate, source, "design", allow_large)
    names = [f.name for f in base.firms]
    firm = spec.firm if spec.firm is not None else names[0]
    if firm not in names:
        raise ScenarioError(
            source, [("firm", f"no firm named {firm!r} in the scenario (firms: {', '.join(names)})")]
        )
    problems = _check_parameters(spec, base, firm)
    if problems:
        raise ScenarioError(source, problems)
    points = [Point(i, v) for i, v in enumerate(_design_values(spec))]
    exp = Experiment(spec, base, firm, points, source, estimate)
    # Every (point, policy) scenario must be valid before the first run starts: a sweep should not
    # fail after an hour on a point that could never have run.
    for point in points:
        for i, pol in enumerate(spec.policies):
            try:
                exp.scenario_for(point, pol)
            except ScenarioError as err:
                at = ", ".join(f"{k}={v:g}" for k, v in point.values.items()) or "the base scenario"
                raise ScenarioError(
                    source, [(f"policies.{i}", f"at {at}: {m}") for m in err.lines()]
                ) from None
    return exp


def _check_parameters(spec: ExperimentSpec, base: Scenario, firm: str) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    known = base.model_dump(mode="python")
    names = [f.name for f in base.firms]
    for i, p in enumerate(spec.parameters):
        node: Any = known
        parts = p.path.split(".")
        if len(parts) >= 2 and parts[0] == "firms" and not parts[1].isdigit() and parts[1] not in names:
            problems.append(
                (
                    f"parameters.{i}.path",
                    f"{p.path!r}: no firm named {parts[1]!r} (firms: {', '.join(names)})",
                )
            )
            continue
        for part in scenario_path(base, p.path).split("."):
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                problems.append((f"parameters.{i}.path", f"{p.path!r} is not a value in the scenario"))
                break
        else:
            if (
                isinstance(node, dict | list)
                or not isinstance(node, int | float)
                or isinstance(node, bool)
            ):
                problems.append((f"parameters.{i}.path", f"{p.path!r} is not a number in the scenario"))
                continue
            for field in ("low", "high"):
                v = getattr(p, field)
                vals = [v] if v is not None else []
                if field == "low" and p.values is not None:
                    vals, field = list(p.values), "values"
                for v in vals:
                    try:
                        base.with_overrides(_with_mix_rescaled(base, {p.path: v}))
                    except ScenarioError as err:
                        problems.append(
                            (f"parameters.{i}.{field}", "; ".join(f"{q}: {m}" for q, m in err.problems))
                        )
                        break
    return problems


def load_experiment(
    path: str | Path, *, allow_large: bool = True, workers: int | None = None
) -> Experiment:
    """Read and validate a sweep file (see :func:`parse_experiment` for the size check)."""
    p = Path(path)
    return parse_experiment(
        read_toml(p), str(p), base_dir=p.parent, allow_large=allow_large, workers=workers
    )


def compare_experiment(
    scenario_path: str | Path,
    policies: list[str] | list[dict[str, Any]],
    firm: str | None,
    replications: int,
    seed: int,
    days: int | None,
    warmup_days: int | None,
    *,
    allow_large: bool = True,
    workers: int | None = None,
) -> Experiment:
    """The experiment of ``marketsim compare``: one point, the named policies, paired replications."""
    data: dict[str, Any] = {
        "name": f"compare-{Path(scenario_path).stem}",
        "scenario": str(scenario_path),
        "policies": policies,
        "replications": replications,
        "seed": seed,
    }
    if firm is not None:
        data["firm"] = firm
    if days is not None:
        data["days"] = days
    if warmup_days is not None:
        data["warmup_days"] = warmup_days
    return parse_experiment(data, "command line", allow_large=allow_large, workers=workers)


def compare_scenarios_experiment(
    scenario_paths: list[str | Path],
    replications: int,
    seed: int,
    days: int | None,
    warmup_days: int | None,
    *,
    allow_large: bool = True,
    workers: int | None = None,
) -> Experiment:
    """The experiment of ``marketsim compare A.toml B.toml [...]``: whole scenarios side by side.

    Each scenario is labelled by its file name.

    Raises:
        ScenarioError: a scenario is bad, or the scenarios simulate different periods.
    """
    labels: list[str] = []
    for i, raw in enumerate(scenario_paths):
        label = re.sub(r"[^A-Za-z0-9_-]", "_", Path(raw).stem)[:40] or f"s{i}"
        labels.append(label if label not in labels else f"{label}_{i}")
    data: dict[str, Any] = {
        "name": ("compare-" + "-vs-".join(labels))[:80],
        "scenario": str(scenario_paths[0]),
        "scenarios": [{"label": k, "path": str(p)} for k, p in zip(labels, scenario_paths, strict=True)],
        "replications": replications,
        "seed": seed,
        **({"days": days} if days is not None else {}),
        **({"warmup_days": warmup_days} if warmup_days is not None else {}),
    }
    return parse_experiment(data, "command line", allow_large=allow_large, workers=workers)


def _scenarios_experiment(
    spec: ExperimentSpec,
    source: str,
    base_dir: Path | None,
    allow_large: bool = True,
    workers: int | None = None,
) -> Experiment:
    """A comparison of whole scenarios: each loaded, with the spec's days and warm-up applied.

    Every scenario runs on the same replication seeds (common random numbers): replication ``r`` of
    each draws its consumers and shocks from the same named streams, so the differences between
    scenarios are paired. They must simulate the same days with the same warm-up.
    """
    if len(spec.scenarios) < 2:
        raise ScenarioError(source, [("scenarios", "name at least two scenarios to compare")])
    loaded: dict[str, Scenario] = {}
    problems: list[tuple[str, str]] = []
    overrides = _run_overrides(spec.days, spec.warmup_days)
    for i, choice in enumerate(spec.scenarios):
        path = Path(choice.path)
        if base_dir is not None and not path.is_absolute():
            path = base_dir / path
        try:
            sc = load_scenario(path)
            loaded[choice.label] = sc.with_overrides(overrides) if overrides else sc
        except ScenarioError as err:
            problems += [(f"scenarios.{i}", line) for line in err.lines()]
    if problems:
        raise ScenarioError(source, problems)
    periods = {(s.run.days, s.run.warmup_days) for s in loaded.values()}
    if len(periods) > 1:
        listed = "; ".join(
            f"{k}: {s.run.days} days, warm-up {s.run.warmup_days}" for k, s in loaded.items()
        )
        raise ScenarioError(
            source,
            [("scenarios", f"they simulate different periods ({listed}); give days and a warm-up")],
        )
    import os

    from simulator.resources import check_fits, input_file_problems, run_estimate, sweep_estimate

    for i, (label, sc) in enumerate(loaded.items()):
        problems += [(f"scenarios.{i}", f"{label}: {p}: {m}") for p, m in input_file_problems(sc)]
    if problems:
        raise ScenarioError(source, problems)
    per_run = max(
        (run_estimate(sc, agents=False) for sc in loaded.values()), key=lambda e: e.memory_bytes
    )
    runs = len(loaded) * spec.replications
    estimate = sweep_estimate(per_run, runs, workers or os.cpu_count() or 1)
    check_fits(estimate, source, "scenarios", allow_large)
    base = loaded[spec.scenarios[0].label]
    return Experiment(spec, base, None, [Point(0, {})], source, estimate=estimate, scenarios=loaded)


def _run_overrides(days: int | None, warmup_days: int | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if days is not None:
        out["run.days"] = days
    if warmup_days is not None:
        out["run.warmup_days"] = warmup_days
    return out
