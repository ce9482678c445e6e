"""``marketsim``: the command line. Thin: it parses, calls the library, prints.

Exit codes: 0 success, 2 bad input (a message naming the file, the field and what is wrong, never a
traceback), 1 internal error.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from simulator.scenario import ScenarioError, load_scenario

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Simulate value-driven ('meaning out') consumers buying from firms with different "
    "supply chains.",
)
out = Console()
err = Console(stderr=True)


class BadInput(Exception):
    """Bad input from the user: printed as given, exit code 2."""


def _fail_input(lines: list[str]) -> None:
    for line in lines:
        typer.echo(line, err=True)
    raise typer.Exit(2)


@app.command()
def check(
    files: Annotated[list[Path], typer.Argument(help="Scenario files to validate.")],
) -> None:
    """Validate scenario files; print each problem as FILE: field.path: message."""
    bad: list[str] = []
    for f in files:
        try:
            load_scenario(f)
            typer.echo(f"{f}: ok")
        except ScenarioError as e:
            bad.extend(e.lines())
    if bad:
        _fail_input(bad)


@app.command()
def why(
    folder: Annotated[Path, typer.Argument(help="A run folder (it holds decisions.parquet).")],
    firm: Annotated[str | None, typer.Option(help="Only this firm's decisions.")] = None,
    day: Annotated[int | None, typer.Option(min=0, help="Only the decisions of this day.")] = None,
    action: Annotated[
        str | None, typer.Option(help="Only release, capacity, price, quality, marketing or hold.")
    ] = None,
) -> None:
    """Explain a run's decisions: what each firm decided, by which rule or override, and why."""
    import pandas as pd

    from simulator.policies.decisions import explain

    path = folder / "decisions.parquet"
    if not path.is_file():
        _fail_input([f"{folder}: no decisions.parquet here (not a run folder?)"])
    try:
        df = pd.read_parquet(path)
    except Exception as e:  # pyarrow raises several types for a damaged file
        _fail_input([f"{path}: cannot read: {e}"])
        return
    firms = sorted(set(df["firm"]))
    if firm is not None and firm not in firms:
        _fail_input([f"{path}: --firm: no firm named {firm!r} (firms: {', '.join(firms)})"])
    for line in explain(df, firm, day, action):
        typer.echo(line)


def _check_run_target(target: Path) -> None:
    """Exit 2 unless ``target`` can take a new run folder (nothing already there is overwritten)."""
    from simulator.results import is_run_folder

    if is_run_folder(target):
        _fail_input([f"{target}: already holds a run (manifest.json); choose another --out"])
    if target.exists() and not target.is_dir():
        _fail_input([f"{target}: exists and is not a folder"])


def _default_out(name: str, seed: int) -> Path:
    from simulator.results import now_iso

    stamp = re.sub(r"[^0-9T]", "", now_iso())[:15]
    return Path("results") / f"{name}-seed{seed}-{stamp}"


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (TOML).")],
    seed: Annotated[int | None, typer.Option(min=0, help="Root seed (default: run.seed).")] = None,
    days: Annotated[
        int | None, typer.Option(min=1, help="Days to simulate (default: run.days).")
    ] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Run folder (default: results/NAME-seedN-TIME).")
    ] = None,
    events: Annotated[
        bool, typer.Option("--events", help="Also write the consumer event log (events.parquet).")
    ] = False,
) -> None:
    """Run a scenario and write its run folder."""
    from simulator.experiments.run import run_once
    from simulator.results import now_iso, write_run_folder

    try:
        spec = load_scenario(scenario)
    except ScenarioError as e:
        _fail_input(e.lines())
        return
    root_seed = spec.run.seed if seed is None else seed
    target = out_dir or _default_out(spec.name, root_seed)
    _check_run_target(target)
    n_days = days or spec.run.days
    if days is not None and spec.run.warmup_days >= days:
        err.print(
            f"note: warm-up ({spec.run.warmup_days} days) shortened to {days - 1} for a {days}-day run",
            highlight=False,
        )
    started = now_iso()
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task(f"{spec.name} (seed {root_seed})", total=n_days)
        try:
            result = run_once(
                spec,
                seed=root_seed,
                days=days,
                progress=lambda d: bar.update(task, completed=d),
                events=events,
            )
        except ScenarioError as e:  # an input the scenario names (an edge-list file) is bad
            _fail_input(e.lines())
            return
    from simulator.market.figures import write_event_figures

    figures = write_event_figures(target, spec.events, result.market, result.timeseries)
    write_run_folder(target, spec, result, root_seed, started, days=n_days)
    print_kpis(result.summary)
    for path in figures:
        typer.echo(f"Figure: {path}")
    typer.echo(f"Run folder: {target}")


