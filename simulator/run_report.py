"""The report of one run: its KPIs, its days in pictures, and its tables for a spreadsheet.

Like a shift report at the end of a production run, ``write_run_report(folder)`` reads a run folder
(``manifest.json``, ``summary.json``, ``timeseries.parquet``, ``market.parquet``) and writes
``report.html`` (self-contained, figures embedded) and ``report.md`` beside them: the KPI table
(one column per firm, the four KPIs teams ask for first) with what each KPI means, then the daily
story: market share by firm and by generation, inventory, backlog and work in process, profit,
boycotts and perceived reputation, quoted against actual lead times, each with the days events
took effect marked and the warm-up shaded. ``exports/`` gets the run's tables as CSV files and,
where ``openpyxl`` is installed, one Excel workbook. ``marketsim report RUN`` rebuilds all of it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import EngFormatter, PercentFormatter

from simulator import answers
from simulator.report import Section, _save, write_pages
from simulator.results import atomic_write
from simulator.scenario import GENERATIONS

FIRM_COLOURS = ("#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")
EVENT_LETTERS = {"scandal": "S", "virtue": "V", "supply_disruption": "D", "demand_shift": "~"}
HEADLINE_KEYS = ("profit", "cost_per_unit", "defect_ppm", "otif", "market_share")
"""KPIs the table starts with: profit, cost, quality, delivery, market share."""
WINDOW = 7
"""Days the share and lead-time curves average over (one day's orders are few and noisy)."""


class NotARun(Exception):
    """The folder is no finished run folder."""


def is_run_folder(folder: Path) -> bool:
    """Whether ``folder`` holds a finished run (not an experiment)."""
    return (folder / "manifest.json").is_file() and (folder / "timeseries.parquet").is_file()


def load_run(folder: Path) -> dict[str, Any]:
    """A run folder's manifest, summary and tables.

    Raises:
        NotARun: a file is missing or unreadable.
    """
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
        summary = json.loads((folder / "summary.json").read_text())
        ts = pd.read_parquet(folder / "timeseries.parquet")
    except (OSError, ValueError) as e:
        raise NotARun(f"{folder}: not a finished run folder ({e})") from None
    market_path = folder / "market.parquet"
    market = pd.read_parquet(market_path) if market_path.is_file() else pd.DataFrame()
    dec_path = folder / "decisions.parquet"
    decisions = pd.read_parquet(dec_path) if dec_path.is_file() else pd.DataFrame()
    ts["firm"] = ts["firm"].astype(str)
    return {
        "manifest": manifest,
        "summary": summary,
        "timeseries": ts,
        "market": market,
        "decisions": decisions,
    }


# --- tables --------------------------------------------------------------------------------------


def kpi_keys(summary: dict[str, Any]) -> list[str]:
    """The scalar KPIs of the summary, the headline ones first."""
    first: dict[str, Any] = next(iter(summary["firms"].values()), {})
    scalar = [
        k
        for k, v in first.items()
        if (isinstance(v, int | float) or v is None) and not isinstance(v, bool)
    ]
    return [k for k in HEADLINE_KEYS if k in scalar] + [k for k in scalar if k not in HEADLINE_KEYS]


def kpi_table(summary: dict[str, Any]) -> pd.DataFrame:
    """KPIs as numbers: one row per KPI (key and name), one column per firm."""
    firms = list(summary["firms"])
    rows = []
    for key in kpi_keys(summary):
        row: dict[str, Any] = {"kpi": key, "name": answers.kpi_name(key)}
        for f in firms:
            v = summary["firms"][f].get(key)
            row[f] = float(v) if v is not None else math.nan
        rows.append(row)
    for g in GENERATIONS:
        row = {"kpi": f"share_{g}", "name": f"market share, {g.replace('_', ' ')}"}
        for f in firms:
            v = summary["firms"][f].get("market_share_by_generation", {}).get(g)
            row[f] = float(v) if v is not None else math.nan
        rows.append(row)
    return pd.DataFrame(rows)


def shown_kpi_table(table: pd.DataFrame, firms: list[str]) -> pd.DataFrame:
    """The KPI table as a reader sees it: names and values in their units."""
    out = pd.DataFrame({"KPI": table["name"]})
    for f in firms:
        out[f] = [
            answers.fmt_value("market_share" if k.startswith("share_") else k, v)
            for k, v in zip(table["kpi"], table[f], strict=True)
        ]
    return out


def glossary_rows(keys: list[str]) -> pd.DataFrame | None:
    """Definition, unit and window of each KPI shown (None when the glossary is not there)."""
    rows = []
    for key in keys:
        e = answers._glossary_entry(key)
        if e is not None:
            rows.append({"KPI": e.name, "definition": e.definition, "unit": e.unit, "window": e.window})
    return pd.DataFrame(rows).drop_duplicates("KPI") if rows else None


# --- figures -------------------------------------------------------------------------------------


def _events(manifest: dict[str, Any]) -> list[tuple[int, str, str | None]]:
    evs = manifest.get("scenario", {}).get("events", []) or []
    return sorted((int(e["day"]), str(e["kind"]), e.get("firm")) for e in evs if "day" in e)


def _mark(
    ax: Axes, events: list[tuple[int, str, str | None]], colours: dict[str, str], warm: int
) -> None:
    ax.axvspan(0, warm, color="grey", alpha=0.1, lw=0)
    for day, kind, firm in events:
        c = colours.get(firm or "", "#444444")
        ax.axvline(day, color=c, ls="--", lw=1, alpha=0.8)
        ax.annotate(
            EVENT_LETTERS.get(kind, "?"),
            (day, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(2, -10),
            textcoords="offset points",
            color=c,
            fontsize=8,
            fontweight="bold",
        )


def _wide(ts: pd.DataFrame, column: str, firms: list[str]) -> pd.DataFrame:
    w = ts.pivot_table(index="day", columns="firm", values=column, aggfunc="first")
    return w.reindex(columns=[f for f in firms if f in w.columns]).sort_index()


def _share(counts: pd.DataFrame, window: int) -> pd.DataFrame:
    s = counts.fillna(0).rolling(window, min_periods=1).sum()
    tot = s.sum(axis=1)
    return s.div(tot.where(tot > 0), axis=0)


def _legend(fig: Any, ax: Axes) -> None:
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        # below the axes and their labels (the saved figure's tight box takes it in)
        fig.legend(
            handles,
            labels,
            loc="upper center",
            bbox_to_anchor=(0.5, 0.0),
            ncol=min(len(labels), 6),
            fontsize=8,
            frameon=False,
        )


def share_figure(run: dict[str, Any], path: Path) -> Path:
    """Market share by firm, and within each generation, over the days."""
    ts, m = run["timeseries"], run["manifest"]
    firms = list(run["summary"]["firms"])
    colours = {f: FIRM_COLOURS[i % len(FIRM_COLOURS)] for i, f in enumerate(firms)}
    warm = int(run["summary"]["market"].get("warmup_days", 0))
    events = _events(m)
    fig = plt.figure(figsize=(11, 6.2))
    top = fig.add_subplot(2, 1, 1)
    share = _share(_wide(ts, "units_ordered", firms), WINDOW)
    for f in share.columns:
        top.plot(share.index, share[f], color=colours[f], lw=1.5, label=f)
    _mark(top, events, colours, warm)
    top.set_ylim(0, 1)
    top.yaxis.set_major_formatter(PercentFormatter(1.0))
    top.set_ylabel(f"share of units ({WINDOW}-day)")
    top.set_title("Market share by firm", fontsize=10)
    top.grid(alpha=0.3)
    gens = [g for g in GENERATIONS if f"orders_{g}" in ts]
    for k, g in enumerate(gens):
        ax = fig.add_subplot(2, len(gens), len(gens) + k + 1)
        gs = _share(_wide(ts, f"orders_{g}", firms), 2 * WINDOW)
        for f in gs.columns:
            ax.plot(gs.index, gs[f], color=colours[f], lw=1.2)
        _mark(ax, events, colours, warm)
        ax.set_ylim(0, 1)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_title(g.replace("_", " "), fontsize=9)
        ax.tick_params(labelsize=7)
        ax.set_xlabel("day", fontsize=8)
        if k:
            ax.set_yticklabels([])
        else:
            ax.set_ylabel(f"by generation ({2 * WINDOW}-day)", fontsize=8)
    _legend(fig, top)
    fig.subplots_adjust(bottom=0.14, hspace=0.45)
    return _save(fig, path)


def operations_figure(run: dict[str, Any], path: Path) -> Path:
    """Finished goods on hand, backlog and work in process per firm."""
    ts = run["timeseries"]
    firms = list(run["summary"]["firms"])
    colours = {f: FIRM_COLOURS[i % len(FIRM_COLOURS)] for i, f in enumerate(firms)}
    warm = int(run["summary"]["market"].get("warmup_days", 0))
    events = _events(run["manifest"])
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.6), sharex=True)
    for ax, col, title in zip(
        axes, ("on_hand", "backorders", "wip"), ("inventory on hand", "backlog", "WIP"), strict=True
    ):
        w = _wide(ts, col, firms)
        for f in w.columns:
            ax.plot(w.index, w[f], color=colours[f], lw=1.2, label=f)
        _mark(ax, events, colours, warm)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("day")
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_formatter(EngFormatter(sep=""))
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("units")
    _legend(fig, axes[0])
    fig.subplots_adjust(bottom=0.25)
    return _save(fig, path)


