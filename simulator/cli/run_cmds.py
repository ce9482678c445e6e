"""Single runs: ``check`` a scenario, ``run`` it, ask ``why`` a firm decided what it did."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from simulator.cli.common import (
    AllowLargeOpt,
    app,
    claim,
    default_out,
    err,
    estimate_note,
    fail_input,
    input_path,
    out,
)
from simulator.scenario import ScenarioError, load_scenario, strip_controls


@app.command()
def check(
    files: Annotated[
        list[Path], typer.Argument(help="Scenario, sweep (TOML) or demand (CSV) files to validate.")
    ],
    allow_large: AllowLargeOpt = False,
) -> None:
    """Validate scenario, sweep and demand files, and the files they name, before any run.

    Prints each problem as FILE: field.path: message (every problem of a file at once), or
    FILE: ok with what the file would take to run.
    """
    from simulator.checks import check_file

    bad: list[str] = []
    for f in files:
        result = check_file(f, allow_large)
        if result.ok:
            note = f" ({result.kind}; {result.note})" if result.note else f" ({result.kind})"
            typer.echo(strip_controls(f"{f}: ok{note}"))
        else:
            bad.extend(result.problems)
    if bad:
        fail_input(bad)


@app.command()
def why(
    folder: Annotated[Path, typer.Argument(help="A run folder (it holds decisions.parquet).")],
    firm: Annotated[str | None, typer.Option(help="Only this firm's decisions.")] = None,
    day: Annotated[int | None, typer.Option(help="Only the decisions of this day.")] = None,
    action: Annotated[
        str | None, typer.Option(help="Only release, capacity, price, quality, marketing or hold.")
    ] = None,
) -> None:
    """Explain a run's decisions in sentences: what each firm decided, by which rule, and why."""
    import json

    import pandas as pd

    from simulator.why import explain

    path = folder / "decisions.parquet"
    if not path.is_file():
        fail_input([f"{folder}: no decisions.parquet here (not a run folder?)"])
    try:
        df = pd.read_parquet(path)
        firms = sorted({str(x) for x in df["firm"]})
    except Exception as e:  # pyarrow raises several types for a damaged file
        fail_input([f"{path}: cannot read: {e}"])
        return
    if firm is not None and firm not in firms:
        fail_input([f"{path}: --firm: no firm named {firm!r} (firms: {', '.join(firms)})"])
    actions = ("release", "capacity", "price", "quality", "marketing", "hold")
    if action is not None and action not in actions:
        fail_input([f"--action: choose one of {', '.join(actions)} (got {action!r})"])
    try:
        days = int(json.loads((folder / "manifest.json").read_text())["days"])
    except (OSError, ValueError, KeyError, TypeError):
        days = int(df["day"].max()) + 1 if len(df) else 0
    if day is not None and not 0 <= day < days:
        fail_input([f"--day {day}: outside the run (days 0 to {days - 1})"])
    lines = explain(df, firm, day, action)
    for line in lines:
        # a run folder may come from anywhere: no name in it may drive the terminal
        typer.echo(strip_controls(line))
    if not lines:
        what = " and ".join(
            x
            for x in (
                f"firm {firm}" if firm else "",
                f"day {day}" if day is not None else "",
                f"action {action}" if action else "",
            )
            if x
        )
        typer.echo(strip_controls(f"No decision for {what or 'this run'}."))


def _with_days(spec: Any, scenario: Path, days: int | None) -> Any:
    """The scenario shortened or lengthened to ``--days`` (notes on what that changes), or exit 2."""
    if days is None:
        return spec
    try:
        shorter, notes = spec.shortened(days)
    except ScenarioError as e:
        fail_input([f"{scenario} with --days {days}: {p}: {m}" for p, m in e.problems])
        raise AssertionError("not reached") from None
    for note in notes:
        err.print(strip_controls(f"note: --days {days}: {note}"), highlight=False)
    return shorter


def preflight(spec: Any, scenario: Path, days: int | None, events: bool, allow_large: bool) -> None:
    """Before any work: the files the scenario names, and whether this machine can run it."""
    from simulator.resources import ResourceError, check_fits, input_file_problems, run_estimate

    problems = input_file_problems(spec)
    if problems:
        fail_input([f"{scenario}: {p}: {m}" for p, m in problems])
    est = run_estimate(spec, events=events)
    try:
        check_fits(est, str(scenario), "--days" if days is not None else "run.days", allow_large)
    except ResourceError as e:
        fail_input(e.lines())
    estimate_note(est)


