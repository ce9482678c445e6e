"""Tuning a policy before judging it: search its own settings for the best expected profit.

A verdict between supply chains is only as good as the settings each ran with: a push chain planned
on a wrong lead time, or a pull chain with too small a buffer, loses for a reason that is not the
supply chain. So before comparing, each policy's own parameters are searched for the highest mean
profit of the firm over a few replications, every candidate on the same replication seeds (common
random numbers, so candidates are compared on the same consumers and shocks), with Optuna's
tree-structured Parzen estimator (Akiba et al., "Optuna: a next-generation hyperparameter
optimization framework", KDD 2019; Bergstra et al., NeurIPS 2011). The starting point (the settings
in the scenario) is always the first candidate, so tuning never reports something worse than it.

The search spaces, by policy and decision mode (a parameter with no effect in the mode is not
searched):

- push (``supplier_centric``): the planning lead time (measured, or a given number of days), the
  review period, the smallest lot, and the safety factor (``rules``) or service level (``data``);
- pull (``demand_centric``): the buffer (``rules``) or service level (``data``), and, on a plant
  with a shift calendar, the S&OP's target utilisation and the most shifts it may run.

:func:`verdict` then runs the tuned policies against each other on fresh seeds (not the tuning
seeds, which the search has adapted to) and :func:`sensitivity` moves each tuned setting to the
ends of its range, one at a time, to show how much the verdict depends on it.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from simulator.experiments.stats import paired_difference
from simulator.rng import replication_seeds
from simulator.scenario import Scenario

TUNE_SEED_OFFSET = 7919
"""Tuning seeds are ``SeedSequence(seed + this)``: apart from the verdict's ``SeedSequence(seed)``."""


@dataclass(frozen=True)
class Knob:
    """One searched parameter: its kind and range (``choices`` for categorical ones)."""

    name: str
    kind: str  # "int" | "float" | "lead"
    low: float = 0.0
    high: float = 1.0
    step: float | None = None


@dataclass
class Tuned:
    """The result of tuning one policy of one firm."""

    firm: str
    policy: str
    start: dict[str, Any]
    """The policy's parameters as given in the scenario (or its defaults)."""
    best: dict[str, Any]
    """The tuned parameters (the whole policy table)."""
    start_profit: float
    best_profit: float
    trials: pd.DataFrame
    """One row per candidate: its searched values and mean profit."""
    knobs: list[Knob] = field(default_factory=list)

    def changed(self) -> dict[str, Any]:
        """The tuned values of the searched parameters."""
        return {k.name: self.best.get(k.name) for k in self.knobs if k.kind != "lead"} | (
            {"lead_time_days": self.best.get("lead_time_days")}
            if any(k.kind == "lead" for k in self.knobs)
            else {}
        )


def _has_shift_calendar(scenario: Scenario, firm: str) -> bool:
    f = next(x for x in scenario.firms if x.name == firm)
    return any(s.shifts < 3 for s in f.factory.routing())


def _reach(given: int, floor: int) -> int:
    """Upper end of a size's range: ``floor``, or four times the scenario's own value if more (a
    fixed range would not scale with a larger firm)."""
    return max(floor, 4 * int(given))


def knobs_for(scenario: Scenario, firm: str, params: dict[str, Any]) -> list[Knob]:
    """The parameters searched for this policy, decision mode and plant."""
    mode = params.get("decision", "rules")
    if params["name"] == "supplier_centric":
        out = [
            Knob("lead_time_days", "lead", 1.0, 15.0),
            Knob("review_days", "int", 1, 14),
            Knob("min_lot", "int", 0, _reach(params.get("min_lot", 100), 5000), 100),
        ]
        if mode == "rules":
            out.append(Knob("safety_factor", "float", 0.0, 5.0))  # the parameter's whole range
        elif mode == "data":
            out.append(Knob("service_level", "float", 0.5, 0.995))
        return out
    out = []
    if mode == "rules":
        out.append(Knob("buffer", "int", 0, _reach(params.get("buffer", 30), 400), 5))
    elif mode == "data":
        out.append(Knob("service_level", "float", 0.5, 0.995))
    if params.get("sop_days", 30) > 0 and _has_shift_calendar(scenario, firm):
        if mode in ("rules", "data"):
            out.append(Knob("target_utilisation", "float", 0.5, 1.0))
        out.append(Knob("max_shifts", "int", max(int(params.get("min_shifts", 1)), 1), 3))
    return out