def profit_figure(run: dict[str, Any], path: Path) -> Path:
    """Profit to date and daily revenue per firm."""
    ts = run["timeseries"]
    firms = list(run["summary"]["firms"])
    colours = {f: FIRM_COLOURS[i % len(FIRM_COLOURS)] for i, f in enumerate(firms)}
    warm = int(run["summary"]["market"].get("warmup_days", 0))
    events = _events(run["manifest"])
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 3.6), sharex=True)
    profit = _wide(ts, "profit", firms).fillna(0).cumsum()
    revenue = _wide(ts, "revenue", firms).rolling(WINDOW, min_periods=1).mean()
    for f in profit.columns:
        a1.plot(profit.index, profit[f], color=colours[f], lw=1.5, label=f)
        a2.plot(revenue.index, revenue[f], color=colours[f], lw=1.2)
    for ax, title in ((a1, "profit to date"), (a2, f"revenue per day ({WINDOW}-day mean)")):
        _mark(ax, events, colours, warm)
        ax.axhline(0, color="#888888", lw=0.8)
        ax.yaxis.set_major_formatter(EngFormatter(sep=""))
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("day")
        ax.grid(alpha=0.3)
    _legend(fig, a1)
    fig.subplots_adjust(bottom=0.25)
    return _save(fig, path)


