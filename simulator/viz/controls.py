"""The page's sliders and selects, generated from the scenario schema, and how they change a scenario.

Think of the control desk next to a test rig: each knob is labelled with the quantity it sets and
can only turn as far as the rig's specification allows. Here the specification is the scenario
schema (:mod:`simulator.scenario`): a slider's ends are the pydantic limits of its field (``ge``,
``gt``, ``le``, ``lt``) and a select offers the values of its ``Literal``. Where the schema allows
more than a live page can show (five million consumers), the page's own cap is stated with it.

A knob's setting becomes a dotted-path override of the chosen scenario
(:meth:`~simulator.scenario.Scenario.with_overrides`), so the result is validated by the same rules
as a scenario file. Settings that only make sense together are reconciled here, with a note for the
page instead of an error: the generation-mix sliders are weights (normalised to shares), a network
denser than the population is thinned, human overrides are dropped when the decision mode is no
longer ``cobot``. :func:`build_scenario` never raises for any setting inside the sliders' ranges.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import annotated_types as at
from pydantic import BaseModel

from simulator.policies import registry
from simulator.policies.params import without_ignored
from simulator.scenario import (
    COMPLETE_GRAPH_MAX,
    GENERATIONS,
    Event,
    GenerationMix,
    Population,
    RunSettings,
    Scenario,
    ScenarioError,
)

VIZ_MAX_POPULATION = 200_000
"""The page's cap on consumers (the schema allows 5,000,000): a day of 200,000 takes ~0.1 s."""
NO_SCANDAL = "none"
"""The scandal-firm select's entry for "no scandal"."""
BASE_KEY = "base"
"""The fixed model parameter that carries the chosen scenario itself."""

ControlKind = Literal["SliderInt", "SliderFloat", "Select", "InputText"]


@dataclass(frozen=True)
class Control:
    """One input on the page: a Mesa ``model_params`` entry plus where its value goes.

    Attributes:
        key: the keyword argument of the live model (a Python identifier).
        kind: Mesa's input type.
        label: what the page shows (unique on the page; the browser test finds inputs by it).
        value: the starting value, taken from the chosen scenario.
        min: lower end of a slider.
        max: upper end of a slider.
        step: a slider's step.
        values: a select's entries.
    """

    key: str
    kind: ControlKind
    label: str
    value: Any
    min: float | None = None
    max: float | None = None
    step: float | None = None
    values: tuple[str, ...] = field(default_factory=tuple)

    def as_mesa(self) -> dict[str, Any]:
        """The entry in Mesa's ``model_params`` format."""
        out: dict[str, Any] = {"type": self.kind, "value": self.value, "label": self.label}
        if self.kind in ("SliderInt", "SliderFloat"):
            out.update(min=self.min, max=self.max, step=self.step)
        elif self.kind == "Select":
            out["values"] = list(self.values)
        return out


def field_limits(model: type[BaseModel], name: str) -> tuple[float | None, float | None]:
    """Inclusive ``(low, high)`` of a numeric field from its pydantic constraints (None: unbounded).

    A strict bound of an integer field moves one inside (``gt=0`` gives 1); a strict bound of a float
    field is returned as is (the caller keeps a step away from it).
    """
    info = model.model_fields[name]
    is_int = info.annotation is int
    lo: float | None = None
    hi: float | None = None
    for m in info.metadata:
        if isinstance(m, at.Ge):
            lo = float(m.ge)  # type: ignore[arg-type]
        elif isinstance(m, at.Gt):
            lo = float(m.gt) + (1 if is_int else 0)  # type: ignore[arg-type]
        elif isinstance(m, at.Le):
            hi = float(m.le)  # type: ignore[arg-type]
        elif isinstance(m, at.Lt):
            hi = float(m.lt) - (1 if is_int else 0)  # type: ignore[arg-type]
    return lo, hi


def literal_values(model: type[BaseModel], name: str) -> tuple[str, ...]:
    """The allowed values of a ``Literal`` field (empty if the field is no literal or absent)."""
    info = model.model_fields.get(name)
    if info is None:
        return ()
    ann = info.annotation
    if typing.get_origin(ann) is Literal:
        return tuple(str(v) for v in typing.get_args(ann))
    return ()