def with_policy(scenario: Scenario, firm: str, params: dict[str, Any]) -> Scenario:
    """``scenario`` with ``firm``'s policy replaced by ``params``."""
    idx = [f.name for f in scenario.firms].index(firm)
    return scenario.with_overrides({f"firms.{idx}.policy": params})


def firm_profit(scenario: Scenario, firm: str, seed: np.random.SeedSequence) -> float:
    """The firm's accrual profit after warm-up in one run (a top-level function for process pools).

    The conservation laws are not checked here (the tuned verdict's runs check them).
    """
    from simulator.metrics import summary
    from simulator.model import MarketModel

    model = MarketModel(scenario, seed=seed, agents=False)
    model.run()
    return float(summary(model)["firms"][firm]["profit"])


def mean_profit(
    scenario: Scenario,
    firm: str,
    seeds: list[np.random.SeedSequence],
    executor: Executor | None,
) -> np.ndarray:
    """The firm's profit on each seed (in parallel when an executor is given)."""
    if executor is None:
        return np.array([firm_profit(scenario, firm, s) for s in seeds])
    futures = [executor.submit(firm_profit, scenario, firm, s) for s in seeds]
    return np.array([f.result() for f in futures])


def _suggest(trial: Any, knobs: list[Knob], base: dict[str, Any]) -> dict[str, Any]:
    params = dict(base)
    for k in knobs:
        if k.kind == "lead":
            how = trial.suggest_categorical("lead_time", ["measured", "given"])
            params["lead_time_days"] = (
                None if how == "measured" else trial.suggest_float("lead_time_days", k.low, k.high)
            )
        elif k.kind == "int":
            step = int(k.step or 1)
            params[k.name] = trial.suggest_int(k.name, int(k.low), int(k.high), step=step)
        else:
            params[k.name] = trial.suggest_float(k.name, k.low, k.high)
    if "max_shifts" in params and params.get("min_shifts", 1) > params["max_shifts"]:
        params["min_shifts"] = params["max_shifts"]
    return params


def _start_values(knobs: list[Knob], params: dict[str, Any]) -> dict[str, Any]:
    """The scenario's settings as an Optuna trial (snapped into the searched ranges)."""
    out: dict[str, Any] = {}
    for k in knobs:
        if k.kind == "lead":
            v = params.get("lead_time_days")
            out["lead_time"] = "measured" if v is None else "given"
            if v is not None:
                out["lead_time_days"] = float(np.clip(v, k.low, k.high))
        elif k.kind == "int":
            step = int(k.step or 1)
            v = int(np.clip(params[k.name], k.low, k.high))
            out[k.name] = int(k.low + round((v - k.low) / step) * step)
        else:
            out[k.name] = float(np.clip(params[k.name], k.low, k.high))
    return out


