"""Experiments: common random numbers, identical results on every executor, compare end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from simulator.cli import app
from simulator.experiments.design import parse_experiment
from simulator.experiments.engine import execute, run_experiment, tasks
from simulator.experiments.executors import open_executor
from simulator.experiments.stats import paired_difference
from simulator.rng import replication_seeds
from tests.conftest import SCENARIOS

runner = CliRunner()


def _tiny_experiment(tmp_path: Path, **extra: object) -> object:
    """Two policies for PullCo in a 400-consumer, 40-day version of the small scenario."""
    scen = tmp_path / "tiny.toml"
    text = (SCENARIOS / "small.toml").read_text().replace("size = 2000", "size = 400")
    scen.write_text(text)
    data = {
        "name": "tiny",
        "scenario": str(scen),
        "firm": "PullCo",
        "policies": ["supplier_centric", "demand_centric"],
        "replications": 3,
        "seed": 11,
        "days": 40,
        "warmup_days": 10,
        **extra,
    }
    return parse_experiment(data, "test")


def test_every_policy_sees_the_same_replication_seeds(tmp_path: Path) -> None:
    exp = _tiny_experiment(
        tmp_path, parameters=[{"path": "population.value_intensity", "values": [0.5, 2.0]}]
    )
    ts = tasks(exp)  # type: ignore[arg-type]
    assert len(ts) == 2 * 2 * 3
    seeds = replication_seeds(11, 3)
    for t in ts:
        assert t.seed.spawn_key == seeds[t.replication].spawn_key
        assert t.seed.entropy == seeds[t.replication].entropy
        firm = t.scenario.firms[1]
        assert firm.policy.name == t.policy
        assert t.scenario.population.value_intensity == [0.5, 2.0][t.point]


def test_common_random_numbers_narrow_the_interval_on_a_difference(tmp_path: Path) -> None:
    exp = _tiny_experiment(tmp_path, replications=8)
    by = {(t.policy, t.replication): t for t in tasks(exp)}  # type: ignore[arg-type]
    profit = {k: execute(t).summary["firms"]["PullCo"]["profit"] for k, t in by.items()}
    a = np.array([profit[("supplier_centric", r)] for r in range(8)])
    b_crn = np.array([profit[("demand_centric", r)] for r in range(8)])
    # Independent seeds: the second policy runs on a different set of replication seeds.
    other = replication_seeds(999, 8)
    b_ind = np.array(
        [
            execute(
                by[("demand_centric", r)].__class__(
                    **{**by[("demand_centric", r)].__dict__, "seed": other[r]}
                )
            ).summary["firms"]["PullCo"]["profit"]
            for r in range(8)
        ]
    )
    crn = paired_difference(a, b_crn).interval
    ind = paired_difference(a, b_ind).interval
    assert crn.half_width < ind.half_width, (crn, ind)


def _index(exp: object, folder: Path, kind: str) -> pd.DataFrame:
    with open_executor(kind, 2) as ex:  # type: ignore[arg-type]
        outcome = run_experiment(exp, folder, ex)  # type: ignore[arg-type]
    assert outcome.failed == []
    return pd.read_parquet(folder / "index.parquet")


def test_sequential_process_pool_and_dask_give_identical_results(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    exp = _tiny_experiment(tmp_path, replications=2)
    seq = _index(exp, tmp_path / "seq", "sequential")
    pool = _index(exp, tmp_path / "pool", "process")
    dask = _index(exp, tmp_path / "dask", "dask")  # a real LocalCluster with 2 worker processes
    assert len(seq) == 2 * 2 * 2  # runs x firms
    pd.testing.assert_frame_equal(seq, pool)
    pd.testing.assert_frame_equal(seq, dask)
    for name in sorted(p.name for p in (tmp_path / "seq" / "runs").iterdir()):
        pd.testing.assert_frame_equal(
            pd.read_parquet(tmp_path / "seq" / "runs" / name),
            pd.read_parquet(tmp_path / "dask" / "runs" / name),
        )


def test_compare_cli_writes_intervals_and_bonferroni_with_three_policies(tmp_path: Path) -> None:
    sweep = tmp_path / "three.toml"
    scen = tmp_path / "tiny.toml"
    scen.write_text((SCENARIOS / "small.toml").read_text().replace("size = 2000", "size = 400"))
    sweep.write_text(
        f"""
name = "three"
scenario = "{scen}"
firm = "PullCo"
replications = 4
seed = 3
days = 40
warmup_days = 10
policies = ["supplier_centric", {{ name = "demand_centric", buffer = 5, label = "pull5" }},
            {{ name = "demand_centric", buffer = 25, label = "pull25" }}]
"""
    )
    out = tmp_path / "out"
    res = runner.invoke(app, ["sweep", str(sweep), "--out", str(out), "--executor", "sequential"])
    assert res.exit_code == 0, res.output
    md = (out / "report.md").read_text()
    assert "Bonferroni" in md and "pull25" in md
    index = pd.read_parquet(out / "index.parquet")
    assert set(index["policy"]) == {"supplier_centric", "pull5", "pull25"}
    assert len(list((out / "runs").glob("*.parquet"))) == 12
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["runs"] == 12 and len(manifest["seeds"]) == 4

    res = runner.invoke(
        app,
        [
            "compare", str(scen), "--policies", "supplier_centric,demand_centric", "--firm", "PullCo",
            "--replications", "3", "--days", "30", "--warmup", "5", "--out", str(tmp_path / "cmp"),
            "--executor", "sequential",
        ],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert (tmp_path / "cmp" / "report.html").exists()
    again = runner.invoke(
        app, ["compare", str(scen), "--policies", "demand_centric", "--out", str(tmp_path / "cmp")]
    )
    assert again.exit_code == 2 and "--resume" in again.output
