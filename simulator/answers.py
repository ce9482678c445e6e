"""The answer in words: headline sentences and KPI numbers as a person reads them.

A comparison or a sweep ends with the few sentences a plant manager would say in a meeting:
"Profit: pull_ethical wins by 41,200 (95% interval 12,300 to 70,100 after correcting for 5
comparisons; p = 0.004)." This module turns the tidy tables of
:mod:`simulator.experiments.analysis` into those sentences, for the terminal (``compare``,
``sweep``) and for the top of every report, and formats each KPI in its own unit (shares in %,
their differences in percentage points, money with thousands separators, defects in ppm). KPI
names come from :mod:`simulator.glossary` when it is there.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

FALLBACK_NAMES = {
    "profit": "profit",
    "cash_profit": "cash profit",
    "revenue": "revenue",
    "units_sold": "units sold",
    "market_share": "market share",
    "fill_rate": "fill rate",
    "otif": "OTIF",
    "otif_requested": "OTIF (requested day)",
    "mean_lead_time_days": "lead time, mean",
    "lead_time_p95_days": "lead time, 95th percentile",
    "mean_inventory": "mean inventory",
    "bullwhip_ratio": "bullwhip ratio",
    "cost_per_unit": "cost per unit",
    "defect_ppm": "defects per million",
    "operating_margin": "operating margin",
    "inventory_turns": "inventory turns",
}
SHARES = {
    "market_share",
    "fill_rate",
    "unit_fill_rate",
    "cycle_service_level",
    "ready_rate",
    "quote_reliability",
    "otif",
    "otif_requested",
    "operating_margin",
    "scrap_rate",
}
DAYS = {"mean_lead_time_days", "lead_time_p95_days", "mean_quoted_days", "quote_bias_days"}


def _glossary_entry(key: str) -> Any:
    try:
        from simulator import glossary
    except ImportError:  # the glossary is not part of this build
        return None
    entry = getattr(glossary, "entry", None)
    return entry(key) if entry is not None else None


def kpi_name(key: str) -> str:
    """A KPI's name as a person says it (the glossary's, else a built-in one, else the key)."""
    e = _glossary_entry(key)
    if e is not None:
        return str(e.name)
    return FALLBACK_NAMES.get(key, key.replace("_", " "))


def is_share(key: str) -> bool:
    """Whether a KPI is a share in [0, 1] (shown in %)."""
    e = _glossary_entry(key)
    if e is not None:
        return bool(getattr(e, "proportion", False)) or key in SHARES
    return key in SHARES or key.startswith("share_")


def fmt_value(key: str, v: Any) -> str:
    """A KPI value in its unit."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    v = float(v)
    if is_share(key):
        return f"{100 * v:.1f}%"
    if key in DAYS:
        return f"{v:.1f} days"
    if key == "defect_ppm":
        return f"{v:,.0f} ppm"
    if key == "bullwhip_ratio":
        return f"{v:.2f}"
    if v.is_integer() or abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:,.2f}"


def fmt_difference(key: str, v: Any) -> str:
    """A difference of a KPI in its unit (shares in percentage points)."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    v = float(v)
    if is_share(key):
        return f"{100 * v:.1f} pp"
    if key in DAYS:
        return f"{v:.2f} days"
    if key == "defect_ppm":
        return f"{v:,.0f} ppm"
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.2f}"


def _p(p: Any) -> str:
    if p is None or not math.isfinite(float(p)):
        return "p undefined"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def headline_sentences(table: pd.DataFrame, what: str = "policy") -> list[str]:
    """One sentence per aspect of :func:`simulator.experiments.analysis.headline`'s table."""
    out = []
    for r in table.to_dict("records"):
        aspect = str(r["aspect"]).capitalize()
        key = r.get("kpi")
        if key is None or (isinstance(key, float) and math.isnan(key)):
            out.append(f"{aspect}: not measured in these runs.")
            continue
        name = kpi_name(str(key))
        if name.lower().startswith(aspect.lower()):  # "cost per unit", "profit (accrual)"
            label = name[0].upper() + name[1:]
        else:
            label = f"{aspect} – {name}"
        winner = r.get("winner")
        runner = r.get("runner_up")
        if not isinstance(runner, str):
            single = winner if isinstance(winner, str) else f"the only {what}"
            out.append(f"{label}: only {single} has a value; nothing to compare.")
            continue
        if not isinstance(winner, str):
            out.append(f"{label}: no difference: every replication gave each {what} the same value.")
            continue
        level = float(r["level"])
        comps = int(r["comparisons"])
        ci = (
            f"{100 * level:.4g}% interval {fmt_difference(key, r['low'])} to "
            f"{fmt_difference(key, r['high'])}"
        )
        corr = f"Bonferroni-corrected for {comps} comparisons" if comps > 1 else "no correction needed"
        better = "lower" if r.get("lower_is_better") else "higher"
        lead = fmt_difference(key, r["lead"])
        if r.get("significant"):
            out.append(
                f"{label}: {winner} wins by {lead} over {runner} ({better} is better; {ci}, "
                f"{corr}; {_p(r['p_value'])}). Significant."
            )
        else:
            out.append(
                f"{label}: no significant difference; {winner} is ahead of {runner} by {lead} "
                f"({ci}, {corr}; {_p(r['p_value'])})."
            )
    return out