def social_figure(run: dict[str, Any], path: Path) -> Path | None:
    """Share of consumers boycotting each firm, and its mean perceived reputation."""
    market = run["market"]
    firms = list(run["summary"]["firms"])
    if market.empty or not any(f"boycott:{f}" in market for f in firms):
        return None
    colours = {f: FIRM_COLOURS[i % len(FIRM_COLOURS)] for i, f in enumerate(firms)}
    warm = int(run["summary"]["market"].get("warmup_days", 0))
    events = _events(run["manifest"])
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 3.6), sharex=True)
    for f in firms:
        if f"boycott:{f}" in market:
            a1.plot(market["day"], market[f"boycott:{f}"], color=colours[f], lw=1.4, label=f)
        if f"reputation:{f}" in market:
            a2.plot(market["day"], market[f"reputation:{f}"], color=colours[f], lw=1.4)
    top = max(
        0.05, 1.15 * float(np.nanmax([market.get(f"boycott:{f}", pd.Series([0])).max() for f in firms]))
    )
    a1.set_ylim(0, top)
    a1.yaxis.set_major_formatter(PercentFormatter(1.0))
    a2.set_ylim(0, 1)
    for ax, title in ((a1, "consumers boycotting"), (a2, "perceived reputation (mean)")):
        _mark(ax, events, colours, warm)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("day")
        ax.grid(alpha=0.3)
    _legend(fig, a1)
    fig.subplots_adjust(bottom=0.25)
    return _save(fig, path)


