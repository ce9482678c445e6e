"""The consumers against the evidence: ``survey``, ``elasticity`` and ``sharing``.

Each command asks the simulated consumers what a study asked real ones, through the code a user runs
(:mod:`simulator.market.evidence`), and prints the answer beside the study's: a survey of willingness
to pay by generation, a firm's own-price (or reputation) elasticity, and how much word of mouth moves
market shares.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from simulator.cli.common import app, fail_input, out
from simulator.scenario import GENERATIONS, Scenario, ScenarioError, load_scenario

SHORT = {"silent": "sil", "boomers": "boom", "gen_x": "X", "millennials": "mill", "gen_z": "Z"}


def _scenario(path: Path, days: int | None) -> Scenario:
    """The scenario file, with ``days`` days (warm-up shortened if need be); exit 2 if bad."""
    try:
        spec = load_scenario(path)
        if days is not None:
            warm = min(spec.run.warmup_days, days - 1)
            spec = spec.with_overrides({"run.days": days, "run.warmup_days": warm})
    except ScenarioError as e:
        fail_input(e.lines())
        raise AssertionError("unreachable") from e
    return spec


def _parse_floats(text: str, option: str) -> list[float]:
    try:
        values = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        fail_input([f"{option}: expected numbers separated by commas, got {text!r}"])
        return []
    if not values or any(not (0.0 <= v <= 10.0) for v in values):
        fail_input([f"{option}: expected numbers from 0 to 10, got {text!r}"])
    return values


@app.command()
def survey(
    premiums: Annotated[
        str, typer.Option(help="Premiums of the sustainable product, as shares of the price.")
    ] = "0.05,0.10,0.20",
    size: Annotated[
        int, typer.Option(min=500, max=500_000, help="Consumers (a fifth each generation).")
    ] = 100_000,
    seed: Annotated[int, typer.Option(min=0)] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print the table as JSON rows.")] = False,
) -> None:
    """Replicate the willingness-to-pay survey: two products equal but for their values."""
    from simulator.market.evidence import survey_replication

    prem = _parse_floats(premiums, "--premiums")
    if any(p > 2.0 for p in prem):
        fail_input([f"--premiums: a premium above 2 (200%) makes no sense here, got {premiums!r}"])
    df = survey_replication(prem, size=size, seed=seed)
    if as_json:
        typer.echo(json.dumps(df.to_dict(orient="records"), indent=1))
        return
    table = Table(title="Share choosing the sustainable product (first purchase, 95% interval)")
    table.add_column("premium")
    table.add_column("generation")
    table.add_column("simulated", justify="right")
    table.add_column("survey: say", justify="right")
    table.add_column("survey: do (x say-do)", justify="right")
    for r in df.itertuples():
        thin = " (thin data)" if r.thin_data else ""
        table.add_row(
            f"{r.premium:.0%}",
            f"{r.generation}{thin}",
            f"{r.simulated:.1%} +/- {r.ci:.1%}",
            f"{r.survey_stated:.1%}",
            f"{r.survey_acting:.1%}",
        )
    out.print(table)
    for prem_value, rows in df.groupby("premium"):
        s = rows.set_index("generation")
        gap = s["simulated"]["gen_z"] - s["simulated"]["boomers"]
        said = s["survey_stated"]["gen_z"] - s["survey_stated"]["boomers"]
        out.print(
            f"premium {prem_value:.0%}: Gen Z - Boomers {gap:+.1%} simulated, {said:+.1%} in the survey",
            highlight=False,
        )


@app.command()
def elasticity(
    scenario: Annotated[Path, typer.Argument(help="The scenario file.")],
    firm: Annotated[str, typer.Option(help="Whose attribute to move.")],
    attribute: Annotated[str, typer.Option(help="price or reputation.")] = "price",
    step: Annotated[float, typer.Option(min=0.001, max=0.5, help="Relative step up and down.")] = 0.02,
    replications: Annotated[int, typer.Option(min=2, max=100)] = 5,
    seed: Annotated[int | None, typer.Option(min=0, help="Root seed (default: the scenario's).")] = None,
    days: Annotated[int | None, typer.Option(min=2, max=36_500, help="Days to run.")] = None,
) -> None:
    """A firm's arc elasticity of its consumption orders, from paired runs (common random numbers)."""
    from simulator.market.evidence import elasticity as measure

    spec = _scenario(scenario, days)
    names = [f.name for f in spec.firms]
    if firm not in names:
        fail_input([f"--firm: no firm named {firm!r} in {scenario} (firms: {', '.join(names)})"])
    if attribute not in ("price", "reputation"):
        fail_input([f"--attribute: expected price or reputation, got {attribute!r}"])
    est = measure(spec, firm, attribute, step, replications, seed)
    out.print(
        f"{firm}: {attribute} elasticity {est.mean:.2f} "
        f"(95% interval {est.ci_low:.2f} to {est.ci_high:.2f}, "
        f"{replications} paired replications, step +/-{step:.0%})",
        highlight=False,
    )
    target = "-2 to -3 (Bijmolt et al. 2005)" if attribute == "price" else "0.42 (You et al. 2015)"
    out.print(f"evidence: {target}", highlight=False)


@app.command()
def sharing(
    scenario: Annotated[Path, typer.Argument(help="The scenario file.")],
    factors: Annotated[str, typer.Option(help="Multipliers of every sharing strength.")] = "0,0.5,1,2,4",
    replications: Annotated[int, typer.Option(min=2, max=100)] = 3,
    seed: Annotated[int | None, typer.Option(min=0, help="Root seed (default: the scenario's).")] = None,
    days: Annotated[int | None, typer.Option(min=2, max=36_500, help="Days to run.")] = None,
) -> None:
    """How much word of mouth moves market shares: every sharing strength times each factor."""
    from simulator.market.evidence import SHARING_PATHS, sharing_sweep

    spec = _scenario(scenario, days)
    ks = _parse_floats(factors, "--factors")
    df = sharing_sweep(spec, ks, replications, seed)
    table = Table(title=f"Market share by sharing strength ({replications} paired replications)")
    table.add_column("x", justify="right")
    table.add_column("firm")
    table.add_column("share", justify="right")
    table.add_column("vs x1 (pt)", justify="right")
    for g in GENERATIONS:
        table.add_column(SHORT[g], justify="right")
    for r in df.to_dict(orient="records"):
        table.add_row(
            f"{r['factor']:g}",
            str(r["firm"]),
            f"{r['share']:.1%}",
            f"{100 * r['diff']:+.1f}+/-{100 * r['ci']:.1f}",
            *[f"{100 * r[f'share_{g}']:.1f}" for g in GENERATIONS],
        )
    out.print(table)
    out.print("factor multiplies: " + ", ".join(SHARING_PATHS), highlight=False)