def print_kpis(summary: dict[str, Any]) -> None:
    """Print the per-firm KPI table and the market line."""

    def fmt(v: Any, pct: bool = False) -> str:
        if v is None:
            return "-"
        if pct:
            return f"{100 * v:.1f}%"
        return f"{v:,.2f}" if isinstance(v, float) else f"{v:,}"

    table = Table(title="KPIs per firm (after warm-up)")
    cols = [
        ("profit", False),
        ("revenue", False),
        ("units_sold", False),
        ("market_share", True),
        ("fill_rate", True),
        ("otif", True),
        ("mean_lead_time_days", False),
        ("mean_inventory", False),
        ("backorders_end", False),
        ("bullwhip_ratio", False),
    ]
    table.add_column("KPI")
    for name in summary["firms"]:
        table.add_column(name, justify="right")
    for c, pct in cols:
        table.add_row(c.replace("_", " "), *[fmt(k[c], pct) for k in summary["firms"].values()])
    out.print(table)
    gens = Table(title="Market share by generation")
    gens.add_column("firm")
    first = next(iter(summary["firms"].values()))
    for g in first["market_share_by_generation"]:
        gens.add_column(g, justify="right")
    for name, k in summary["firms"].items():
        gens.add_row(name, *[fmt(v, True) for v in k["market_share_by_generation"].values()])
    out.print(gens)
    m = summary["market"]
    out.print(
        f"{m['consumers']:,} consumers, {m['days']} days (warm-up {m['warmup_days']}); "
        f"went without: {fmt(m['no_purchase_share'], True)}",
        highlight=False,
    )


def _experiment_progress(label: str) -> tuple[Progress, Any]:
    """A progress bar with runs done, failed and the time left."""
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("failed: {task.fields[failed]}"),
        TextColumn("elapsed"),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=err,
    )
    return bar, bar.add_task(label, total=None, failed=0)


def _run_experiment(
    exp: Any,
    out_dir: Path,
    kind: str,
    executor: str,
    workers: int | None,
    scheduler: str | None,
    resume: bool,
    with_report: bool = True,
) -> None:
    from simulator.experiments.analysis import NotAnExperiment
    from simulator.experiments.engine import ExperimentFolderError, run_experiment
    from simulator.experiments.executors import ExecutorUnavailable, open_executor
    from simulator.report import write_report

    if executor not in ("process", "sequential", "dask"):
        _fail_input([f"--executor: choose process, sequential or dask (got {executor!r})"])
    if scheduler and executor != "dask":
        _fail_input(["--scheduler: only used with --executor dask"])
    bar, task = _experiment_progress(exp.spec.name)
    failed = 0

    def on_start(todo: int, done: int) -> None:
        bar.update(task, total=todo + done, completed=done)
        if done:
            err.print(f"resuming: {done} runs already done, {todo} to go", highlight=False)

    def on_result(run_id: str, ok: bool) -> None:
        nonlocal failed
        failed += 0 if ok else 1
        bar.update(task, advance=1, failed=failed)

    try:
        with bar, open_executor(executor, workers, scheduler) as ex:  # type: ignore[arg-type]
            outcome = run_experiment(exp, out_dir, ex, kind, resume, on_start, on_result)
    except (ExperimentFolderError, ExecutorUnavailable) as e:
        _fail_input([str(e)])
        return
    try:
        md, html = write_report(out_dir) if with_report else (Path("(skipped)"), Path("(skipped)"))
    except NotAnExperiment as e:
        md = html = Path(f"(no report: {e})")
    typer.echo(
        f"{outcome.total} runs ({outcome.skipped} resumed, {outcome.done} run now, "
        f"{len(outcome.failed)} failed)"
    )
    typer.echo(f"Folder: {out_dir}\nReport: {html}\n        {md}")
    if outcome.failed:
        n = len(outcome.failed)
        typer.echo(f"{n} runs failed (see {out_dir / 'failed'}); --resume retries them", err=True)
        raise typer.Exit(1)