def lead_time_figure(run: dict[str, Any], path: Path) -> Path | None:
    """Quoted against actual lead time of the orders delivered each day, per firm."""
    ts = run["timeseries"]
    if "lead_time_actual" not in ts:
        return None
    firms = list(run["summary"]["firms"])
    colours = {f: FIRM_COLOURS[i % len(FIRM_COLOURS)] for i, f in enumerate(firms)}
    warm = int(run["summary"]["market"].get("warmup_days", 0))
    events = _events(run["manifest"])
    fig, ax = plt.subplots(figsize=(11, 3.8))
    n = _wide(ts, "delivered_orders", firms).fillna(0)
    for col, ls, what in (("lead_time_quoted", "--", "quoted"), ("lead_time_actual", "-", "actual")):
        w = _wide(ts, col, firms)
        # order-weighted mean over the window: a day with few deliveries counts little
        num = (w.fillna(0) * n).rolling(WINDOW, min_periods=1).sum()
        den = n.rolling(WINDOW, min_periods=1).sum()
        mean = num / den.where(den > 0)
        for f in mean.columns:
            ax.plot(mean.index, mean[f], color=colours[f], ls=ls, lw=1.4, label=f"{f} {what}")
    _mark(ax, events, colours, warm)
    ax.set_ylim(bottom=0)
    ax.set_ylabel("days from order")
    ax.set_xlabel("day of delivery")
    ax.set_title(
        f"Quoted (dashed) and actual (solid) lead time of the orders delivered ({WINDOW}-day mean)",
        fontsize=10,
    )
    ax.grid(alpha=0.3)
    _legend(fig, ax)
    fig.subplots_adjust(bottom=0.27)
    return _save(fig, path)


# --- exports -------------------------------------------------------------------------------------


def _write_csv(path: Path, df: pd.DataFrame) -> None:
    atomic_write(path, lambda p: df.to_csv(p, index=False))


def write_exports(folder: Path, run: dict[str, Any], table: pd.DataFrame) -> list[Path]:
    """The run's tables as CSV files in ``exports/`` and, with openpyxl, one Excel workbook."""
    out_dir = folder / "exports"
    out_dir.mkdir(exist_ok=True)
    tables = {
        "kpis": table,
        "timeseries": run["timeseries"],
        "market": run["market"],
        "decisions": run["decisions"],
    }
    written = []
    for name, df in tables.items():
        if df is None or df.empty:
            continue
        path = out_dir / f"{name}.csv"
        _write_csv(path, df)
        written.append(path)
    try:
        import openpyxl  # noqa: F401
    except ImportError:
        return written
    path = out_dir / "run.xlsx"

    def workbook(p: Path) -> None:
        with pd.ExcelWriter(p, engine="openpyxl") as xl:
            for name, df in tables.items():
                if df is not None and not df.empty:
                    df.to_excel(xl, sheet_name=name, index=False)

    atomic_write(path, workbook)
    written.append(path)
    return written


# --- the report ----------------------------------------------------------------------------------


