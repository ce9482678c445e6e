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
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
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
) -> None:
    """Run a scenario and write its run folder."""
    from simulator.experiments.run import run_once
    from simulator.results import is_run_folder, now_iso, write_run_folder

    try:
        spec = load_scenario(scenario)
    except ScenarioError as e:
        _fail_input(e.lines())
        return
    root_seed = spec.run.seed if seed is None else seed
    target = out_dir or _default_out(spec.name, root_seed)
    if is_run_folder(target):
        _fail_input([f"{target}: already holds a run (manifest.json); choose another --out"])
    if target.exists() and not target.is_dir():
        _fail_input([f"{target}: exists and is not a folder"])
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
        result = run_once(
            spec, seed=root_seed, days=days, progress=lambda d: bar.update(task, completed=d)
        )
    write_run_folder(target, spec, result, root_seed, started, days=n_days)
    print_kpis(result.summary)
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