ExecutorOpt = Annotated[str, typer.Option(help="Where runs are computed: process, sequential or dask.")]
WorkersOpt = Annotated[int | None, typer.Option(min=1, help="Worker processes (default: CPU count).")]
SchedulerOpt = Annotated[
    str | None, typer.Option(help="Dask scheduler tcp://HOST:PORT (default: a local Dask cluster).")
]
ReportOpt = Annotated[bool, typer.Option("--report/--no-report", help="Write the report at the end.")]
ResumeOpt = Annotated[bool, typer.Option(help="Continue an interrupted folder: rerun missing runs.")]


@app.command()
def compare(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (TOML).")],
    policies: Annotated[str, typer.Option(help="Comma-separated policies to give the firm, e.g. A,B.")],
    firm: Annotated[str | None, typer.Option(help="Firm whose policy changes (default: first).")] = None,
    replications: Annotated[int, typer.Option(min=2, help="Replications per policy.")] = 10,
    seed: Annotated[int | None, typer.Option(min=0, help="Root seed (default: run.seed).")] = None,
    days: Annotated[int | None, typer.Option(min=2, help="Days per run (default: run.days).")] = None,
    warmup: Annotated[
        int | None, typer.Option(min=0, help="Warm-up days cut from KPIs (default: run.warmup_days).")
    ] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Output folder.")] = None,
    executor: ExecutorOpt = "process",
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    resume: ResumeOpt = False,
    with_report: ReportOpt = True,
) -> None:
    """Compare policies on one firm with paired replications (common random numbers)."""
    from simulator.experiments.design import compare_experiment

    names = [p.strip() for p in policies.split(",") if p.strip()]
    if not names:
        _fail_input(["--policies: name at least one policy"])
    try:
        spec = load_scenario(scenario)
        root = spec.run.seed if seed is None else seed
        exp = compare_experiment(scenario, names, firm, replications, root, days, warmup)
    except ScenarioError as e:
        _fail_input(e.lines())
        return
    target = out_dir or _default_out(f"compare-{spec.name}", root)
    _run_experiment(exp, target, "compare", executor, workers, scheduler, resume, with_report)


@app.command()
def sweep(
    sweep_file: Annotated[Path, typer.Argument(help="Sweep file (TOML).")],
    out_dir: Annotated[Path | None, typer.Option("--out", help="Output folder.")] = None,
    executor: ExecutorOpt = "process",
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    resume: ResumeOpt = False,
    with_report: ReportOpt = True,
) -> None:
    """Run a parameter sweep (grid, Latin hypercube or Sobol) comparing policies at each point."""
    from simulator.experiments.design import load_experiment

    try:
        exp = load_experiment(sweep_file)
    except ScenarioError as e:
        _fail_input(e.lines())
        return
    target = out_dir or _default_out(f"sweep-{exp.spec.name}", exp.spec.seed)
    _run_experiment(exp, target, "sweep", executor, workers, scheduler, resume, with_report)


@app.command()
def report(
    folder: Annotated[Path, typer.Argument(help="A compare or sweep output folder.")],
) -> None:
    """Write report.html (self-contained) and report.md for a compare or sweep folder."""
    from simulator.experiments.analysis import NotAnExperiment
    from simulator.report import write_report

    try:
        md, html = write_report(folder)
    except NotAnExperiment as e:
        _fail_input([str(e)])
        return
    typer.echo(f"Report: {html}\n        {md}")


