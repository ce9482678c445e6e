"""Decision modes and the decision log: every order explained, overrides priced, sensing kept honest."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator.policies import optimisation as opt
from simulator.policies.decisions import DECISION_COLUMNS
from simulator.policies.demand_centric import DemandCentric
from simulator.policies.forecasting import exp_smoothing, moving_average
from simulator.policies.params import DemandCentricParams
from simulator.policies.sensing import KIND_CODES, MarketFeed, sensed_demand
from simulator.scenario import ScenarioError, parse_scenario
from tests.conftest import ROOT
from tests.policy_harness import drive, make_firm

MODES = ["rules", "data", "ai", "cobot"]


def _spec(policy: str, mode: str) -> dict:
    p: dict = {"name": policy, "decision": mode}
    if policy == "supplier_centric":
        p.update({"review_days": 7, "min_lot": 30, "lead_time_days": 4})
    else:
        # the buffer is fixed under rules; the other modes size it from sensed demand
        p.update({"buffer": 12, "sop_days": 0} if mode == "rules" else {"sop_days": 0})
    if mode == "cobot":
        p["overrides"] = ["cx_buffer"]
    return {"factory": {"initial_stock": 40, "unit_time": {"kind": "gamma", "mean": 0.05}}, "policy": p}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("policy", ["supplier_centric", "demand_centric"])
def test_decision_log_explains_each_order(policy: str, mode: str) -> None:
    firm, env = make_firm(_spec(policy, mode), seed=4)
    drive(firm, env, np.random.default_rng(9).poisson(8, 60))
    log = firm.policy.decisions
    releases = [(t, q) for t, what, _, q in firm.plant.log if what == "release"]
    assert releases
    by_time = {e["time"]: e for e in log if e["action"] == "release"}
    for t, q in releases:
        e = by_time[t]  # one decision at the instant of each work order ...
        assert e["released"] == q  # ... for exactly that quantity
        assert e["rule"] and e["decision"] == mode and "override" in e
        assert e["reason"]
    # every logged release is a work order in the plant, and the quantity follows from the inputs
    assert sorted((e["time"], e["released"]) for e in log if e["released"] > 0) == sorted(releases)
    for e in log:
        if e["action"] != "release":
            continue
        x = e["inputs"]
        if policy == "supplier_centric":
            gap = x["order_up_to"] - x["inventory_position"]
            want = max(int(np.ceil(gap)), x["lot"]) if gap > 0 else 0
        else:
            want = max(x["level"] - x["inventory_position"], 0)
        assert e["released"] == want
        if mode == "ai":
            assert e["override"] == ""
            level = x["order_up_to"] if policy == "supplier_centric" else e["chosen"]
            want_level = opt.newsvendor_level(
                x["cover_mean"], x["cover_sd"], x["holding_cost"], x["shortage_cost"]
            )
            assert level == pytest.approx(want_level)
        if mode == "cobot":
            assert e["override"] == "cx_buffer"
            assert x["override_extra_cost"] >= 0.0
            assert x["fill_rate_chosen"] >= x["fill_rate_recommended"]
        if mode == "rules":
            assert e["rule"].startswith("rule of thumb")
        if mode == "data":
            assert e["rule"].startswith("statistical")
    frame = firm.policy.decision_frame()
    assert list(frame.columns) == list(DECISION_COLUMNS) and len(frame) == len(log)
    assert json.loads(frame["inputs"].iloc[-1]) == log[-1]["inputs"]  # JSON round-trips exactly


def test_overrides_only_for_cobot() -> None:
    firms = [{"name": "A", "policy": {"name": "demand_centric", "overrides": ["cx_buffer"]}}]
    with pytest.raises(ScenarioError) as e:
        parse_scenario({"firms": firms})
    (path, msg), *_ = e.value.problems
    assert path.startswith("firms.0.policy") and "cobot" in msg and "overrides" in msg


def test_quality_first_raises_quality_at_a_cost_after_a_lag_and_holds_marketing_back() -> None:
    q = {
        "target": 0.8,
        "spend_per_day": 60.0,
        "gain_per_day": 0.05,
        "marketing_delay_days": 20,
        "lag_days": 5,
    }
    spec = {
        "quality": 0.5,
        "factory": {"marketing_cost_per_day": 25.0},
        "policy": {
            "name": "demand_centric",
            "decision": "cobot",
            "overrides": ["quality_first"],
            "quality_first": q,
            "sop_days": 0,
        },
    }
    firm, env = make_firm(spec)
    seen: list[float] = []
    days = drive(firm, env, [5] * 40, after_day=lambda d: seen.append(firm.quality))
    # bought_{k+1} = bought_k + 0.05 (1 - bought_k) until it reaches 0.8; the firm ships it 5 days later
    bought, spend = [0.5], []
    for _ in range(40):
        if bought[-1] < 0.8:
            bought.append(min(0.8, bought[-1] + 0.05 * (1 - bought[-1])))
            spend.append(60.0)
        else:
            bought.append(bought[-1])
            spend.append(0.0)
    # day k's review (k + 0.5) queues what was bought before it and ships what was bought 5 days ago
    assert seen == pytest.approx([0.5] * 5 + bought[: 40 - 5])
    assert [r.money["quality_cost"] for r in days] == spend
    assert [r.money["marketing_cost"] for r in days] == [0.0] * 20 + [25.0] * 20
    assert firm.policy.decisions[0]["action"] == "marketing"
    assert any(
        e["action"] == "quality" and e["override"] == "quality_first" for e in firm.policy.decisions
    )


class _Feed:
    """A feed that says 20 purchases a day and 4 announced boycotts a day, and records what was
    asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, int, int, int | None]] = []

    def counts(self, kind: str, first_day: int, last_day: int, firm: int | None = None) -> np.ndarray:
        self.asked.append((kind, first_day, last_day, firm))
        per_day = {"purchase": 20, "boycott_announce": 4}.get(kind, 0)
        return np.full(last_day - first_day + 1, per_day, dtype=np.int64)