def _decision_modes(policy: str) -> tuple[str, ...]:
    """Decision modes a policy offers (empty when its parameters have no ``decision`` field)."""
    return literal_values(registry.params_model(policy), "decision")


def _first_scandal(base: Scenario) -> int | None:
    return next((i for i, ev in enumerate(base.events) if ev.kind == "scandal"), None)


def controls_for(base: Scenario) -> list[Control]:
    """Every input of the page, starting from ``base``'s values."""
    pop = base.population
    lo, hi = field_limits(Population, "size")
    size_hi = min(hi or VIZ_MAX_POPULATION, VIZ_MAX_POPULATION)
    out = [
        Control(
            "population_size",
            "SliderInt",
            "Consumers",
            min(pop.size, int(size_hi)),
            min=int(lo or 1),
            max=int(size_hi),
            step=1,
        )
    ]
    for g in GENERATIONS:
        glo, ghi = field_limits(GenerationMix, g)
        out.append(
            Control(
                f"mix_{g}",
                "SliderFloat",
                f"Mix weight: {g}",
                round(float(getattr(pop.mix, g)), 2),
                min=glo or 0.0,
                max=ghi or 1.0,
                step=0.01,
            )
        )
    vlo, vhi = field_limits(Population, "value_intensity")
    out.append(
        Control(
            "value_intensity",
            "SliderFloat",
            "Value intensity",
            float(pop.value_intensity),
            min=vlo or 0.0,
            max=vhi if vhi is not None else 5.0,
            step=0.05,
        )
    )
    names = registry.names()
    for i, f in enumerate(base.firms):
        out.append(Control(f"policy_{i}", "Select", f"{f.name}: policy", f.policy.name, values=names))
        modes = _decision_modes(f.policy.name)
        if modes:
            current = str(getattr(f.policy, "decision", modes[0]))
            out.append(Control(f"decision_{i}", "Select", f"{f.name}: decision", current, values=modes))
    k = _first_scandal(base)
    ev = base.events[k] if k is not None else None
    dlo, _ = field_limits(Event, "day")
    mlo, _ = field_limits(Event, "magnitude")
    default_mag = Event.model_fields["magnitude"].get_default()
    out += [
        Control(
            "scandal_firm",
            "Select",
            "Scandal: firm",
            ev.firm if ev is not None and ev.firm else NO_SCANDAL,
            values=(NO_SCANDAL, *(f.name for f in base.firms)),
        ),
        Control(
            "scandal_day",
            "SliderInt",
            "Scandal: day",
            ev.day if ev is not None else base.run.days // 3,
            min=int(dlo or 0),
            # the schema sets no upper limit; a day past the run would never be seen
            max=max(base.run.days, ev.day if ev is not None else 0),
            step=1,
        ),
        Control(
            "scandal_magnitude",
            "SliderFloat",
            "Scandal: magnitude",
            float(ev.magnitude if ev is not None else default_mag),
            min=mlo or 0.0,
            # a scandal lowers ethics scores on a 0-1 scale: beyond 1 changes nothing
            max=1.0,
            step=0.05,
        ),
        Control("seed", "InputText", "Seed", str(base.run.seed)),
    ]
    return out


def model_params(base: Scenario) -> dict[str, Any]:
    """Mesa's ``model_params`` for the page: every control plus the fixed scenario."""
    params: dict[str, Any] = {c.key: c.as_mesa() for c in controls_for(base)}
    params[BASE_KEY] = base
    return params


def control_keys(base: Scenario) -> set[str]:
    """The keyword arguments the live model accepts for ``base``."""
    return {c.key for c in controls_for(base)}


def _seed(text: Any, default: int, notes: list[str]) -> int:
    lo, _ = field_limits(RunSettings, "seed")
    try:
        seed = int(str(text).strip())
    except ValueError:
        notes.append(f"Seed {text!r} is not a whole number: used {default}.")
        return default
    if lo is not None and seed < lo:
        notes.append(f"Seed {seed} is below {int(lo)}: used {default}.")
        return default
    return seed


