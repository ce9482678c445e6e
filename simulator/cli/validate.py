"""``validate``: the catalogue of theory cases, run through the code a user runs, judged and reported."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from simulator.cli.common import app, err, fail_input, out


@app.command()
def validate(
    quick: Annotated[
        bool, typer.Option("--quick", help="Short runs (a few minutes in all) instead of the full ones.")
    ] = False,
    case: Annotated[
        list[str] | None,
        typer.Option("--case", help="Run only this case (repeat for several); --list shows them."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the rows as a JSON list instead of the table.")
    ] = False,
    report: Annotated[
        Path | None,
        typer.Option(help="Also write report.html, report.md, validation.json and the scenarios here."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Worker processes (default: one per CPU).")
    ] = None,
    sequential: Annotated[
        bool, typer.Option("--sequential", help="Run the replications one by one in this process.")
    ] = False,
    seed: Annotated[int, typer.Option(min=0, help="Root seed of every case's replications.")] = 2026,
    list_cases: Annotated[
        bool, typer.Option("--list", help="List the cases with their sources and exit.")
    ] = False,
) -> None:
    """Check the simulator against theory: queues, inventory, bullwhip, newsvendor, pull lines.

    Each case is a scenario run by the factory-only mode or the market model over independent
    replications; the table gives each quantity's mean, 99% interval, theory, relative error and
    verdict. Exit 1 if any quantity fails.
    """
    from simulator.validate.cases import catalogue

    cat = catalogue(quick)
    if list_cases:
        t = Table(title="Validation cases")
        for col in ("case", "what", "source"):
            t.add_column(col)
        for c in cat.values():
            t.add_row(c.name, c.title, c.source)
        out.print(t)
        return
    names = list(case or [])
    unknown = [n for n in names if n not in cat]
    if unknown:
        fail_input([f"--case: no case named {n!r} (cases: {', '.join(cat)})" for n in unknown])
    if report is not None and report.exists() and not report.is_dir():
        fail_input([f"{report}: exists and is not a folder"])
    from simulator.validate import report as rep
    from simulator.validate.runner import run

    chosen = names or list(cat)
    totals = {n: cat[n].size.replications for n in chosen}
    bar = Progress(
        TextColumn("[bold]validate"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[last]}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    task = bar.add_task("validate", total=sum(totals.values()), last="")

    seen = {"done": 0, "total": sum(totals.values())}

    def progress(name: str, done: int, total: int) -> None:
        seen["done"] += 1
        if seen["done"] > seen["total"]:  # a confirmation batch: more replications than planned
            seen["total"] += total
            bar.update(task, total=seen["total"])
        bar.update(task, advance=1, last=f"{name} {done}/{total}")

    with bar:
        outcome = run(
            chosen,
            quick=quick,
            seed=seed,
            executor="sequential" if sequential else "process",
            workers=workers,
            progress=progress,
        )
    if as_json:
        typer.echo(rep.as_json(outcome))
    else:
        rows = rep.table_rows(outcome)
        t = Table(title="Simulation against theory (99% intervals over replications)")
        for i, col in enumerate(rows[0]):
            t.add_column(col, justify="left" if i < 2 else "right")
        for r, cells in zip(outcome.rows, rows[1:], strict=True):
            style = None if r.passed else "bold red"
            t.add_row(*cells, style=style)
        # piped to a file or a log, a table is read whole: do not fold it to 80 columns
        console = out if out.is_terminal else Console(width=max(out.width, 132))
        console.print(t)
        console.print(rep.summary_line(outcome))
    if report is not None:
        files = rep.write_report(outcome, report)
        err.print(f"Report: {files['html']}")
    if not outcome.passed:
        raise typer.Exit(1)
