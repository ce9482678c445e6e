"""Reports: an experiment folder turned into pages a team reads together.

Like a lab report pinned to the notebook it summarises, ``write_report(folder)`` reads the
manifest and index of a ``compare`` or ``sweep`` folder and writes ``report.md`` (tables and links to
the figures in ``figures/``) and ``report.html`` (the same, one file with the figures embedded, so it
can be mailed). The answer comes first: which policy (or scenario) wins on profit, quality, cost,
delivery and market share, by how much and whether it holds after correction; for a sweep, where
the winner changes (the tipping point) and where today's market sits. Then the evidence: wide
tables with one column per policy, figures, and the glossary of every KPI shown.

Every number comes from the index through :mod:`simulator.experiments.analysis` (tidy tables in);
the report only arranges them (sections out), so a new analysis is a new section. Figures are drawn
from those tables with matplotlib's Agg backend.
"""

from __future__ import annotations

import base64
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from matplotlib.ticker import EngFormatter, MaxNLocator, PercentFormatter

from simulator import answers
from simulator.experiments import analysis
from simulator.experiments.stats import welch_moving_average
from simulator.results import atomic_write

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


class _Labels(dict[str, str]):
    """KPI key -> its name (the glossary's when it has one)."""

    def __missing__(self, key: str) -> str:
        return answers.kpi_name(key)

    def get(self, key: str, default: Any = None) -> str:
        return answers.kpi_name(key)


KPI_LABELS = _Labels()


def _readable_axis(axis: Any, kpi: str, difference: bool = False) -> None:
    """At most five ticks, in the KPI's unit (%, thousands as k), so that labels never overlap."""
    axis.set_major_locator(MaxNLocator(nbins=4))
    if answers.is_share(kpi):
        axis.set_major_formatter(PercentFormatter(1.0, decimals=None))
    else:
        axis.set_major_formatter(EngFormatter(sep=""))


@dataclass
class Section:
    """One part of the report: a heading, some text, tables and figures."""

    title: str
    text: list[str] = field(default_factory=list)
    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)
    figures: list[tuple[str, Path]] = field(default_factory=list)


def _fmt(v: Any) -> str:
    if isinstance(v, float | np.floating):
        v = float(v)
        if math.isnan(v):
            return "-"
        a = abs(v)
        if a != 0 and (a < 1e-3 or a >= 1e6):
            return f"{v:.3g}"
        return f"{v:,.4g}" if a < 1000 else f"{v:,.0f}"
    return str(v)


