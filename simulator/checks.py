"""Checking input files before any work: scenarios, sweep files and demand files, in one pass.

Like a pre-flight checklist run on the ground, :func:`check_file` tells what a file is (a demand
file by its ``.csv`` ending; a sweep file by its ``scenario`` key; otherwise a scenario), validates
it completely, and goes on to what the file leads to: the files it names (an edge list must exist,
be a regular file and be small enough to read; a sweep's scenario is checked in full) and whether
this machine can run it (:mod:`simulator.resources`). Every problem found is returned at once, as
``FILE: field.path: message`` lines; nothing is simulated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from simulator.scenario import ScenarioError, parse_scenario, read_toml

FileKind = Literal["scenario", "sweep", "demand"]
DEMAND_SUFFIXES = (".csv", ".tsv", ".txt")


@dataclass
class CheckResult:
    """What :func:`check_file` found: the file's kind and its problems (none: it is fine)."""

    path: Path
    kind: FileKind
    problems: list[str] = field(default_factory=list)
    note: str = ""
    """What the file would take to run, when known (``about 240 MiB and 2 s``)."""

    @property
    def ok(self) -> bool:
        """Whether the file has no problem."""
        return not self.problems


def _sweep_like(data: dict[str, object]) -> bool:
    return "scenario" in data and "firms" not in data


def check_scenario_data(
    data: dict[str, object], source: str, allow_large: bool = False
) -> tuple[list[str], str]:
    """Problems of a scenario given as data (its file, then the files it names, then its size)."""
    from simulator.resources import check_fits, input_file_problems, run_estimate

    try:
        spec = parse_scenario(data, source)
    except ScenarioError as e:
        return e.lines(), ""
    problems = [ScenarioError(source, [p]).lines()[0] for p in input_file_problems(spec)]
    if not problems and spec.network.kind == "edge_list" and spec.network.path:
        from simulator.market.social import read_edge_list

        try:  # the file's content too: a bad line is found now, not when a run starts
            read_edge_list(spec.network.path, spec.population.size)
        except ScenarioError as e:
            problems += [f"{source}: network.path: {line}" for line in e.lines()]
    est = run_estimate(spec)
    try:
        check_fits(est, source, "run.days", allow_large)
    except ScenarioError as e:
        problems += e.lines()
    return problems, est.describe()


def check_file(path: str | Path, allow_large: bool = False) -> CheckResult:
    """Validate one input file completely; every problem is in the result.

    Args:
        path: a scenario (TOML), a sweep file (TOML with a ``scenario`` key) or a demand file (CSV).
        allow_large: do not count "this machine cannot run it" as a problem.
    """
    p = Path(path)
    if p.suffix.lower() in DEMAND_SUFFIXES:
        from simulator.demand import load_demand_csv

        try:
            table = load_demand_csv(p, variants=None)
        except ScenarioError as e:
            return CheckResult(p, "demand", e.lines())
        days = int(table["day"].max()) + 1 if len(table) else 0
        return CheckResult(p, "demand", note=f"{len(table):,} orders over {days:,} days")
    try:
        data = read_toml(p)
    except ScenarioError as e:
        return CheckResult(p, "scenario", e.lines())
    if _sweep_like(data):
        from simulator.experiments.design import parse_experiment

        try:
            exp = parse_experiment(data, str(p), base_dir=p.parent, allow_large=allow_large)
        except ScenarioError as e:
            return CheckResult(p, "sweep", e.lines())
        return CheckResult(p, "sweep", note=exp.estimate.describe() if exp.estimate else "")
    problems, note = check_scenario_data(data, str(p), allow_large)
    return CheckResult(p, "scenario", problems, note)