def test_demand_sensing_sizes_the_buffer_from_the_feed_alone() -> None:
    params = DemandCentricParams(decision="data", service_level=0.5, sop_days=0, lead_time_days=2)
    policy = DemandCentric(params, np.random.default_rng(0))
    feed = _Feed()
    policy.attach_feed(feed)
    firm, env = make_firm({"factory": {"initial_stock": 0}}, policy=policy)
    drive(firm, env, [0] * 5)  # the firm's own books show no sales at all
    e = policy.decisions[-1]
    # too little history to fit: the prior weights, 1 x 20 purchases - 0.5 x 4 announced boycotts
    # + 0.5 x 0 announced buycotts = 18 a day; cover 3 days
    assert e["inputs"]["forecast_mean"] == 18.0 and e["chosen"] == pytest.approx(54.0)
    assert {k for k, *_ in feed.asked} == {"purchase", "boycott_announce", "buycott_announce"}
    assert all(f is None for *_, f in feed.asked)  # always its own firm


class _Log:
    def __init__(self) -> None:
        n = max(KIND_CODES.values()) + 1
        self.counts = np.arange(5 * n).reshape(n, 1, 5).repeat(3, axis=1)

    def daily_counts(self, kind: int, firm: int | None, first_day: int, last_day: int) -> np.ndarray:
        assert firm is not None
        return self.counts[kind, firm, first_day : last_day + 1]


def test_market_feed_shows_public_signals_of_anyone_and_private_ones_of_itself() -> None:
    feed = MarketFeed(_Log(), firm=1)
    assert feed.counts("purchase", 0, 4).tolist() == [0, 1, 2, 3, 4]
    assert feed.counts("post_negative", 1, 2, firm=2).tolist() == [26, 27]
    for kind in ("purchase", "support_purchase", "cancel", "wait", "delivery"):
        with pytest.raises(PermissionError):
            feed.counts(kind, 0, 4, firm=0)
    for kind in ("boycott_join", "aware", "went_without"):  # private: not even its own
        with pytest.raises(PermissionError, match="private"):
            feed.counts(kind, 0, 4)
    with pytest.raises(ValueError, match="unknown event kind"):
        feed.counts("mind_reading", 0, 4)
    # (a 5-day window over days 0-4: no day with its next 5 days seen, so the prior weights as
    # they are)
    f = sensed_demand(feed, day=4, days=5, weights={"purchase": 1.0, "boycott_announce": -0.5})
    # purchases 0-4; announced boycotts (kind 14) 70-74: weighted sums clipped at 0
    assert f.mean == 0.0
    g = sensed_demand(feed, day=4, days=5, weights={"purchase": 1.0, "post_positive": 0.1})
    # purchases 0-4 plus 0.1 x positive posts (kind 4) 20-24: 2.0, 3.1, ..., 6.4
    assert g.mean == pytest.approx(4.2) and g.sd == pytest.approx(1.1 * np.sqrt(2.5))


