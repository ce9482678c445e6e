"""Experiments: ``compare`` policies, ``sweep`` parameters, write the ``report`` of a folder."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from simulator.cli.common import (
    AllowLargeOpt,
    app,
    default_out,
    err,
    estimate_note,
    fail_input,
    input_path,
    out,
)
from simulator.scenario import ScenarioError, load_scenario, strip_controls


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

    if exp.estimate is not None:
        estimate_note(exp.estimate)
    bar, task = _experiment_progress(strip_controls(exp.spec.name))
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
        fail_input([str(e)])
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
    try:
        print_answer(out_dir)
    except NotAnExperiment:
        pass
    if outcome.failed:
        n = len(outcome.failed)
        typer.echo(f"{n} runs failed (see {out_dir / 'failed'}); --resume retries them", err=True)
        raise typer.Exit(1)


def print_answer(folder: Path) -> None:
    """The experiment's answer in the terminal: the headline of a comparison, a sweep's tipping
    points and where today's market sits."""
    from simulator import answers
    from simulator.experiments import analysis

    exp = analysis.load(folder)
    what = "scenario" if exp.mode == "scenarios" else "policy"
    out.print("")
    if exp.parameters:
        kpis = [exp.kpi]
        for a in analysis.HEADLINE:
            key = next((k for k in a.candidates if k in exp.index and exp.index[k].notna().any()), None)
            if key is not None and key not in kpis:
                kpis.append(key)
        lines = [line for k in kpis for line in answers.sweep_sentences(analysis.sweep_answer(exp, k))]
        out.print("[bold]The answer[/bold]")
        for line in lines or ["No single tipping point for a design with several swept parameters."]:
            out.print(f"- {_safe(line)}", highlight=False)
        sob = analysis.sobol_indices(exp)
        warning = analysis.sobol_warning(exp, sob)
        if warning:
            err.print(warning, highlight=False)
        return
    if len(exp.policies) < 2:
        return
    for firm in exp.reported_firms:
        table = analysis.headline(exp, 0, firm)
        title = f"The answer for {firm}" + (" (its policy varied)" if exp.mode == "policies" else "")
        out.print(f"[bold]{_safe(title)}[/bold]")
        for line in answers.headline_sentences(table, what):
            out.print(f"- {_safe(line)}", highlight=False)


def _safe(text: str) -> str:
    """Names from a scenario printed as text: no control characters, no Rich markup."""
    from rich.markup import escape

    return escape(strip_controls(text))


def _check_executor(executor: str, scheduler: str | None) -> None:
    if executor not in ("process", "sequential", "dask"):
        fail_input([f"--executor: choose process, sequential or dask (got {executor!r})"])
    if scheduler is not None and executor != "dask":
        fail_input(["--scheduler: only used with --executor dask"])
    if scheduler is not None and not re.fullmatch(
        r"(tcp|tls|inproc|ucx)://[^\s/]+(:\d{1,5})?", scheduler
    ):
        fail_input([f"--scheduler: give an address such as tcp://HOST:PORT (got {scheduler!r})"])


def _workers(executor: str, workers: int | None) -> int:
    import os

    return 1 if executor == "sequential" else (workers or os.cpu_count() or 1)


ExecutorOpt = Annotated[str, typer.Option(help="Where runs are computed: process, sequential or dask.")]
WorkersOpt = Annotated[int | None, typer.Option(min=1, help="Worker processes (default: CPU count).")]
SchedulerOpt = Annotated[
    str | None, typer.Option(help="Dask scheduler tcp://HOST:PORT (default: a local Dask cluster).")
]
ReportOpt = Annotated[bool, typer.Option("--report/--no-report", help="Write the report at the end.")]
ResumeOpt = Annotated[bool, typer.Option(help="Continue an interrupted folder: rerun missing runs.")]


