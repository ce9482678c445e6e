"""The evidence commands: survey, elasticity and sharing, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from simulator.cli import app
from simulator.market.evidence import elasticity, sharing_sweep
from tests.conftest import SCENARIOS, tiny_scenario

runner = CliRunner()


def test_survey_prints_simulated_beside_the_survey_and_json() -> None:
    res = runner.invoke(app, ["survey", "--size", "3000", "--premiums", "0.1", "--json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)
    assert [r["generation"] for r in rows] == ["silent", "boomers", "gen_x", "millennials", "gen_z"]
    by = {r["generation"]: r for r in rows}
    assert abs(by["boomers"]["survey_stated"] - 0.23) < 1e-3  # the survey's own figure at 10%
    assert by["silent"]["thin_data"] and not by["gen_z"]["thin_data"]
    res = runner.invoke(app, ["survey", "--size", "3000", "--premiums", "0.1"])
    assert res.exit_code == 0 and "Gen Z - Boomers" in res.output and "(thin" in res.output


def test_evidence_commands_refuse_bad_input_with_exit_2(tmp_path: Path) -> None:
    small = str(SCENARIOS / "small.toml")
    for args, words in (
        (["survey", "--premiums", "x"], "--premiums: expected numbers"),
        (["survey", "--premiums", "3"], "--premiums"),
        (["elasticity", small, "--firm", "Nobody"], "no firm named 'Nobody'"),
        (["elasticity", small, "--firm", "PullCo", "--attribute", "colour"], "--attribute"),
        (["sharing", small, "--factors", "-1"], "--factors"),
        (["sharing", str(tmp_path / "missing.toml")], "missing.toml"),
    ):
        res = runner.invoke(app, args)
        assert res.exit_code == 2, (args, res.output)
        assert words in res.output and "Traceback" not in res.output, (args, res.output)


def test_elasticity_of_price_is_negative_and_of_reputation_positive() -> None:
    """Paired runs on the same seeds: a dearer firm sells less, a better regarded one more."""
    s = tiny_scenario(**{"population.size": 1500, "run.days": 45, "run.warmup_days": 10})
    price = elasticity(s, "Pull", "price", step=0.05, replications=3, seed=4)
    rep = elasticity(s, "Pull", "reputation", step=0.05, replications=3, seed=4)
    assert price.ci_high < 0 < rep.ci_low
    assert len(price.replications) == 3
    res = runner.invoke(
        app,
        [
            "elasticity",
            str(SCENARIOS / "small.toml"),
            "--firm",
            "PullCo",
            "--days",
            "30",
            "--replications",
            "2",
        ],
    )
    assert res.exit_code == 0 and "price elasticity" in res.output, res.output


def test_sharing_sweep_pairs_every_factor_with_the_default() -> None:
    s = tiny_scenario(**{"population.size": 800, "run.days": 30})
    df = sharing_sweep(s, (0.0, 1.0), replications=2, seed=1)
    assert set(df["factor"]) == {0.0, 1.0} and set(df["firm"]) == {"Push", "Pull"}
    np.testing.assert_allclose(df.groupby("factor")["share"].sum(), 1.0)
    assert (df[df["factor"] == 1.0]["diff"] == 0).all()
