"""``marketsim tune``: search a firm's policy settings for the best expected profit, and the tuned
verdict between two policies (also ``marketsim compare --tune``)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from simulator.cli.common import app, fail_input, out
from simulator.scenario import Scenario, ScenarioError, load_scenario


def _executor(workers: int | None) -> Any:
    from concurrent.futures import ProcessPoolExecutor

    from simulator.experiments.executors import SequentialExecutor

    if workers == 1:
        return SequentialExecutor()
    return ProcessPoolExecutor(max_workers=workers)


def _fmt(v: Any) -> str:
    if v is None:
        return "measured"
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)


def run_tuning(
    spec: Scenario,
    firm: str,
    policies: list[str],
    trials: int,
    replications: int,
    eval_replications: int,
    seed: int,
    workers: int | None,
    out_file: Path | None,
) -> dict[str, Any]:
    """Tune each policy, then (two policies) the verdict and its sensitivity; print and return all."""
    from simulator.experiments import tune as tn
    from simulator.policies import registry

    started = time.monotonic()
    results: list[tn.Tuned] = []
    with _executor(workers) as ex:
        for name in policies:
            out.print(f"Tuning {firm} under {name}: {trials} candidates x {replications} replications")

            def show(k: int, v: float) -> None:
                out.print(f"  candidate {k:>3}: mean profit {v:,.0f}", highlight=False)

            results.append(
                tn.tune(
                    spec,
                    firm,
                    name,
                    trials=trials,
                    replications=replications,
                    seed=seed,
                    executor=ex,
                    progress=show,
                )
            )
        table = Table(title=f"Tuned settings of {firm} (mean profit on the tuning seeds)")
        for col in ("policy", "setting", "as given", "tuned"):
            table.add_column(col)
        for t in results:
            for key in t.changed():
                table.add_row(t.policy, key, _fmt(t.start.get(key)), _fmt(t.best.get(key)))
            table.add_row(t.policy, "[b]profit[/b]", f"{t.start_profit:,.0f}", f"{t.best_profit:,.0f}")
        out.print(table)
        for t in results:
            defaults = registry.params_model(t.policy)().model_dump(mode="python")
            out.print(f"{t.policy}: policy = {tn.policy_table(t.best, defaults)}", highlight=False)
        report: dict[str, Any] = {
            "firm": firm,
            "seed": seed,
            "tuning": [
                {
                    "policy": t.policy,
                    "start": t.start,
                    "best": t.best,
                    "start_profit": t.start_profit,
                    "best_profit": t.best_profit,
                    "trials": t.trials.to_dict("records"),
                }
                for t in results
            ],
        }
        if len(results) == 2:
            v = tn.verdict(
                spec,
                firm,
                results[0].best,
                results[1].best,
                replications=eval_replications,
                seed=seed,
                executor=ex,
            )
            report["verdict"] = v
            lead = v["b"] if v["difference"] > 0 else v["a"]
            sure = v["low"] > 0 or v["high"] < 0
            out.print(
                f"[b]Verdict[/b] (tuned, {v['n']} fresh paired replications): {v['b']} - {v['a']} "
                f"= {v['difference']:,.0f} [{v['low']:,.0f}, {v['high']:,.0f}] (95%, p = "
                f"{v['p_value']:.3g}): "
                + (f"{lead} earns more." if sure else "no difference the replications can tell."),
                highlight=False,
            )
            sens = tn.sensitivity(spec, firm, results, replications=replications, seed=seed, executor=ex)
            report["sensitivity"] = sens.to_dict("records")
            st = Table(
                title="Sensitivity: each tuned setting moved to the end of its range "
                f"({v['b']} - {v['a']})"
            )
            for col in ("policy", "setting", "tuned", "moved to", "profit change", "verdict", "flips"):
                st.add_column(col)
            for r in sens.to_dict("records"):
                st.add_row(
                    r["policy"],
                    r["setting"],
                    _fmt(r["tuned"]),
                    str(r["moved_to"]),
                    f"{r['profit_change']:,.0f}",
                    f"{r['verdict']:,.0f}",
                    "yes" if r["flips"] else "",
                )
            out.print(st)
    report["seconds"] = round(time.monotonic() - started, 1)
    out.print(f"Tuning took {report['seconds']:.0f} s.", highlight=False)
    if out_file is not None:
        from simulator.results import atomic_write

        text = json.dumps(report, indent=2, default=str)

        def write(p: Path) -> None:
            Path(p).write_text(text)

        atomic_write(out_file, write)
        out.print(f"Written: {out_file}", highlight=False)
    return report


@app.command()
def tune(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (TOML).")],
    firm: Annotated[str | None, typer.Option(help="Firm to tune (default: first).")] = None,
    policies: Annotated[
        str | None,
        typer.Option(
            help="Policies to tune, comma-separated (default: the firm's own); two give a verdict."
        ),
    ] = None,
    trials: Annotated[int, typer.Option(min=1, help="Candidates per policy.")] = 12,
    replications: Annotated[int, typer.Option(min=1, help="Replications per candidate.")] = 2,
    eval_replications: Annotated[
        int, typer.Option(min=2, help="Fresh replications for the tuned verdict.")
    ] = 6,
    days: Annotated[int | None, typer.Option(min=2, help="Days per run (default: run.days).")] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Root seed (default: run.seed).")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Processes (default: all cores).")] = None,
    out_file: Annotated[Path | None, typer.Option("--out", help="Write the result as JSON.")] = None,
) -> None:
    """Tune a firm's policy parameters for the best mean profit (common random numbers, Optuna)."""
    spec, name, names = _inputs(scenario, firm, policies, days)
    run_tuning(
        spec,
        name,
        names,
        trials,
        replications,
        eval_replications,
        spec.run.seed if seed is None else seed,
        workers,
        out_file,
    )


def _inputs(
    scenario: Path, firm: str | None, policies: str | None, days: int | None
) -> tuple[Scenario, str, list[str]]:
    from simulator.policies import registry

    try:
        spec = load_scenario(scenario)
        if days is not None:
            spec = spec.with_overrides(
                {"run.days": days, "run.warmup_days": min(spec.run.warmup_days, days - 1)}
            )
    except ScenarioError as e:
        fail_input(e.lines())
        raise
    names = [f.name for f in spec.firms]
    name = firm or names[0]
    if name not in names:
        fail_input([f"--firm: no firm named {name!r} in {scenario} (firms: {', '.join(names)})"])
    own = next(f for f in spec.firms if f.name == name).policy.name
    chosen = [p.strip() for p in (policies or own).split(",") if p.strip()]
    unknown = [p for p in chosen if p not in registry.names()]
    if unknown or not chosen or len(chosen) > 2:
        fail_input(
            [
                f"--policies: give one or two of {', '.join(registry.names())}"
                + (f" (unknown: {', '.join(unknown)})" if unknown else "")
            ]
        )
    return spec, name, chosen
