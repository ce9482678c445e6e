"""Input rules and resource estimates: finite bounded numbers, every problem at once, sizes known.

The estimates are checked against a machine described in the test (not this one), so the refusals
do not depend on what else runs here; ``benchmarks/resources_calibration.py`` checks the
coefficients against measured runs.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from simulator.experiments.design import parse_experiment, planned_points
from simulator.paths import check_input_file
from simulator.resources import (
    Machine,
    ResourceError,
    check_fits,
    fit_problems,
    human_time,
    run_estimate,
    sweep_estimate,
)
from simulator.scenario import ScenarioError, parse_scenario
from tests.conftest import SCENARIOS, tiny_scenario

GIB = 2**30
SMALL_MACHINE = Machine(memory_total=8 * GIB, memory_available=4 * GIB, cores=2)


def problems_of(data: dict[str, object]) -> list[tuple[str, str]]:
    with pytest.raises(ScenarioError) as e:
        parse_scenario(data, "f.toml")
    return e.value.problems


def base() -> dict[str, object]:
    return tiny_scenario().model_dump(mode="python")


def test_every_problem_of_a_file_comes_in_one_pass() -> None:
    data = base()
    data["run"] = {"days": 20, "warmup_days": 2, "seed": -1}  # type: ignore[index]
    data["firms"][0]["price"] = math.inf  # type: ignore[index]
    data["firms"][1]["name"] = "Push"  # type: ignore[index]
    data["events"] = [
        {"kind": "scandal", "day": 30, "firm": "Nobody"},
        {"kind": "virtue", "day": 3},
    ]
    paths = [p for p, _ in problems_of(data)]
    # a field error in one firm no longer hides the checks that span the file
    assert paths == [
        "run.seed",
        "firms.0.price",
        "firms",
        "events.0.firm",
        "events.0.day",
        "events.1.firm",
    ]


@pytest.mark.parametrize(
    ("path", "value", "words"),
    [
        (("firms", 0, "price"), math.inf, "finite"),
        (("firms", 0, "price"), math.nan, "finite"),
        (("population", "purchase_constant"), -math.inf, "finite"),
        (("firms", 0, "factory", "initial_stock"), 10**19, "too large"),
        (("firms", 0, "factory", "material_cost"), 1e300, "too large"),
        (("firms", 0, "factory", "setup_cost"), 1e13, "too large"),
        (("firms", 1, "policy", "signals", "purchase"), math.nan, "finite"),
        (("population", "traits", "gen_z", "value_weights"), (1.0, math.inf, 1.0), "finite"),
        (("run", "seed"), 2**64, "less than"),
        (("run", "days"), 2**31, "less than or equal"),
        (("firms", 0, "name"), "A\x00B", "U+0000"),
        (("firms", 0, "name"), "A\u202eB", "U+202E"),
        (("name",), "x\x1b[2J", "U+001B"),
    ],
)
def test_non_finite_huge_and_unprintable_values_are_refused(
    path: tuple[object, ...], value: object, words: str
) -> None:
    data = base()
    node: object = data
    for p in path[:-1]:
        node = node[p]  # type: ignore[index]
    node[path[-1]] = value  # type: ignore[index]
    problems = problems_of(data)
    want = ".".join(str(p) for p in path)
    assert any(p.startswith(want) and words in m for p, m in problems), problems


def test_a_seed_may_be_any_64_bit_number() -> None:
    assert tiny_scenario(**{"run.seed": 2**64 - 1}).run.seed == 2**64 - 1


def test_shortened_leaves_out_what_falls_after_the_end() -> None:
    spec = tiny_scenario(
        events=[
            {"kind": "scandal", "day": 30, "firm": "Push"},
            {"kind": "virtue", "day": 2, "firm": "Pull"},
        ]
    )
    short, notes = spec.shortened(10)
    assert short.run.days == 10 and short.run.warmup_days == 5
    assert [(e.kind, e.day) for e in short.events] == [("virtue", 2)]
    assert notes == ["left out, after the end of the run: scandal on day 30"]
    with pytest.raises(ScenarioError):
        spec.shortened(0)


def test_estimates_grow_with_what_drives_them() -> None:
    spec = tiny_scenario()
    one = run_estimate(spec)
    assert run_estimate(spec, 4 * spec.run.days).seconds > 3 * one.seconds * 0.9
    bigger = tiny_scenario(**{"population.size": 50_000})
    assert bigger.population.size > spec.population.size
    assert run_estimate(bigger).memory_bytes > one.memory_bytes
    denser = tiny_scenario(**{"population.size": 50_000, "network.k": 100})
    assert run_estimate(denser).parts["network"] == pytest.approx(
        10 * run_estimate(bigger).parts["network"]
    )
    sweep = sweep_estimate(one, runs=100, workers=2)
    assert sweep.seconds >= 50 * one.seconds and sweep.memory_bytes > 2 * one.memory_bytes


def test_what_cannot_fit_is_refused_naming_the_field_that_drives_it() -> None:
    huge = parse_scenario(
        {"population": {"size": 5_000_000}, "network": {"k": 1000}, "firms": [{"name": "A"}]}
    )
    est = run_estimate(huge)
    assert est.memory_bytes > 100 * GIB  # 5e9 links
    with pytest.raises(ResourceError) as e:
        check_fits(est, "f.toml", "run.days", machine=SMALL_MACHINE)
    (path, msg), *_ = e.value.problems
    assert path == "network.k" and "GiB" in msg and "--allow-large" in msg
    check_fits(est, "f.toml", "run.days", allow=True, machine=SMALL_MACHINE)  # the override
    long = tiny_scenario(**{"run.days": 10**9})
    kinds = [k for k, _ in fit_problems(run_estimate(long), SMALL_MACHINE)]
    assert kinds == ["memory", "time"]
    with pytest.raises(ResourceError) as e:
        check_fits(run_estimate(long), "cli", "--days", machine=SMALL_MACHINE)
    assert {p for p, _ in e.value.problems} == {"--days"}
    assert fit_problems(run_estimate(tiny_scenario()), SMALL_MACHINE) == []


def test_a_sweep_is_sized_before_its_points_are_made() -> None:
    data = {
        "scenario": str(SCENARIOS / "small.toml"),
        "policies": ["supplier_centric", "demand_centric"],
        "replications": 10,
        "design": {"kind": "grid", "points": 100_000},
        "parameters": [
            {"path": "population.value_intensity", "low": 0.0, "high": 2.0},
            {"path": "population.retry_days", "low": 1.0, "high": 9.0},
        ],
    }
    with pytest.raises(ResourceError) as e:
        parse_experiment(data, "s.toml", allow_large=False)
    assert e.value.problems[0][0] == "design" and "200,000,000,000 runs" in e.value.problems[0][1]


@pytest.mark.parametrize(
    ("design", "params", "points"),
    [
        ({"kind": "grid", "points": 3}, 2, 9),
        ({"kind": "lhs", "points": 7}, 3, 7),
        ({"kind": "sobol", "points": 8}, 2, 32),
        ({"kind": "sobol", "points": 8, "second_order": True}, 2, 48),
    ],
)
def test_planned_points_match_the_design(design: dict[str, object], params: int, points: int) -> None:
    paths = ["population.value_intensity", "population.retry_days", "firms.0.price"][:params]
    data = {
        "scenario": str(SCENARIOS / "small.toml"),
        "policies": ["supplier_centric", "demand_centric"],
        "design": design,
        "parameters": [{"path": p, "low": 1.0, "high": 2.0} for p in paths],
    }
    exp = parse_experiment(data, "s.toml")
    assert planned_points(exp.spec) == len(exp.points) == points


def test_input_files_must_be_regular_and_small(tmp_path: Path) -> None:
    f = tmp_path / "edges.txt"
    f.write_text("0 1\n" * 100)
    assert check_input_file(f, 10_000) is None
    assert "more than" in (check_input_file(f, 100) or "")
    assert check_input_file(tmp_path / "none.txt", 100) == "file not found"
    assert "directory" in (check_input_file(tmp_path, 100) or "")
    assert "not a regular file" in (check_input_file("/dev/zero", 100) or "")


def test_durations_read_well() -> None:
    assert human_time(0.2) == "under a second"
    assert human_time(42) == "42 s"
    assert human_time(150) == "2.5 min"
    assert human_time(5400) == "1.5 h"
    assert human_time(3 * 86400) == "3.0 days"
    assert human_time(10**12).endswith("years")
