"""``factory``: one firm's plant and policy on a demand history, without the market."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from simulator.cli.common import (
    AllowLargeOpt,
    app,
    claim,
    default_out,
    estimate_note,
    fail_input,
    input_path,
    out,
)
from simulator.cli.kpi_table import kpi_table
from simulator.scenario import ScenarioError, load_scenario


def _short_run(what: str, warmup: int, path: Path) -> str:
    return (
        f"{what}: not longer than the warm-up ({warmup} days, run.warmup_days in {path}); "
        "KPIs would cover no day. Give more days or a shorter warm-up."
    )


@app.command()
def factory(
    scenario: Annotated[str, typer.Argument(help="Scenario file (TOML) or bundled scenario name.")],
    firm: Annotated[str, typer.Option(help="The firm whose factory and policy to run.")],
    demand: Annotated[
        Path | None,
        typer.Option(
            help="Demand file (separator sniffed): date, timestamp or day (fractions are times "
            "within the day), quantity[, variant, patience_days]."
        ),
    ] = None,
    generate: Annotated[
        str | None, typer.Option(help="Generated demand instead: normal, poisson, ar1 or seasonal.")
    ] = None,
    mean: Annotated[float, typer.Option(min=0, help="Generated: mean units a day.")] = 100.0,
    sd: Annotated[float, typer.Option(min=0, help="Generated: sd (normal, ar1 noise).")] = 10.0,
    phi: Annotated[float, typer.Option(help="Generated: AR(1) coefficient.")] = 0.5,
    amplitude: Annotated[float, typer.Option(help="Generated: seasonal amplitude (0-1).")] = 0.3,
    period: Annotated[float, typer.Option(help="Generated: seasonal period (days).")] = 365.0,
    arrivals: Annotated[
        str,
        typer.Option(
            help="Generated: 'daily' (each day's units at its start, as the market books them) or "
            "'continuous' (each unit at a uniform time within its day; with poisson, a Poisson "
            "process)."
        ),
    ] = "daily",
    seed: Annotated[int | None, typer.Option(min=0, help="Root seed (default: run.seed).")] = None,
    days: Annotated[int | None, typer.Option(min=1, help="Days to simulate.")] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Run folder (default: results/NAME-FIRM-seedN-TIME).")
    ] = None,
    allow_large: AllowLargeOpt = False,
) -> None:
    """Run one firm's factory and policy on a demand file or generated demand (no market)."""
    from simulator.resources import ResourceError, check_fits, factory_estimate
    from simulator.schema import MAX_MAGNITUDE

    numbers = {"--mean": mean, "--sd": sd, "--phi": phi, "--amplitude": amplitude, "--period": period}
    bad = [
        f"{k}: must be a finite number of at most {MAX_MAGNITUDE:.0e} in size (got {v})"
        for k, v in numbers.items()
        if not abs(v) <= MAX_MAGNITUDE
    ]
    if bad:
        fail_input(bad)
    path = input_path(scenario)
    try:
        spec = load_scenario(path)
        if days is not None and spec.run.warmup_days >= days:
            fail_input([_short_run(f"--days {days}", spec.run.warmup_days, path)])
        # the model's modules load only once the input is known to be good (a bad path fails fast)
        from simulator.factory_mode import demand_for, run_factory
        from simulator.results import now_iso, write_run_folder

        if generate is not None:  # size the generated demand before making it
            n_guess = days if days is not None else spec.run.days
            guess = factory_estimate(spec, n_guess, int(mean * n_guess))
            check_fits(guess, "--generate", "--days and --mean", allow_large)
        root_seed = spec.run.seed if seed is None else seed
        table, unit_orders, n_days = demand_for(
            spec,
            firm,
            None if demand is None else str(demand),
            generate,
            days,
            root_seed,
            arrivals=arrivals,
            mean=mean,
            sd=sd,
            phi=phi,
            amplitude=amplitude,
            period=period,
        )
    except ResourceError as e:
        fail_input(e.lines())
        return
    except ScenarioError as e:
        fail_input(e.lines())
        return
    if spec.run.warmup_days >= n_days:
        fail_input([_short_run(f"{demand}: {n_days} days of demand", spec.run.warmup_days, path)])
    orders = int(table["quantity"].sum()) if unit_orders else len(table)
    est = factory_estimate(spec, n_days, orders)
    try:
        check_fits(est, str(demand) if demand is not None else "--days", "days", allow_large)
    except ResourceError as e:
        fail_input(e.lines())
    estimate_note(est)
    target = out_dir if out_dir is not None else default_out(f"{spec.name}-{firm}", root_seed)
    with claim(target, "factory"):
        started = now_iso()
        result = run_factory(spec, firm, table, days=n_days, seed=root_seed, unit_orders=unit_orders)
        source = str(demand) if demand is not None else f"generated {generate} ({arrivals} arrivals)"
        extra = {"mode": "factory", "firm": firm, "demand": source}
        from simulator.firms.figures import write_profit_figure

        warm = int(result.summary["factory"]["warmup_days"])
        figure = write_profit_figure(target, result.timeseries, warm)
        write_run_folder(target, spec, result, root_seed, started, days=n_days, extra=extra)
    out.print(kpi_table(result.summary["firms"], f"{firm}: factory KPIs (after warm-up)", market=False))
    typer.echo(f"Figure: {figure}")
    typer.echo(f"Run folder: {target}")