def build_run_sections(folder: Path, run: dict[str, Any], table: pd.DataFrame) -> list[Section]:
    """The run report's sections (figures written to ``figures/``)."""
    m, summary = run["manifest"], run["summary"]
    firms = list(summary["firms"])
    market = summary["market"]
    figs = folder / "figures"
    scen = m.get("scenario", {})
    kpis = Section("KPIs")
    kpis.text.append(
        f"Scenario **{scen.get('name', '?')}**, seed {m.get('seed')}, {market.get('days')} days; "
        f"{market.get('consumers', 0):,} consumers. KPIs are measured after the "
        f"{market.get('warmup_days')}-day warm-up (shaded grey in the figures)."
    )
    if market.get("no_purchase_share") is not None:
        kpis.text.append(
            "Shopping occasions that ended without a purchase: "
            f"{100 * market['no_purchase_share']:.1f}%."
        )
    kpis.tables.append(
        ("KPIs per firm (the four KPIs teams ask for first)", shown_kpi_table(table, firms))
    )
    events = _events(m)
    if events:
        kpis.text.append(
            "Events (dashed lines in the figures): "
            + "; ".join(
                f"day {d}: {k.replace('_', ' ')}"
                + (f" at {f}" if f else "")
                + f" ({EVENT_LETTERS.get(k, '?')})"
                for d, k, f in events
            )
            + "."
        )
    sections = [kpis]
    days = Section("The days")
    days.figures.append(
        ("Market share by firm and by generation", share_figure(run, figs / "share.png"))
    )
    days.figures.append(
        ("Inventory, backlog and work in process", operations_figure(run, figs / "operations.png"))
    )
    days.figures.append(("Profit", profit_figure(run, figs / "profit.png")))
    social = social_figure(run, figs / "social.png")
    if social is not None:
        days.figures.append(("Boycotts and reputation", social))
    lead = lead_time_figure(run, figs / "lead_times.png")
    if lead is not None:
        days.figures.append(("Quoted and actual lead times", lead))
    sections.append(days)
    # figures the run itself drew (the accrual profit and costs, a scandal's boycott)
    ours = {p.resolve() for _, p in days.figures}
    others = sorted(p for p in figs.glob("*.png") if p.resolve() not in ours)
    if others:
        more = Section("More from the run")
        captions = {"profit_and_costs": "Profit (accrual and cash), stocks at cost, cost per unit"}
        for p in others:
            cap = captions.get(p.stem) or (
                f"Boycott of {p.stem.removeprefix('boycott_')}: awareness, boycott, never-return, "
                "share of orders"
                if p.stem.startswith("boycott_")
                else p.stem.replace("_", " ")
            )
            more.figures.append((cap, p))
        sections.append(more)
    g = glossary_rows(list(table["kpi"]))
    if g is not None:
        gl = Section("Glossary")
        gl.text.append("What each KPI in the table means (the project's KPI glossary).")
        gl.tables.append(("KPIs", g))
        sections.append(gl)
    return sections


def write_run_report(folder: Path) -> tuple[Path, Path]:
    """Write ``report.md``, ``report.html``, ``figures/`` and ``exports/`` for a run folder.

    Raises:
        NotARun: the folder holds no finished run.
    """
    run = load_run(folder)
    table = kpi_table(run["summary"])
    write_exports(folder, run, table)
    sections = build_run_sections(folder, run, table)
    m = run["manifest"]
    ex = Section("Exports")
    files = sorted(p.name for p in (folder / "exports").iterdir() if p.suffix in (".csv", ".xlsx"))
    ex.text.append(
        "The run's tables for a spreadsheet, in `exports/`: "
        + ", ".join(f"`{f}`" for f in files)
        + ("" if "run.xlsx" in files else " (an Excel workbook too where openpyxl is installed)")
        + "."
    )
    sections.append(ex)
    name = m.get("scenario", {}).get("name", folder.name)
    title = f"Run report: {name} (seed {m.get('seed')})"
    git = m.get("git_commit") or "unknown"
    meta = f"Run {m.get('started', '?')} to {m.get('finished', '?')} · git {git}"
    return write_pages(folder, title, meta, sections)