def _policy(base_policy: BaseModel, name: str, decision: Any, label: str, notes: list[str]) -> Any:
    """The policy parameters for a firm's policy and decision selects."""
    old_name = base_policy.name  # type: ignore[attr-defined]
    # the scenario's own numbers are kept for its own policy; another policy starts from its defaults
    params: dict[str, Any] = (
        base_policy.model_dump(mode="python") if name == old_name else {"name": name}
    )
    modes = _decision_modes(name)
    if decision is not None and modes:
        if str(decision) not in modes:
            kept = params.get("decision", "its default")
            notes.append(f"{label}: decision {decision!r} unknown to {name}; kept {kept}.")
        else:
            params["decision"] = str(decision)
            if decision != "cobot" and params.get("overrides"):
                notes.append(f"{label}: human overrides apply to a cobot decision only; dropped.")
                params["overrides"] = []
    # settings the new mode would not read are refused by the scenario: drop them, with a note
    params, dropped = without_ignored(params)
    notes.extend(f"{label}: {d}." for d in dropped)
    return params


def build_scenario(base: Scenario, values: Mapping[str, Any]) -> tuple[Scenario, int, list[str]]:
    """The scenario the page's controls describe, its seed, and notes on what was adjusted.

    Args:
        base: the scenario the page started from.
        values: control key -> value (missing keys keep ``base``'s value).

    Returns:
        ``(scenario, seed, notes)``; if the settings still break a scenario rule, ``base`` itself
        with the rule in ``notes``.
    """
    notes: list[str] = []
    ov: dict[str, Any] = {}
    pop = base.population
    size = int(values.get("population_size", pop.size))
    weights = [max(0.0, float(values.get(f"mix_{g}", getattr(pop.mix, g)))) for g in GENERATIONS]
    total = sum(weights)
    if total > 0:
        shares = [w / total for w in weights]
        shares[-1] = 1.0 - sum(shares[:-1])  # exact sum despite rounding
        ov["population.mix"] = {g: max(0.0, s) for g, s in zip(GENERATIONS, shares, strict=True)}
    else:
        notes.append("All generation-mix weights are 0: kept the scenario's mix.")
    ov["population.value_intensity"] = float(values.get("value_intensity", pop.value_intensity))
    net = base.network
    if net.kind == "complete" and size > COMPLETE_GRAPH_MAX:
        notes.append(
            f"A complete network spans at most {COMPLETE_GRAPH_MAX:,} consumers: used that many."
        )
        size = COMPLETE_GRAPH_MAX
    if net.kind in ("watts_strogatz", "barabasi_albert") and net.k >= size:
        notes.append(f"{size:,} consumers cannot each have {net.k} neighbours: used {size - 1}.")
        ov["network.k"] = size - 1
    ov["population.size"] = size
    for i, f in enumerate(base.firms):
        name = str(values.get(f"policy_{i}", f.policy.name))
        ov[f"firms.{i}.policy"] = _policy(f.policy, name, values.get(f"decision_{i}"), f.name, notes)
    events = [ev.model_dump(mode="python") for ev in base.events]
    k = _first_scandal(base)
    firm = str(values.get("scandal_firm", base.events[k].firm if k is not None else NO_SCANDAL))
    if firm == NO_SCANDAL:
        if k is not None:
            del events[k]
    else:
        ev = base.events[k] if k is not None else None
        scandal = {
            "kind": "scandal",
            "firm": firm,
            "day": int(values.get("scandal_day", ev.day if ev is not None else base.run.days // 3)),
            "magnitude": float(values.get("scandal_magnitude", ev.magnitude if ev is not None else 0.3)),
        }
        if k is None:
            events.append(scandal)
        else:
            events[k] = {**events[k], **scandal}
    ov["events"] = events
    seed = _seed(values.get("seed", base.run.seed), base.run.seed, notes)
    try:
        return base.with_overrides(ov), seed, notes
    except ScenarioError as e:
        return base, seed, [*notes, "Settings not used: " + "; ".join(e.lines())]