@app.command()
def factory(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (TOML).")],
    firm: Annotated[str, typer.Option(help="The firm whose factory and policy to run.")],
    demand: Annotated[
        Path | None, typer.Option(help="Demand file: date or day, quantity[, variant, patience_days].")
    ] = None,
    generate: Annotated[
        str | None, typer.Option(help="Generated demand instead: normal, poisson, ar1 or seasonal.")
    ] = None,
    mean: Annotated[float, typer.Option(min=0, help="Generated: mean units a day.")] = 100.0,
    sd: Annotated[float, typer.Option(min=0, help="Generated: sd (normal, ar1 noise).")] = 10.0,
    phi: Annotated[float, typer.Option(help="Generated: AR(1) coefficient.")] = 0.5,
    amplitude: Annotated[float, typer.Option(help="Generated: seasonal amplitude (0-1).")] = 0.3,
    period: Annotated[float, typer.Option(help="Generated: seasonal period (days).")] = 365.0,
    seed: Annotated[int | None, typer.Option(min=0, help="Root seed (default: run.seed).")] = None,
    days: Annotated[int | None, typer.Option(min=1, help="Days to simulate.")] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Run folder (default: results/NAME-FIRM-seedN-TIME).")
    ] = None,
) -> None:
    """Run one firm's factory and policy on a demand file or generated demand (no market)."""
    from simulator.factory_mode import demand_for, run_factory
    from simulator.results import now_iso, write_run_folder

    try:
        spec = load_scenario(scenario)
        root_seed = spec.run.seed if seed is None else seed
        table, unit_orders, n_days = demand_for(
            spec,
            firm,
            None if demand is None else str(demand),
            generate,
            days,
            root_seed,
            mean=mean,
            sd=sd,
            phi=phi,
            amplitude=amplitude,
            period=period,
        )
    except ScenarioError as e:
        _fail_input(e.lines())
        return
    target = out_dir or _default_out(f"{spec.name}-{firm}", root_seed)
    _check_run_target(target)
    started = now_iso()
    result = run_factory(spec, firm, table, days=n_days, seed=root_seed, unit_orders=unit_orders)
    source = str(demand) if demand is not None else f"generated {generate}"
    extra = {"mode": "factory", "firm": firm, "demand": source}
    write_run_folder(target, spec, result, root_seed, started, days=n_days, extra=extra)
    k = result.summary["firms"][firm]
    table_out = Table(title=f"{firm}: factory KPIs (after warm-up)")
    table_out.add_column("KPI")
    table_out.add_column("value", justify="right")
    for key in ("profit", "fill_rate", "cycle_service_level", "otif", "mean_lead_time_days"):
        table_out.add_row(key.replace("_", " "), "-" if k[key] is None else f"{k[key]:,.3f}")
    for key in ("mean_wip", "throughput_per_day", "bullwhip_ratio", "inventory_turns"):
        table_out.add_row(key.replace("_", " "), "-" if k[key] is None else f"{k[key]:,.3f}")
    out.print(table_out)
    typer.echo(f"Run folder: {target}")


@app.command()
def viz(
    scenario: Annotated[
        Path | None, typer.Argument(help="Scenario file (TOML) to start from (default: the baseline).")
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8765,
) -> None:
    """Open the market in the browser: watch it day by day and steer it (Ctrl-C stops)."""
    from simulator.viz.server import PortUnavailable, default_scenario_path, serve

    path = scenario or default_scenario_path()
    try:
        load_scenario(path)
        serve(path, host, port)
    except ScenarioError as e:
        _fail_input(e.lines())
    except PortUnavailable as e:
        _fail_input([str(e)])


def main() -> None:
    """Entry point: run the app, turning unexpected errors into exit code 1 with a short message."""
    try:
        app(standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as e:
        typer.echo(f"internal error: {type(e).__name__}: {e}", err=True)
        typer.echo("(set MARKETSIM_DEBUG=1 to see the traceback)", err=True)
        import os

        if os.environ.get("MARKETSIM_DEBUG"):
            raise
        sys.exit(1)