def _md_table(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in df.iterrows():
        lines.append("| " + " | ".join(_fmt(r[c]) for c in cols) + " |")
    return "\n".join(lines)


def _save(fig: Any, path: Path) -> Path:
    fig.tight_layout()
    atomic_write(path, lambda p: fig.savefig(p, format="png", dpi=110, bbox_inches="tight"))
    plt.close(fig)
    return path


def _short(path: str) -> str:
    return path.split(".", 1)[1] if path.startswith("population.") else path


def _kpi_figure(table: pd.DataFrame, policies: list[str], path: Path, title: str) -> Path:
    kpis = list(dict.fromkeys(table["kpi"]))
    ncol = 3
    nrow = math.ceil(len(kpis) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(10, 2.3 * nrow), squeeze=False)
    for ax, kpi in zip(axes.flat, kpis, strict=False):
        t = table[table["kpi"] == kpi].set_index("policy")
        for i, pol in enumerate(policies):
            if pol not in t.index:
                continue
            r = t.loc[pol]
            ax.errorbar(
                [r["mean"]],
                [i],
                xerr=[[r["mean"] - r["low"]], [r["high"] - r["mean"]]],
                fmt="o",
                color=COLORS[i % len(COLORS)],
                capsize=4,
            )
        ax.set_yticks(range(len(policies)), policies, fontsize=8)
        ax.set_ylim(len(policies) - 0.4, -0.6)  # first policy on top, as in the table
        ax.set_title(KPI_LABELS.get(kpi, kpi), fontsize=10)
        _readable_axis(ax.xaxis, kpi)
        ax.tick_params(axis="x", labelsize=8)
        ax.grid(axis="x", alpha=0.3)
    for ax in list(axes.flat)[len(kpis) :]:
        ax.axis("off")
    fig.suptitle(title, fontsize=11)
    return _save(fig, path)


def _difference_figure(diffs: pd.DataFrame, path: Path, title: str) -> Path:
    kpis = list(dict.fromkeys(diffs["kpi"]))
    ncol = 3
    nrow = math.ceil(len(kpis) / ncol)
    pairs = list(dict.fromkeys(f"{b} - {a}" for a, b in zip(diffs["a"], diffs["b"], strict=True)))
    one = len(pairs) == 1
    fig, axes = plt.subplots(
        nrow, ncol, figsize=(10 if one else 12, (1.8 if one else 2.4) * nrow), squeeze=False
    )
    for ax, kpi in zip(axes.flat, kpis, strict=False):
        t = diffs[diffs["kpi"] == kpi].reset_index(drop=True)
        for i, r in t.iterrows():
            sig = r["low"] > 0 or r["high"] < 0
            ax.errorbar(
                [r["difference"]],
                [i],
                xerr=[[r["difference"] - r["low"]], [r["high"] - r["difference"]]],
                fmt="o",
                color="#d62728" if sig else "#555555",
                capsize=4,
            )
        ax.axvline(0, color="black", lw=0.8)
        # One pair: its name goes in the title, not beside every panel.
        ax.set_yticks(
            range(len(t)), [] if one else [f"{r['b']} - {r['a']}" for _, r in t.iterrows()], fontsize=7
        )
        ax.set_ylim(len(t) - 0.4, -0.6)  # first pair on top, as in the table
        ax.set_title(KPI_LABELS.get(kpi, kpi), fontsize=10)
        _readable_axis(ax.xaxis, kpi, difference=True)
        ax.tick_params(axis="x", labelsize=8)
        ax.grid(axis="x", alpha=0.3)
    for ax in list(axes.flat)[len(kpis) :]:
        ax.axis("off")
    fig.suptitle(f"{title}: {pairs[0]}" if one else title, fontsize=11)
    return _save(fig, path)


def _band(ax: Any, x: np.ndarray, runs: np.ndarray, color: str, label: str) -> None:
    n = runs.shape[0]
    mean = runs.mean(axis=0)
    if n > 1:
        from scipy import stats

        half = stats.t.ppf(0.975, n - 1) * runs.std(axis=0, ddof=1) / math.sqrt(n)
        ax.fill_between(x, mean - half, mean + half, color=color, alpha=0.25, lw=0)
    ax.plot(x, mean, color=color, lw=1.5, label=label)


def _rolling(a: np.ndarray, w: int) -> np.ndarray:
    # Trailing mean over w days per replication (days before w use what is there).
    c = np.cumsum(np.pad(a, ((0, 0), (1, 0))), axis=1)
    idx = np.arange(1, a.shape[1] + 1)
    lo = np.maximum(idx - w, 0)
    return (c[:, idx] - c[:, lo]) / (idx - lo)


def _timeseries_figure(
    exp: analysis.Loaded, point: int, path: Path, title: str, firm: str | None = None
) -> Path:
    panels = [
        ("profit", "daily profit (7-day mean)", 7),
        ("market_share", "market share (7-day mean)", 7),
        ("on_hand", "finished goods on hand", 1),
        ("backorders", "backorders", 1),
    ]
    fig, axes = plt.subplots(2, 2, figsize=(10, 6), squeeze=False)
    warm = int(exp.manifest["warmup_days"])
    for ax, (col, label, w) in zip(axes.flat, panels, strict=True):
        series = analysis.daily_series(exp, point, col, firm)
        for i, pol in enumerate(exp.policies):
            if pol in series:
                runs = _rolling(series[pol], w)
                _band(ax, np.arange(runs.shape[1]), runs, COLORS[i % len(COLORS)], pol)
        ax.axvspan(0, warm, color="grey", alpha=0.12, lw=0)
        ax.set_title(label, fontsize=10)
        ax.set_xlabel("day")
        _readable_axis(ax.yaxis, col)
        ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=8)
    fig.suptitle(title + " (bands: 95% t-interval over replications; grey: warm-up)", fontsize=10)
    return _save(fig, path)