def tune(
    scenario: Scenario,
    firm: str,
    policy: str | None = None,
    *,
    trials: int = 24,
    replications: int = 3,
    seed: int = 0,
    executor: Executor | None = None,
    progress: Callable[[int, float], None] | None = None,
) -> Tuned:
    """Search ``firm``'s ``policy`` parameters (default: its own policy) for the best mean profit.

    Starts from the firm's own parameters when it runs this policy (else the policy's defaults,
    in the same decision mode when the firm has one).
    """
    import optuna

    from simulator.policies import registry

    spec = next(f for f in scenario.firms if f.name == firm)
    own = spec.policy.model_dump(mode="python")
    name = policy or own["name"]
    if own["name"] == name:
        base = own
    else:
        base = registry.params_model(name)().model_dump(mode="python")
    knobs = knobs_for(scenario, firm, base)
    seeds = replication_seeds(seed + TUNE_SEED_OFFSET, replications)
    rows: list[dict[str, Any]] = []

    def objective(trial: Any) -> float:
        params = _suggest(trial, knobs, base)
        try:
            candidate = with_policy(scenario, firm, params)
        except Exception as e:  # a combination the policy refuses (e.g. frozen plan vs review)
            raise optuna.TrialPruned(str(e)) from None
        value = float(mean_profit(candidate, firm, seeds, executor).mean())
        rows.append(
            {"trial": trial.number, **{k.name: params.get(k.name) for k in knobs}, "profit": value}
        )
        if progress is not None:
            progress(trial.number + 1, value)
        return value

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=min(8, max(trials // 3, 1)))
    study = optuna.create_study(direction="maximize", sampler=sampler)
    if knobs:
        study.enqueue_trial(_start_values(knobs, base))
    study.optimize(objective, n_trials=max(trials, 1) if knobs else 1)
    table = pd.DataFrame(rows)
    start_profit = float(table["profit"].iloc[0])
    best_params = _suggest(optuna.trial.FixedTrial(study.best_params), knobs, base)
    return Tuned(firm, name, base, best_params, start_profit, float(study.best_value), table, knobs)


def verdict(
    scenario: Scenario,
    firm: str,
    a: dict[str, Any],
    b: dict[str, Any],
    *,
    replications: int = 6,
    seed: int = 0,
    executor: Executor | None = None,
) -> dict[str, Any]:
    """Profit of ``firm`` under policy ``b`` minus ``a`` on fresh seeds: paired interval and p."""
    seeds = replication_seeds(seed, replications)
    pa = mean_profit(with_policy(scenario, firm, a), firm, seeds, executor)
    pb = mean_profit(with_policy(scenario, firm, b), firm, seeds, executor)
    d = paired_difference(pa, pb, names=(str(a["name"]), str(b["name"])))
    return {
        "a": a["name"],
        "b": b["name"],
        "profit_a": float(pa.mean()),
        "profit_b": float(pb.mean()),
        "difference": d.interval.mean,
        "low": d.interval.low,
        "high": d.interval.high,
        "p_value": d.p_value,
        "n": d.interval.n,
    }


def sensitivity(
    scenario: Scenario,
    firm: str,
    tuned: list[Tuned],
    *,
    replications: int = 3,
    seed: int = 0,
    executor: Executor | None = None,
) -> pd.DataFrame:
    """Each tuned setting moved to the ends of its range, one at a time: the firm's profit under
    that policy and the verdict (second policy minus first) with it, on the tuning seeds."""
    seeds = replication_seeds(seed + TUNE_SEED_OFFSET, replications)
    base = [mean_profit(with_policy(scenario, firm, t.best), firm, seeds, executor) for t in tuned]
    rows = []
    for i, t in enumerate(tuned):
        for k in t.knobs:
            ends: list[tuple[str, Any]]
            if k.kind == "lead":
                ends = [("measured", None), (f"{k.low:g} d", k.low), (f"{k.high:g} d", k.high)]
                key = "lead_time_days"
            else:
                lo, hi = (int(k.low), int(k.high)) if k.kind == "int" else (k.low, k.high)
                ends = [(f"{lo:g}", lo), (f"{hi:g}", hi)]
                key = k.name
            for label, value in ends:
                if value == t.best.get(key) or (value is None and t.best.get(key) is None):
                    continue
                params = {**t.best, key: value}
                if key == "max_shifts" and params.get("min_shifts", 1) > value:
                    params["min_shifts"] = value
                try:
                    cand = with_policy(scenario, firm, params)
                except Exception:
                    continue
                prof = mean_profit(cand, firm, seeds, executor)
                row = {
                    "policy": t.policy,
                    "setting": key,
                    "tuned": "measured" if t.best.get(key) is None else t.best.get(key),
                    "moved_to": label,
                    "profit": float(prof.mean()),
                    "profit_change": float((prof - base[i]).mean()),
                }
                if len(tuned) == 2:
                    other = base[1 - i]
                    diff = (other - prof) if i == 0 else (prof - other)
                    moved = float(diff.mean())
                    tuned_verdict = float((base[1] - base[0]).mean())
                    row["verdict"] = moved
                    row["verdict_tuned"] = tuned_verdict
                    row["flips"] = bool(np.sign(moved) != np.sign(tuned_verdict))
                rows.append(row)
    return pd.DataFrame(rows)


def policy_table(params: dict[str, Any], defaults: dict[str, Any]) -> str:
    """A TOML inline table of the policy: its name and the parameters that differ from defaults."""
    items = [f'name = "{params["name"]}"']
    for k, v in params.items():
        if k == "name" or defaults.get(k) == v or v is None:
            continue
        if isinstance(v, bool):
            items.append(f"{k} = {str(v).lower()}")
        elif isinstance(v, float):
            items.append(f"{k} = {v:.3g}")
        elif isinstance(v, int | str):
            items.append(f'{k} = "{v}"' if isinstance(v, str) else f"{k} = {v}")
        else:
            items.append(f"{k} = {v!r}")
    return "{ " + ", ".join(items) + " }"