def headline_table(table: pd.DataFrame, labels: list[str]) -> pd.DataFrame:
    """The headline as a wide table: one row per aspect, one column per policy (its mean), then the
    winner, its lead with the corrected interval, and whether it is significant."""
    rows = []
    for r in table.to_dict("records"):
        key = r.get("kpi")
        if key is None or (isinstance(key, float) and math.isnan(key)):
            rows.append({"aspect": r["aspect"], "KPI": "not measured"})
            continue
        row: dict[str, Any] = {"aspect": r["aspect"], "KPI": kpi_name(str(key))}
        for lab in labels:
            row[lab] = fmt_value(str(key), r.get(f"mean:{lab}"))
        winner = r.get("winner")
        row["winner"] = winner if isinstance(winner, str) else "none"
        if isinstance(r.get("runner_up"), str) and isinstance(winner, str):
            row["lead (corrected interval)"] = (
                f"{fmt_difference(key, r['lead'])} ({fmt_difference(key, r['low'])} to "
                f"{fmt_difference(key, r['high'])})"
            )
            row["significant"] = "yes" if r.get("significant") else "no"
        rows.append(row)
    return pd.DataFrame(rows)


def sweep_sentences(answer: Any) -> list[str]:
    """The sweep's answer (:class:`simulator.experiments.analysis.SweepAnswer`) in sentences."""
    if answer is None:
        return []
    a, b, key = answer.a, answer.b, answer.kpi
    name = kpi_name(key)
    p = answer.parameter.removeprefix("population.")
    rng = f"{p} from {answer.low:g} to {answer.high:g}"
    tip = answer.tip
    lines = []
    if tip is not None and tip.estimate is not None:
        ci = (
            f"95% bootstrap interval {tip.low:.3g} to {tip.high:.3g}"
            if tip.low is not None
            else "no interval"
        )
        lines.append(
            f"Tipping point for {name}: {b} minus {a} changes sign at {p} = {tip.estimate:.3g} "
            f"({ci}; a sign change inside the range in {100 * tip.share_with_crossing:.0f}% of "
            f"{tip.resamples} resamples). {answer.ahead_low or 'Neither'} leads at {p} = "
            f"{answer.low:g}, {answer.ahead_high or 'neither'} at {p} = {answer.high:g}."
        )
    else:
        if answer.ahead_low == answer.ahead_high:
            ends = f"{answer.ahead_low or 'neither'} leads at both ends"
        else:
            ends = (
                f"{answer.ahead_low or 'neither'} leads at {p} = {answer.low:g}, "
                f"{answer.ahead_high or 'neither'} at {p} = {answer.high:g}"
            )
        lines.append(f"Tipping point for {name}: no sign change in the range ({rng}); {ends}.")
    if answer.today is not None and answer.today_difference is not None:
        d = answer.today_difference
        if d == 0:
            side = "neither leads"
        else:
            good = (d < 0) if answer.lower_is_better else (d > 0)
            side = f"{b if good else a} leads by {fmt_difference(key, abs(d))}"
        where = ""
        if tip is not None and tip.estimate is not None:
            where = (
                " (below the tipping point)"
                if answer.today < tip.estimate
                else " (above the tipping point)"
            )
        lines.append(
            f"Today's market ({p} = {answer.today:g} as in the scenario){where}: {side} "
            f"({b} minus {a}: {fmt_difference(key, d)}; 95% interval at the nearest point "
            f"{fmt_difference(key, answer.today_low)} to {fmt_difference(key, answer.today_high)})."
        )
    elif answer.today is not None:
        lines.append(
            f"Today's market ({p} = {answer.today:g} as in the scenario) lies outside the swept "
            f"range ({rng})."
        )
    return lines