def _welch_figure(exp: analysis.Loaded, path: Path) -> Path:
    series = analysis.daily_series(exp, 0, "profit")
    warm = int(exp.manifest["warmup_days"])
    fig, ax = plt.subplots(figsize=(8, 4))
    smooth_range: list[float] = []
    for i, pol in enumerate(exp.policies):
        if pol not in series:
            continue
        raw = np.nanmean(series[pol], axis=0)
        ax.plot(raw, color=COLORS[i % len(COLORS)], alpha=0.25, lw=0.8)
        for w, ls in ((7, "-"), (21, "--")):
            sm = welch_moving_average(series[pol], w)
            smooth_range += [float(np.nanmin(sm)), float(np.nanmax(sm))]
            ax.plot(sm, color=COLORS[i % len(COLORS)], ls=ls, lw=1.5, label=f"{pol}, window {w}")
    if smooth_range:
        # Scale to the smoothed curves: the raw daily means (faint) swing with every batch and
        # would otherwise flatten the curves the warm-up is read from.
        lo, hi = min(smooth_range), max(smooth_range)
        pad = 0.35 * (hi - lo) if hi > lo else max(1.0, abs(hi))
        ax.set_ylim(lo - pad, hi + pad)
    ax.axvline(warm, color="black", lw=1, ls=":", label=f"warm-up cut (day {warm})")
    ax.set_xlabel("day")
    ax.set_ylabel(f"daily profit of {exp.firm}")
    ax.set_title("Welch plot: mean over replications, centred moving averages", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def _response_figure(exp: analysis.Loaded, resp: pd.DataFrame, path: Path) -> Path:
    params = exp.parameters
    fig, axes = plt.subplots(1, len(params), figsize=(max(7.5, 5 * len(params)), 4), squeeze=False)
    kpi = exp.kpi
    for ax, p in zip(axes.flat, params, strict=True):
        for i, pol in enumerate(exp.policies):
            r = resp[resp["policy"] == pol].sort_values(p)
            c = COLORS[i % len(COLORS)]
            if len(params) == 1:
                ax.fill_between(r[p], r["low"], r["high"], color=c, alpha=0.2, lw=0)
                ax.plot(r[p], r["mean"], "o-", color=c, label=pol, ms=4)
            else:
                ax.scatter(r[p], r["mean"], color=c, s=12, alpha=0.7, label=pol)
        ax.set_xlabel(_short(p))
        ax.set_ylabel(f"{KPI_LABELS.get(kpi, kpi)} of {exp.firm}")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    what = "mean and 95% t-interval" if len(params) == 1 else "mean at each design point"
    fig.suptitle(f"Response of {kpi} per policy ({what} over replications)", fontsize=10)
    return _save(fig, path)


def _difference_curve_figure(
    exp: analysis.Loaded,
    curve: pd.DataFrame,
    a: str,
    b: str,
    tip: Any,
    path: Path,
    today: float | None = None,
) -> Path:
    p = exp.parameters[0]
    c = curve.sort_values(p)
    fig, ax = plt.subplots(figsize=(8, 4.2))
    ax.fill_between(c[p], c["low"], c["high"], color="#1f77b4", alpha=0.25, lw=0, label="95% t-interval")
    ax.plot(c[p], c["mean"], "o-", color="#1f77b4", ms=4, label=f"{b} - {a}")
    ax.axhline(0, color="black", lw=0.8)
    if tip is not None and tip.estimate is not None:
        ax.axvline(tip.estimate, color="#d62728", lw=1.5, label=f"tipping point {tip.estimate:.3g}")
        if tip.low is not None:
            ax.axvspan(
                tip.low,
                tip.high,
                color="#d62728",
                alpha=0.12,
                lw=0,
                label=f"bootstrap 95% CI [{tip.low:.3g}, {tip.high:.3g}]",
            )
    if today is not None and c[p].min() <= today <= c[p].max():
        ax.axvline(
            today, color="#2ca02c", lw=1.5, ls="--", label=f"today's market ({_short(p)} = {today:g})"
        )
    ax.set_xlabel(_short(p))
    name = answers.kpi_name(exp.kpi)
    ax.set_ylabel(f"{name}: {b} − {a}\n({exp.firm})", fontsize=9)
    _readable_axis(ax.yaxis, exp.kpi, difference=True)
    ax.set_title(f"Paired difference in {name}: {b} minus {a} (common random numbers)", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def _heatmap_figure(exp: analysis.Loaded, curve: pd.DataFrame, a: str, b: str, path: Path) -> Path:
    p, q = exp.parameters[:2]
    grid = curve.pivot_table(index=q, columns=p, values="mean")
    fig, ax = plt.subplots(figsize=(7, 5))
    v = float(np.nanmax(np.abs(grid.to_numpy()))) or 1.0
    im = ax.imshow(grid.to_numpy(), origin="lower", aspect="auto", cmap="RdBu", vmin=-v, vmax=v)
    ax.set_xticks(range(len(grid.columns)), [f"{x:.3g}" for x in grid.columns])
    ax.set_yticks(range(len(grid.index)), [f"{x:.3g}" for x in grid.index])
    for (i, j), val in np.ndenumerate(grid.to_numpy()):
        if np.isfinite(val):
            colour = "white" if abs(val) > 0.6 * v else "black"
            ax.text(j, i, f"{val:,.0f}", ha="center", va="center", fontsize=8, color=colour)
    if grid.shape[0] > 1 and grid.shape[1] > 1:
        ax.contour(grid.to_numpy(), levels=[0], colors="black", linewidths=1.2)
    ax.set_xlabel(_short(p))
    ax.set_ylabel(_short(q))
    fig.colorbar(im, ax=ax, label=f"mean {exp.kpi} difference {b} - {a}")
    ax.set_title("Where each policy wins (black line: zero difference)", fontsize=10)
    return _save(fig, path)


def _sobol_figure(table: pd.DataFrame, path: Path) -> Path:
    outputs = list(dict.fromkeys(table["output"]))
    fig, axes = plt.subplots(1, len(outputs), figsize=(4.2 * len(outputs), 3.8), squeeze=False)
    for ax, o in zip(axes.flat, outputs, strict=True):
        t = table[table["output"] == o]
        x = np.arange(len(t))
        ax.bar(x - 0.2, t["S1"], 0.4, yerr=t["S1_conf"], capsize=3, label="first order S1")
        ax.bar(x + 0.2, t["ST"], 0.4, yerr=t["ST_conf"], capsize=3, label="total order ST")
        ax.set_xticks(x, [_short(p) for p in t["parameter"]], rotation=20, fontsize=8)
        ax.set_title(o, fontsize=9)
        ax.axhline(0, color="black", lw=0.6)
        ax.grid(axis="y", alpha=0.3)
    axes[0, 0].legend(fontsize=8)
    fig.suptitle("Sobol sensitivity indices (95% bootstrap intervals)", fontsize=10)
    return _save(fig, path)


def _interval_cell(key: str, mean: Any, low: Any, high: Any, difference: bool = False) -> str:
    f = answers.fmt_difference if difference else answers.fmt_value
    if low is None or (isinstance(low, float) and math.isnan(low)):
        return f(key, mean)
    return f"{f(key, mean)} ({f(key, low)} to {f(key, high)})"


def wide_kpis(table: pd.DataFrame, labels: list[str]) -> pd.DataFrame:
    """KPI means with their intervals: one row per KPI, one column per policy (or scenario)."""
    rows = []
    for kpi in dict.fromkeys(table["kpi"]):
        t = table[table["kpi"] == kpi].set_index("policy")
        row: dict[str, Any] = {"KPI": answers.kpi_name(kpi)}
        for lab in labels:
            row[lab] = (
                _interval_cell(kpi, t.loc[lab, "mean"], t.loc[lab, "low"], t.loc[lab, "high"])
                if lab in t.index
                else "–"
            )
        row["n"] = int(t["n"].min()) if len(t) else 0
        rows.append(row)
    return pd.DataFrame(rows)


def wide_differences(diffs: pd.DataFrame) -> pd.DataFrame:
    """Paired differences: one row per KPI, one column per pair (``b − a``: interval, p-value)."""
    rows = []
    for kpi in dict.fromkeys(diffs["kpi"]):
        t = diffs[diffs["kpi"] == kpi]
        row: dict[str, Any] = {"KPI": answers.kpi_name(kpi)}
        for r in t.to_dict("records"):
            p = r["p_value"]
            ptxt = (
                "p –" if p is None or math.isnan(p) else ("p < 0.001" if p < 0.001 else f"p = {p:.3f}")
            )
            cell = _interval_cell(kpi, r["difference"], r["low"], r["high"], difference=True)
            row[f"{r['b']} − {r['a']}"] = f"{cell}, {ptxt}"
        rows.append(row)
    return pd.DataFrame(rows)


def answer_section(exp: analysis.Loaded) -> Section:
    """The answer first: the headline of a comparison, or a sweep's tipping points."""
    s = Section("The answer")
    what = "scenario" if exp.mode == "scenarios" else "policy"
    if exp.parameters:
        for kpi in _sweep_kpis(exp):
            s.text += answers.sweep_sentences(analysis.sweep_answer(exp, kpi))
        if not s.text:
            s.text.append(
                "A design with several swept parameters has no single tipping point: see the "
                "heatmap or the response figures below."
            )
        return s
    if len(exp.policies) < 2:
        s.text.append(f"Only one {what} was run: there is nothing to compare.")
        return s
    for firm in exp.reported_firms:
        table = analysis.headline(exp, 0, firm)
        lead = f"**{firm}**" + (
            f" (its policy varied: {', '.join(exp.policies)})" if exp.mode == "policies" else ""
        )
        s.text.append(lead + ":")
        s.text += [f"- {line}" for line in answers.headline_sentences(table, what)]
        s.tables.append((f"Headline for {firm}", answers.headline_table(table, exp.policies)))
    s.text.append(
        "Each lead is the paired difference between the best and the second-best "
        f"{what} over replications on common random numbers; its interval and p-value are "
        "Bonferroni-corrected for every comparison in the headline."
    )
    return s


def _sweep_kpis(exp: analysis.Loaded) -> list[str]:
    """The KPIs a sweep's answer covers: its own KPI first, then the headline's others."""
    out = [exp.kpi]
    for a in analysis.HEADLINE:
        key = next((k for k in a.candidates if k in exp.index and exp.index[k].notna().any()), None)
        if key is not None and key not in out:
            out.append(key)
    return out


def setup_section(exp: analysis.Loaded) -> Section:
    """What was run: scenario(s), policies, replications, seeds, days, warm-up."""
    m = exp.manifest
    points = m["points"]
    pols = exp.policies
    setup = Section("Set-up")
    common = (
        f"{m['replications']} replications each, seeds `SeedSequence({m['spec']['seed']}).spawn("
        f"{m['replications']})`, shared by every {'scenario' if exp.mode == 'scenarios' else 'policy'}"
        f" and point (common random numbers). {m['days']} days per run; KPIs exclude the first "
        f"{m['warmup_days']} days (warm-up). {len(points)} design point(s), {m['runs']} runs."
    )
    if exp.mode == "scenarios":
        setup.text.append(f"Whole scenarios compared: {', '.join(pols)}; every firm reported. " + common)
    else:
        setup.text.append(
            f"Scenario **{m['scenario']['name']}**, firm **{exp.firm}** runs each policy in turn: "
            f"{', '.join(pols)}. " + common
        )
    used = m.get("policy_settings", {})
    if used:
        setup.tables.append(
            (
                "What was compared",
                pd.DataFrame([{"label": lab, **u} for lab, u in used.items()]),
            )
        )
    n_runs = exp.index["run_id"].nunique()
    if n_runs < m["runs"]:
        setup.text.append(
            f"**Only {n_runs} of {m['runs']} runs finished**: resume to complete the rest."
        )
    return setup


def kpi_sections(exp: analysis.Loaded, firm: str, figs: Path) -> list[Section]:
    """The KPIs of one firm per policy and the paired differences (one design point)."""
    pols = exp.policies
    out = []
    tag = re.sub(r"[^A-Za-z0-9_-]", "_", firm)
    table = analysis.kpi_table(exp, 0, firm=firm)
    s = Section(f"KPIs of {firm}" if exp.mode == "scenarios" else "KPIs per policy")
    s.text.append(
        f"Mean over replications with its 95% interval (KPIs of {firm}; columns: "
        f"{'scenarios' if exp.mode == 'scenarios' else 'policies'}): Student-t, and for shares "
        "Wilson's with the replications' effective sample size, inside [0, 1]."
    )
    s.tables.append(("KPIs", wide_kpis(table, pols)))
    s.figures.append(
        (
            "KPI means with 95% intervals",
            _kpi_figure(table, pols, figs / f"kpis_{tag}.png", f"KPIs of {firm}"),
        )
    )
    out.append(s)
    if len(pols) >= 2:
        diffs = analysis.differences(exp, 0, firm=firm)
        s = Section(f"Differences for {firm}" if exp.mode == "scenarios" else "Policy differences")
        adj = (
            ""
            if len(pols) == 2
            else (
                f" With {len(pols)} compared the {diffs['comparisons'].iloc[0]} pairwise intervals "
                f"are at level {diffs['level'].iloc[0]:.4f} each (Bonferroni), p-values times "
                "the number of comparisons, so all hold together at 95%."
            )
        )
        s.text.append(
            "Paired differences over replications (same seeds on both sides), with the paired "
            "t-test's p-value for 'no difference'." + adj
        )
        s.tables.append(("Differences", wide_differences(diffs)))
        s.figures.append(
            (
                "Differences with intervals (red: interval excludes zero)",
                _difference_figure(
                    diffs, figs / f"differences_{tag}.png", f"Paired differences, {firm}"
                ),
            )
        )
        out.append(s)
    return out


def glossary_section(keys: list[str]) -> Section | None:
    """What the KPIs shown mean (from :mod:`simulator.glossary`; None when it is not there)."""
    rows = []
    for key in dict.fromkeys(keys):
        e = answers._glossary_entry(key)
        if e is not None:
            rows.append({"KPI": e.name, "definition": e.definition, "unit": e.unit, "window": e.window})
    if not rows:
        return None
    s = Section("Glossary")
    s.text.append("What each KPI in this report means (the project's KPI glossary).")
    s.tables.append(("KPIs", pd.DataFrame(rows)))
    return s


def build_sections(exp: analysis.Loaded) -> list[Section]:
    """The report's sections, the answer first, with figures written to ``figures/``."""
    figs = exp.folder / "figures"
    m = exp.manifest
    points = m["points"]
    sections: list[Section] = [answer_section(exp), setup_section(exp)]
    sections += _factorial_sections(exp, figs)
    shown: list[str] = []
    if len(points) == 1:
        for firm in exp.reported_firms:
            sections += kpi_sections(exp, firm, figs)
        shown += list(analysis.kpi_table(exp, 0)["kpi"])

    s = Section("Time series")
    shown_points = [0] if len(points) == 1 else sorted({0, len(points) - 1})
    for firm in exp.reported_firms:
        tag = re.sub(r"[^A-Za-z0-9_-]", "_", firm)
        for p in shown_points:
            vals = ", ".join(f"{_short(k)} = {v:.3g}" for k, v in points[p]["values"].items())
            title = f"{firm}" + (f" at {vals}" if vals else "")
            name = f"timeseries_p{p:04d}.png" if exp.mode == "policies" else f"timeseries_{tag}.png"
            s.figures.append(
                (
                    f"Daily series of {title}",
                    _timeseries_figure(exp, p, figs / name, title, firm),
                )
            )
    sections.append(s)

    s = Section("Warm-up (Welch plot)")
    s.text.append(
        "Mean daily profit over replications, smoothed with centred moving averages (Welch's method). "
        "Choose the warm-up where the smoothed curves level off; the dotted line is the cut used."
    )
    s.figures.append(("Welch plot", _welch_figure(exp, figs / "welch.png")))
    sections.append(s)

    if exp.parameters:
        sections += sweep_sections(exp, figs)
        shown += _sweep_kpis(exp)
    g = glossary_section(shown)
    if g is not None:
        sections.append(g)
    return sections


def _factorial_sections(exp: analysis.Loaded, figs: Path) -> list[Section]:
    """The decomposition of a factorial design (policy x a second factor), if it is one."""
    from simulator.experiments import factorial

    if not factorial.is_factorial(exp):
        return []
    parts = factorial.report_parts(exp, figs)
    return [Section(parts["title"], parts["text"], parts["tables"], parts["figures"])]


def sweep_sections(exp: analysis.Loaded, figs: Path) -> list[Section]:
    """Response curves, the difference curve with its tipping point (or a heatmap), Sobol indices."""
    m = exp.manifest
    pols = exp.policies
    out = []
    resp = analysis.response(exp)
    s = Section(f"Sweep: response of {answers.kpi_name(exp.kpi)}")
    s.figures.append((f"Response of {exp.kpi}", _response_figure(exp, resp, figs / "response.png")))
    wide = resp.pivot_table(index=["point", *exp.parameters], columns="policy", values="mean")
    wide = wide.reindex(columns=[p for p in pols if p in wide.columns]).reset_index()
    for lab in pols:
        if lab in wide:
            wide[lab] = [answers.fmt_value(exp.kpi, v) for v in wide[lab]]
    wide.columns = [_short(str(c)) for c in wide.columns]
    s.tables.append((f"{answers.kpi_name(exp.kpi)} per point (mean; columns: policies)", wide))
    out.append(s)
    if len(pols) >= 2:
        a, b = pols[0], pols[1]
        curve = analysis.difference_curve(exp, a, b)
        s = Section(f"Sweep: {b} minus {a}")
        tab = curve[["point", *exp.parameters, "mean", "low", "high", "n"]].copy()
        tab.columns = [_short(str(c)) for c in tab.columns]
        s.tables.append((f"{answers.kpi_name(exp.kpi)} difference per point", tab))
        if len(exp.parameters) == 1:
            tip = analysis.tipping(exp, a, b)
            today = analysis.baseline_value(exp)
            s.figures.append(
                (
                    "Difference curve and tipping point",
                    _difference_curve_figure(
                        exp, curve, a, b, tip, figs / "difference_curve.png", today=today
                    ),
                )
            )
        elif m["spec"]["design"]["kind"] == "grid":
            s.figures.append(
                ("Heatmap of the difference", _heatmap_figure(exp, curve, a, b, figs / "heatmap.png"))
            )
        out.append(s)
    sob = analysis.sobol_indices(exp)
    if sob is not None and not sob.empty:
        s = Section("Sobol sensitivity indices")
        warning = analysis.sobol_warning(exp, sob)
        if warning:
            s.text.append(f"**{warning}**")
        s.text.append(
            "First-order (S1) and total-order (ST) indices from SALib with 95% bootstrap "
            "intervals, computed on the mean over replications at each point."
        )
        s.tables.append(("Sobol indices", sob))
        s.figures.append(("Sobol indices", _sobol_figure(sob, figs / "sobol.png")))
        out.append(s)
    return out


def html_blocks(text: list[str], inline: Any) -> list[dict[str, Any]]:
    """Paragraphs and bullet lists (lines that start with ``- ``) for the HTML template."""
    blocks: list[dict[str, Any]] = []
    for t in text:
        if t.startswith("- "):
            if not blocks or blocks[-1]["kind"] != "list":
                blocks.append({"kind": "list", "items": []})
            blocks[-1]["items"].append(inline(t[2:]))
        else:
            blocks.append({"kind": "p", "text": inline(t)})
    return blocks


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def write_report(folder: Path) -> tuple[Path, Path]:
    """Write ``report.md`` and ``report.html`` for an experiment folder; return their paths."""
    exp = analysis.load(folder)
    sections = build_sections(exp)
    m = exp.manifest
    title = f"{m['kind'].capitalize()} report: {m['name']}"
    git = m.get("git_commit") or "unknown"
    meta = f"Created {m['created']} · git {git} · experiment {m['fingerprint']}"
    return write_pages(folder, title, meta, sections)


def write_pages(folder: Path, title: str, meta: str, sections: list[Section]) -> tuple[Path, Path]:
    """Write ``report.md`` (figures linked) and ``report.html`` (figures embedded) into ``folder``."""
    md = [f"# {title}", "", f"_{meta}_", ""]
    for s in sections:
        md += [f"## {s.title}", ""]
        for t in s.text:
            md += [t, ""]
        for cap, tab in s.tables:
            md += [f"**{cap}**", "", _md_table(tab), ""]
        for cap, fig in s.figures:
            md += [f"![{cap}]({fig.relative_to(folder).as_posix()})", ""]
    md_path = folder / "report.md"
    text = "\n".join(md)
    atomic_write(md_path, lambda p: _write_text(p, text))

    # autoescape every template: select_autoescape() alone misses "report.html.j2" (it looks at the
    # last suffix), and a firm or sweep name may hold markup
    env = Environment(
        loader=PackageLoader("simulator", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "htm", "xml", "j2"), default=True),
    )
    import markupsafe

    def md_inline(s: str) -> markupsafe.Markup:
        esc = str(markupsafe.escape(s))
        esc = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", esc)
        return markupsafe.Markup(re.sub(r"`(.+?)`", r"<code>\1</code>", esc))

    def embed(p: Path) -> str:
        return "data:image/png;base64," + base64.b64encode(p.read_bytes()).decode()

    html = env.get_template("report.html.j2").render(
        title=title,
        meta=meta,
        sections=[
            {
                "title": s.title,
                "blocks": html_blocks(s.text, md_inline),
                "tables": [
                    (
                        c,
                        [str(x) for x in t.columns],
                        [[_fmt(v) for v in row] for row in t.itertuples(index=False)],
                    )
                    for c, t in s.tables
                ],
                "figures": [(c, embed(f)) for c, f in s.figures],
            }
            for s in sections
        ],
    )
    html_path = folder / "report.html"
    atomic_write(html_path, lambda p: _write_text(p, html))
    return md_path, html_path