@app.command()
def compare(
    scenarios: Annotated[
        list[str],
        typer.Argument(
            help="Scenario file(s) or bundled names. One with --policies: that firm's policies "
            "compared; two or more: the whole scenarios compared, every firm reported."
        ),
    ],
    policies: Annotated[
        str | None, typer.Option(help="Comma-separated policies to give the firm, e.g. A,B.")
    ] = None,
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
    tune: Annotated[
        bool,
        typer.Option(
            "--tune/--no-tune",
            help="First tune each policy's own settings for the firm (marketsim tune), then compare "
            "the tuned policies.",
        ),
    ] = False,
    trials: Annotated[int, typer.Option(min=1, help="With --tune: candidates per policy.")] = 12,
    allow_large: AllowLargeOpt = False,
) -> None:
    """Compare policies on one firm, or whole scenarios, with paired replications (common random
    numbers); ends with the answer: who wins on profit, quality, cost, delivery and market share."""
    from simulator.experiments.design import compare_experiment, compare_scenarios_experiment

    _check_executor(executor, scheduler)
    paths = [input_path(s) for s in scenarios]
    if len(paths) >= 2:
        if policies is not None or firm is not None or tune:
            fail_input(
                [
                    "--policies/--firm/--tune: compare either policies of one firm in one scenario, "
                    "or whole scenarios (two or more files), not both"
                ]
            )
    elif policies is None:
        fail_input(
            [
                "--policies: name the policies to compare (e.g. --policies "
                "supplier_centric,demand_centric), or give two or more scenarios to compare"
            ]
        )
    names = [p.strip() for p in (policies or "").split(",") if p.strip()]
    if len(paths) == 1 and not names:
        fail_input(["--policies: name at least one policy"])
    chosen: list[Any] = list(names)
    if tune and out_dir is not None:
        # tuning takes minutes: refuse a folder the experiment could not use before, not after
        if (out_dir / "manifest.json").exists() and not resume:
            fail_input([f"{out_dir}: already holds an experiment; use --resume or another --out"])
        if out_dir.exists() and not out_dir.is_dir():
            fail_input([f"{out_dir}: exists and is not a folder"])
    if tune:
        from simulator.cli.tune import _inputs, run_tuning

        if len(names) > 2:
            fail_input(["--tune: tune one or two policies"])
        base, who, _ = _inputs(paths[0], firm, policies, days)
        root0 = base.run.seed if seed is None else seed
        result = run_tuning(base, who, names, trials, 2, replications, root0, workers, None)
        chosen = [{"label": t["policy"], **t["best"]} for t in result["tuning"]]
        firm = who
    try:
        spec = load_scenario(paths[0])
        root = spec.run.seed if seed is None else seed
        if len(paths) >= 2:
            exp = compare_scenarios_experiment(
                paths,  # type: ignore[arg-type]
                replications,
                root,
                days,
                warmup,
                allow_large=allow_large,
                workers=_workers(executor, workers),
            )
            name = "compare-" + "-vs-".join(exp.labels)
        else:
            exp = compare_experiment(
                paths[0],
                chosen,
                firm,
                replications,
                root,
                days,
                warmup,
                allow_large=allow_large,
                workers=_workers(executor, workers),
            )
            name = f"compare-{spec.name}"
    except ScenarioError as e:
        fail_input(e.lines())
        return
    target = out_dir or default_out(name[:60], root)
    _run_experiment(exp, target, "compare", executor, workers, scheduler, resume, with_report)


@app.command()
def sweep(
    sweep_file: Annotated[str, typer.Argument(help="Sweep file (TOML) or bundled sweep name.")],
    out_dir: Annotated[Path | None, typer.Option("--out", help="Output folder.")] = None,
    executor: ExecutorOpt = "process",
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    resume: ResumeOpt = False,
    with_report: ReportOpt = True,
    allow_large: AllowLargeOpt = False,
) -> None:
    """Run a parameter sweep (grid, Latin hypercube or Sobol) comparing policies at each point.

    Before any run the sweep file, its scenario and the files it names are checked, and the
    sweep's memory and time are estimated: what this machine cannot run is refused (exit 2).
    """
    from simulator.experiments.design import load_experiment

    _check_executor(executor, scheduler)
    try:
        exp = load_experiment(
            input_path(sweep_file, "sweeps"),
            allow_large=allow_large,
            workers=_workers(executor, workers),
        )
    except ScenarioError as e:
        fail_input(e.lines())
        return
    target = out_dir or default_out(f"sweep-{exp.spec.name}", exp.spec.seed)
    _run_experiment(exp, target, "sweep", executor, workers, scheduler, resume, with_report)


@app.command()
def report(
    folder: Annotated[Path, typer.Argument(help="A run folder, or a compare or sweep folder.")],
) -> None:
    """Write report.html (self-contained) and report.md for a run, compare or sweep folder."""
    from simulator.run_report import NotARun, is_run_folder

    if is_run_folder(folder):
        from simulator.run_report import write_run_report

        try:
            md, html = write_run_report(folder)
        except NotARun as e:
            fail_input([str(e)])
            return
        typer.echo(f"Report: {html}\n        {md}")
        return
    from simulator.experiments.analysis import DamagedIndex, NotAnExperiment
    from simulator.experiments.engine import ExperimentFolderError, rebuild_index
    from simulator.report import write_report

    if not (folder / "manifest.json").is_file():
        fail_input([f"{folder}: neither a run folder nor a compare or sweep folder (no manifest.json)"])
    try:
        try:
            md, html = write_report(folder)
        except DamagedIndex as e:
            err.print(f"{e}; rebuilding it from runs/", highlight=False)
            rebuild_index(folder)
            md, html = write_report(folder)
    except (NotAnExperiment, ExperimentFolderError) as e:
        fail_input([str(e)])
        return
    typer.echo(f"Report: {html}\n        {md}")
    print_answer(folder)