@app.command()
def run(
    scenario: Annotated[str, typer.Argument(help="Scenario file (TOML) or bundled scenario name.")],
    seed: Annotated[int | None, typer.Option(min=0, help="Root seed (default: run.seed).")] = None,
    days: Annotated[
        int | None, typer.Option(min=1, help="Days to simulate (default: run.days).")
    ] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Run folder (default: results/NAME-seedN-TIME).")
    ] = None,
    events: Annotated[
        bool,
        typer.Option("--events", metavar="", help="Also write the consumer event log (events.parquet)."),
    ] = False,
    with_report: Annotated[
        bool,
        typer.Option(
            "--report/--no-report", metavar="", help="Write report.html and report.md (with figures)."
        ),
    ] = True,
    allow_large: AllowLargeOpt = False,
) -> None:
    """Run a scenario and write its run folder with a report.

    Before simulating, the scenario, the files it names and the output folder are checked, and the
    run's memory and time are estimated: what this machine cannot run is refused (exit 2).
    """
    path = input_path(scenario)
    try:
        spec = load_scenario(path)
    except ScenarioError as e:
        fail_input(e.lines())
        return
    if seed is not None and seed >= 2**64:
        fail_input([f"--seed: at most {2**64 - 1} (got {seed})"])
    if days is not None and spec.run.warmup_days >= days:
        fail_input(
            [
                f"--days {days}: not longer than the warm-up ({spec.run.warmup_days} days, "
                f"run.warmup_days in {path}); KPIs would cover no day. Give more days or a "
                "shorter warm-up."
            ]
        )
    root_seed = spec.run.seed if seed is None else seed
    spec = _with_days(spec, path, days)
    preflight(spec, path, days, events, allow_large)
    target = out_dir if out_dir is not None else default_out(spec.name, root_seed)
    n_days = spec.run.days
    # the model's modules load only once the input is known to be good (a bad path fails fast)
    from simulator.experiments.run import run_once
    from simulator.results import now_iso, safe_path, write_run_folder

    with claim(target, "run"):
        started = now_iso()
        # the event log streams to a temporary file in the folder, renamed at the end
        events_to = safe_path(target, ".events.parquet.stream.tmp") if events else False
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=True,
        ) as bar:
            task = bar.add_task(strip_controls(f"{spec.name} (seed {root_seed})"), total=n_days)
            try:
                result = run_once(
                    spec,
                    seed=root_seed,
                    progress=lambda d: bar.update(task, completed=d),
                    events=events_to,
                )
            except ScenarioError as e:  # an input the scenario names (an edge-list file) is bad
                fail_input(e.lines())
                return
        from simulator.firms.figures import write_profit_figure
        from simulator.market.figures import write_event_figures

        figures = write_event_figures(target, spec.events, result.market, result.timeseries)
        warm = int(result.summary["market"]["warmup_days"])
        figures.append(write_profit_figure(target, result.timeseries, warm))
        write_run_folder(target, spec, result, root_seed, started, days=n_days)
        report = None
        if with_report:
            from simulator.run_report import write_run_report

            report = write_run_report(target)
    print_kpis(result.summary)
    for fig in figures:
        typer.echo(f"Figure: {fig}")
    if report is not None:
        md, html = report
        typer.echo(f"Report: {html}\n        {md}")
    typer.echo(f"Run folder: {target}")


def print_kpis(summary: dict[str, Any]) -> None:
    """Print the per-firm KPI table (the glossary in the README defines each row) and the market line."""
    from simulator.cli.kpi_table import kpi_table

    def fmt(v: Any, pct: bool = False) -> str:
        if v is None:
            return "-"
        if pct:
            return f"{100 * v:.1f}%"
        return f"{v:,.2f}" if isinstance(v, float) else f"{v:,}"

    out.print(kpi_table(summary["firms"], "KPIs per firm (after warm-up)"))
    gens = Table(title="Market share by generation")
    gens.add_column("firm")
    first = next(iter(summary["firms"].values()))
    for g in first["market_share_by_generation"]:
        gens.add_column(g, justify="right")
    for name, k in summary["firms"].items():
        gens.add_row(name, *[fmt(v, True) for v in k["market_share_by_generation"].values()])
    out.print(gens)
    m = summary["market"]
    causes = m.get("went_without_by_cause") or {}
    why = ", ".join(f"{c} {fmt(v, True)}" for c, v in causes.items() if v)
    out.print(
        f"{m['consumers']:,} consumers, {m['days']} days (warm-up {m['warmup_days']}); "
        f"went without: {fmt(m['no_purchase_share'], True)}" + (f" ({why})" if why else ""),
        highlight=False,
    )
