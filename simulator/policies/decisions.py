"""Who decides: rules of thumb, statistics, an optimiser, or an optimiser with a human in the loop.

Picture the same planning meeting run four ways. Under ``rules`` the planner applies the firm's
rule of thumb (cover so many days of average sales plus a fixed safety margin). Under ``data`` an
analyst forecasts demand statistically and sets stock for a target service level. Under ``ai`` an
optimiser reads the forecast distribution and the costs and picks the stock level (critical fractile)
and the capacity that maximise expected profit. Under ``cobot`` the optimiser recommends and a named
person overrides: the customer-experience lead holds a buffer above the recommendation (a higher fill
rate, at a known profit cost), the quality lead postpones marketing and invests in quality.

Every decision goes into a :class:`DecisionLog` with its inputs, the rule or optimiser that made it,
the override applied and a one-line reason, so that a user can ask the firm why it did what it did.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from simulator.daytable import DayTable
from simulator.policies import optimisation as opt
from simulator.policies.forecasting import Forecast
from simulator.policies.params import CxBuffer

DECISION_COLUMNS: tuple[str, ...] = (
    "time",
    "day",
    "firm",
    "policy",
    "decision",
    "action",
    "rule",
    "override",
    "recommended",
    "chosen",
    "released",
    "reason",
    "inputs",
)


@dataclass(frozen=True)
class Costs:
    """The optimiser's costs per unit and review period: left over (``holding``) and short."""

    holding: float
    shortage: float


@dataclass(frozen=True)
class StockDecision:
    """A stock level decided for one cover of demand, with what it rests on."""

    level: float
    recommended: float
    rule: str
    override: str
    inputs: dict[str, float | str]


def rule_of_thumb(cover: Forecast, safety_factor: float) -> StockDecision:
    """``rules``: cover the forecast plus ``safety_factor`` standard deviations."""
    level = cover.mean + safety_factor * cover.sd
    return StockDecision(
        level,
        level,
        f"rule of thumb: cover demand + {safety_factor:g} sd",
        "",
        {"cover_mean": cover.mean, "cover_sd": cover.sd, "safety_factor": safety_factor},
    )


def service_level_stock(cover: Forecast, service_level: float) -> StockDecision:
    """``data``: the level that covers demand with probability ``service_level`` (normal)."""
    z = float(norm.ppf(service_level))
    level = cover.mean + z * cover.sd
    return StockDecision(
        level,
        level,
        f"statistical: {service_level:.0%} service level on {cover.method}",
        "",
        {"cover_mean": cover.mean, "cover_sd": cover.sd, "service_level": service_level, "z": z},
    )


def optimised_stock(cover: Forecast, costs: Costs) -> StockDecision:
    """``ai``: the critical fractile of cover demand (minimises expected holding + shortage cost)."""
    level = opt.newsvendor_level(cover.mean, cover.sd, costs.holding, costs.shortage)
    ratio = opt.critical_ratio(costs.holding, costs.shortage)
    return StockDecision(
        level,
        level,
        f"optimiser: critical fractile {ratio:.4f} on {cover.method}",
        "",
        {
            "cover_mean": cover.mean,
            "cover_sd": cover.sd,
            "holding_cost": costs.holding,
            "shortage_cost": costs.shortage,
            "critical_ratio": ratio,
            "expected_cost": opt.expected_cost(
                level, cover.mean, cover.sd, costs.holding, costs.shortage
            ),
            "fill_rate": opt.fill_rate(level, cover.mean, cover.sd),
        },
    )


def cx_buffer_override(rec: StockDecision, cover: Forecast, costs: Costs, cx: CxBuffer) -> StockDecision:
    """``cobot`` customer-experience override: ``extra_sd`` more sd of cover demand in stock.

    The inputs record the closed-form price of the override: expected cost and fill rate at the
    recommended and the chosen level.
    """
    level = rec.recommended + cx.extra_sd * cover.sd
    h, b = costs.holding, costs.shortage
    cost_rec = opt.expected_cost(rec.recommended, cover.mean, cover.sd, h, b)
    cost_new = opt.expected_cost(level, cover.mean, cover.sd, h, b)
    inputs = dict(rec.inputs)
    inputs.update(
        {
            "cx_extra_sd": cx.extra_sd,
            "override_extra_cost": cost_new - cost_rec,
            "fill_rate_recommended": opt.fill_rate(rec.recommended, cover.mean, cover.sd),
            "fill_rate_chosen": opt.fill_rate(level, cover.mean, cover.sd),
        }
    )
    return StockDecision(level, rec.recommended, rec.rule, "cx_buffer", inputs)


def decide_stock(
    mode: str,
    cover: Forecast,
    *,
    safety_factor: float,
    service_level: float,
    costs: Costs,
    overrides: list[str],
    cx: CxBuffer,
) -> StockDecision:
    """The stock level for one cover of demand under decision ``mode``."""
    if mode == "rules":
        return rule_of_thumb(cover, safety_factor)
    if mode == "data":
        return service_level_stock(cover, service_level)
    rec = optimised_stock(cover, costs)
    if mode == "cobot" and "cx_buffer" in overrides:
        return cx_buffer_override(rec, cover, costs, cx)
    return rec


@dataclass
class DecisionLog:
    """Every decision a firm's policy took, in order, one dict per decision (paged to disk)."""

    firm: str
    policy: str
    mode: str
    entries: DayTable = field(default_factory=lambda: DayTable(name="decisions"))

    def record(
        self,
        time: float,
        action: str,
        rule: str,
        *,
        override: str = "",
        recommended: float = float("nan"),
        chosen: float = float("nan"),
        released: int = 0,
        reason: str = "",
        inputs: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Append a decision and return its entry."""
        entry: dict[str, Any] = {
            "time": float(time),
            "day": int(np.floor(time)),
            "firm": self.firm,
            "policy": self.policy,
            "decision": self.mode,
            "action": action,
            "rule": rule,
            "override": override,
            "recommended": float(recommended),
            "chosen": float(chosen),
            "released": int(released),
            "reason": reason,
            "inputs": dict(inputs or {}),
        }
        self.entries.append(entry)
        return entry

    def to_frame(self) -> pd.DataFrame:
        """The log as a tidy table; ``inputs`` as a JSON string per row."""
        rows = [
            {**e, "inputs": json.dumps(e["inputs"], sort_keys=True, default=float)} for e in self.entries
        ]
        df = pd.DataFrame(rows, columns=list(DECISION_COLUMNS))
        for c in ("firm", "policy", "decision", "action", "rule", "override", "reason", "inputs"):
            df[c] = df[c].astype("string")
        return df


def explain(
    decisions: pd.DataFrame, firm: str | None = None, day: int | None = None, action: str | None = None
) -> list[str]:
    """One plain line per decision matching ``firm``, ``day`` and ``action`` (None: any).

    The answer to "why did the firm do that?": when, what, who decided by which rule, the override
    applied, and the reason with its numbers.
    """
    d = decisions
    if firm is not None:
        d = d[d["firm"] == firm]
    if day is not None:
        d = d[d["day"] == day]
    if action is not None:
        d = d[d["action"] == action]
    lines = []
    for r in d.to_dict("records"):
        act = str(r["action"])
        what = (
            f"released {int(r['released'])}" if act == "release" else f"{act} -> {float(r['chosen']):g}"
        )
        override = str(r["override"])
        by = f"{r['decision']!s}: {r['rule']!s}" + (f"; override {override}" if override else "")
        lines.append(f"t={float(r['time']):g} {r['firm']!s}: {what} ({by}). {r['reason']!s}")
    return lines
