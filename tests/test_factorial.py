"""Factorial designs (policy x a second factor), the comparison rule, tuning, goodwill."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from simulator.cli import app
from simulator.experiments.design import load_experiment, parse_experiment
from simulator.experiments.factorial import contrasts
from simulator.firms.goodwill import appeal, next_goodwill, steady_goodwill
from simulator.scenario import Marketing, ScenarioError, load_scenario

SMALL = "scenarios/small.toml"


def _by(rows: list[dict], contrast: str) -> np.ndarray:
    return next(r["values"] for r in rows if r["contrast"] == contrast)


def test_contrasts_recover_known_effects_exactly() -> None:
    # y = 10 + 3 (pull) + 5 (ethical) + 2 (pull and ethical) + noise shared by the cells of a
    # replication (common random numbers cancel it in every contrast)
    noise = np.array([1.0, -4.0, 7.0])
    y = np.empty((2, 2, 3))
    for i in range(2):
        for j in range(2):
            y[i, j] = 10 + 3 * i + 5 * j + 2 * i * j + noise
    rows = contrasts(y, ["push", "pull"], ["conv", "eth"])
    assert _by(rows, "pull - push at conv") == pytest.approx([3, 3, 3])
    assert _by(rows, "pull - push at eth") == pytest.approx([5, 5, 5])
    assert _by(rows, "pull - push, mean over levels") == pytest.approx([4, 4, 4])
    assert _by(rows, "eth - conv under push") == pytest.approx([5, 5, 5])
    assert _by(rows, "eth - conv, mean over policies") == pytest.approx([6, 6, 6])
    assert _by(rows, "(pull - push) at eth minus at conv") == pytest.approx([2, 2, 2])
    assert _by(rows, "pull at eth - push at conv") == pytest.approx([10, 10, 10])


def test_a_comparison_may_not_change_the_product_with_the_policy() -> None:
    data = {
        "scenario": SMALL,
        "policies": [{"name": "demand_centric", "firm_settings": {"price": 108.0}}],
    }
    with pytest.raises(ScenarioError) as e:
        parse_experiment(data, "s.toml")
    assert "policies.0.firm_settings" in str(e.value) and "[factor]" in str(e.value)


def test_a_factor_crosses_every_policy_with_every_level() -> None:
    exp = load_experiment("sweeps/value_share_demo.toml")
    assert exp.labels == ["push+conventional", "pull+conventional", "push+ethical", "pull+ethical"]
    idx = [f.name for f in exp.base.firms].index("PullCo")
    by = {p.label: exp.scenario_for(exp.points[0], p).firms[idx] for p in exp.spec.policies}
    assert by["push+ethical"].price == by["pull+ethical"].price == 108.0
    assert by["push+conventional"].factory.material_cost == 30.0
    assert by["push+ethical"].policy.name == "supplier_centric"
    assert by["pull+ethical"].policy.name == "demand_centric"
    # everything but the policy is equal within a level
    a = by["push+ethical"].model_dump(exclude={"policy"})
    assert a == by["pull+ethical"].model_dump(exclude={"policy"})


def test_factor_levels_may_set_scenario_paths() -> None:
    exp = load_experiment("sweeps/young_market.toml")
    young = next(p for p in exp.spec.policies if p.label.endswith("young_mix"))
    assert exp.scenario_for(exp.points[0], young).population.mix.gen_z == pytest.approx(0.38)


@pytest.mark.parametrize(
    "levels, needle",
    [
        ([{"label": "a", "settings": {"price": 1.0}}], "levels"),
        (
            [{"label": "a", "settings": {"price": 90.0}}, {"label": "b", "settings": {"quality": 0.5}}],
            "same paths",
        ),
        (
            [{"label": "a", "settings": {"price": 90.0}}, {"label": "b", "settings": {"price": -1.0}}],
            "price",
        ),
    ],
)
def test_bad_factor_levels_are_reported(levels: list, needle: str) -> None:
    data = {"scenario": SMALL, "policies": ["supplier_centric"], "factor": {"levels": levels}}
    with pytest.raises(ScenarioError) as e:
        parse_experiment(data, "s.toml")
    assert needle in str(e.value)


def test_goodwill_builds_to_spend_over_decay_and_halves_in_its_half_life() -> None:
    m = Marketing()
    g = steady_goodwill(80.0, m)
    assert next_goodwill(g, 80.0, m) == pytest.approx(g)
    half = round(math.log(2) / m.goodwill_decay_per_day)
    x = g
    for _ in range(half):
        x = next_goodwill(x, 0.0, m)
    assert x == pytest.approx(g / 2, rel=0.01)
    assert appeal(0.0, m) == 0.0 < appeal(x, m) < appeal(g, m)


def test_held_back_marketing_costs_sales() -> None:
    from simulator.experiments.run import run_once

    sc = load_scenario("scenarios/ai_vs_cobot.toml").with_overrides(
        {"run.days": 90, "run.warmup_days": 0, "population.size": 3000}
    )
    quiet = sc.with_overrides({"firms.1.policy.quality_first.spend_per_day": 0.0})
    res = run_once(quiet, seed=5, agents=False)
    ts = res.timeseries[res.timeseries["firm"] == "PlannerCo"]
    assert (ts["marketing_cost"] == 0.0).all()  # held back for 90 days
    assert ts["goodwill"].iloc[-1] < 0.3 * ts["goodwill"].iloc[0]
    plain = run_once(
        quiet.with_overrides({"firms.1.policy.quality_first.marketing_delay_days": 0}),
        seed=5,
        agents=False,
    )
    units = lambda r: r.summary["firms"]["PlannerCo"]["units_sold"]  # noqa: E731
    assert units(res) < units(plain)


def test_tune_searches_only_what_the_mode_uses() -> None:
    from simulator.experiments.tune import knobs_for

    sc = load_scenario("scenarios/baseline.toml")
    push = {k.name for k in knobs_for(sc, "ConventionalCo", {"name": "supplier_centric"})}
    assert push == {"lead_time_days", "review_days", "min_lot", "safety_factor"}
    data = {"name": "supplier_centric", "decision": "data"}
    assert "service_level" in {k.name for k in knobs_for(sc, "ConventionalCo", data)}
    ai = {"name": "demand_centric", "decision": "ai"}
    # the baseline's plant runs round the clock: no shift calendar to tune
    assert {k.name for k in knobs_for(sc, "EthicalCo", ai)} == set()
    # sizes reach four times the scenario's own value (a larger firm needs a larger buffer)
    big = {k.name: k.high for k in knobs_for(sc, "EthicalCo", {"name": "demand_centric", "buffer": 300})}
    assert big["buffer"] == 1200
    small = {k.name: k.high for k in knobs_for(sc, "EthicalCo", {"name": "demand_centric"})}
    assert small["buffer"] == 400


def test_tuning_never_reports_worse_than_the_start() -> None:
    from simulator.experiments.tune import tune

    sc = load_scenario(SMALL).with_overrides({"run.days": 40, "run.warmup_days": 10})
    t = tune(sc, "PullCo", trials=3, replications=1, seed=1)
    assert t.best_profit >= t.start_profit
    assert len(t.trials) == 3 and t.trials["profit"].iloc[0] == t.start_profit


def test_tune_cli_rejects_bad_input() -> None:
    r = CliRunner().invoke(app, ["tune", SMALL, "--firm", "Nobody"])
    assert r.exit_code == 2 and "no firm named 'Nobody'" in r.output
    r = CliRunner().invoke(app, ["tune", SMALL, "--policies", "magic"])
    assert r.exit_code == 2 and "--policies" in r.output


def test_compare_tune_refuses_a_used_folder_before_tuning(tmp_path: Path) -> None:
    # tuning takes minutes; a folder the compare could not write is refused first
    (tmp_path / "manifest.json").write_text("{}")
    args = ["compare", SMALL, "--policies", "supplier_centric,demand_centric", "--tune"]
    r = CliRunner().invoke(app, [*args, "--out", str(tmp_path)])
    assert r.exit_code == 2 and "already holds an experiment" in r.output
    assert "Traceback" not in r.output


@pytest.mark.parametrize("name", ["young_market", "scandal_at_push", "supply_disruption"])
def test_question_scenarios_keep_the_baseline_firms(name: str) -> None:
    # a question changes one thing (the market, the event); the firms are the baseline's
    base = load_scenario("scenarios/baseline.toml")
    assert load_scenario(f"scenarios/{name}.toml").firms == base.firms