def test_policy_modules_never_import_the_market_or_the_model() -> None:
    """Static layer: the only market data a policy can hold is the feed it is handed."""
    for path in sorted((ROOT / "simulator" / "policies").glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith(("simulator.market", "simulator.model")), path
            if isinstance(node, ast.Import):
                for a in node.names:
                    assert not a.name.startswith(("simulator.market", "simulator.model")), path


def test_forecasts_match_plain_recursions() -> None:
    x = np.random.default_rng(3).poisson(30, 200).astype(float)
    level, errors = x[0], []
    for v in x[1:]:
        errors.append(v - level)
        level = 0.3 * v + 0.7 * level
    f = exp_smoothing(x, 0.3, window=50)
    assert f.mean == pytest.approx(level)
    assert f.sd == pytest.approx(np.sqrt(np.mean(np.square(errors[-50:]))))
    m = moving_average(x, 28)
    assert m.mean == pytest.approx(x[-28:].mean()) and m.sd == pytest.approx(x[-28:].std(ddof=1))
    assert m.over(4).mean == pytest.approx(4 * m.mean) and m.over(4).sd == pytest.approx(2 * m.sd)


def test_run_folder_holds_the_decision_log(tmp_path: Path) -> None:
    from simulator.experiments.run import run_once
    from simulator.results import write_run_folder
    from tests.conftest import tiny_scenario

    s = tiny_scenario(
        **{
            "firms.0.policy.decision": "ai",
            "firms.1.policy": {"name": "demand_centric", "decision": "data"},  # buffer: sensed
        }
    )
    res = run_once(s, seed=3)
    assert res.decisions is not None
    assert set(res.decisions["firm"]) == {"Push", "Pull"}
    assert set(res.decisions["decision"]) == {"ai", "data"}
    write_run_folder(tmp_path / "r", s, res, 3, "now", days=s.run.days)
    back = pd.read_parquet(tmp_path / "r" / "decisions.parquet")
    assert len(back) == len(res.decisions) and list(back.columns) == list(DECISION_COLUMNS)


def test_explain_answers_why_in_plain_lines() -> None:
    from simulator.policies.decisions import explain

    firm, env = make_firm(_spec("demand_centric", "cobot"), seed=4)
    drive(firm, env, [7, 9, 8])
    lines = explain(firm.policy.decision_frame(), firm="F", day=2, action="release")
    e = firm.policy.decisions[2]
    assert lines == [
        f"t=2.5 F: released {e['released']} (cobot: {e['rule']}; override cx_buffer). {e['reason']}"
    ]
    assert explain(firm.policy.decision_frame(), firm="Nobody") == []


def test_marketsim_why_reads_the_run_folder(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from simulator.cli import app

    runner = CliRunner()
    out = tmp_path / "run"
    small = str(ROOT / "scenarios" / "small.toml")
    assert runner.invoke(app, ["run", small, "--days", "25", "--out", str(out)]).exit_code == 0
    res = runner.invoke(app, ["why", str(out), "--firm", "PullCo", "--day", "3"])
    assert res.exit_code == 0, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Day 3 (t=3.5): PullCo released ")
    bad = runner.invoke(app, ["why", str(out), "--firm", "Nobody"])
    assert (
        bad.exit_code == 2 and "no firm named 'Nobody'" in bad.output and "Traceback" not in bad.output
    )
    assert runner.invoke(app, ["why", str(tmp_path)]).exit_code == 2
    (tmp_path / "decisions.parquet").write_text("not parquet")
    broken = runner.invoke(app, ["why", str(tmp_path)])
    assert broken.exit_code == 2 and "cannot read" in broken.output
