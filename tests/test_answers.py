"""Every command states its answer: the compare headline, the sweep's tipping point and today's
market, the Sobol-design warning, scenario-vs-scenario comparison, and the report of a single run."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

from simulator import answers
from simulator.cli import app
from simulator.experiments import analysis
from simulator.experiments.stats import TippingPoint
from tests.conftest import SCENARIOS

runner = CliRunner()


def flat(text: str) -> str:
    """Terminal output with rich's line wrapping undone."""
    return " ".join(text.split())


def loaded(index: pd.DataFrame, policies: list[str], **manifest: object) -> analysis.Loaded:
    m = {
        "firm": "F",
        "policies": policies,
        "parameters": [],
        "spec": {"seed": 1, "kpi": "profit", "design": {"kind": "grid", "points": 1}},
        "scenario": {"population": {"value_intensity": 1.0}, "firms": [{"name": "F", "price": 100.0}]},
        **manifest,
    }
    return analysis.Loaded(Path("."), m, index)


def two_policy_index() -> pd.DataFrame:
    rows = []
    for r, (pa, pb) in enumerate([(100, 110), (200, 212), (300, 314), (400, 416)]):
        rows.append(
            {
                "point": 0,
                "replication": r,
                "policy": "a",
                "firm": "F",
                "profit": pa,
                "cost_per_unit": 50.0 + r,
                "market_share": 0.5,
                "otif": 0.9,
            }
        )
        rows.append(
            {
                "point": 0,
                "replication": r,
                "policy": "b",
                "firm": "F",
                "profit": pb,
                "cost_per_unit": 48.0 + r,
                "market_share": 0.5,
                "otif": 0.9 + 0.01 * r,
            }
        )
    return pd.DataFrame(rows)  # fmt: skip


def test_headline_names_the_winner_with_a_corrected_paired_interval() -> None:
    exp = loaded(two_policy_index(), ["a", "b"])
    h = analysis.headline(exp).set_index("aspect")
    # profit: b beats a by 10, 12, 14, 16 in the four paired replications
    d = np.array([10.0, 12.0, 14.0, 16.0])
    m = 4  # aspects measured (profit, cost, delivery, market share) x one pair; quality is not
    t = stats.t.ppf(1 - 0.05 / m / 2, 3)
    half = t * d.std(ddof=1) / 2
    r = h.loc["profit"]
    assert r["winner"] == "b" and r["runner_up"] == "a" and r["comparisons"] == m
    assert r["lead"] == pytest.approx(13.0) and r["low"] == pytest.approx(13 - half)
    assert r["high"] == pytest.approx(13 + half) and bool(r["significant"])
    # cost: lower is better, b is 2 cheaper in every replication (no spread: a sure difference)
    c = h.loc["cost"]
    assert c["winner"] == "b" and c["lead"] == pytest.approx(2.0) and bool(c["significant"])
    # market share: identical in every replication, so nobody wins
    assert pd.isna(h.loc["market share"]["winner"])
    # quality: not in this index
    assert pd.isna(h.loc["quality"]["kpi"])
    text = answers.headline_sentences(analysis.headline(exp))
    profit = answers.kpi_name("profit")  # the glossary's name: "profit (accrual)"
    label = profit[0].upper() + profit[1:]
    assert text[0].startswith(f"{label}: b wins by 13.00 over a (higher is better; 98.75% interval")
    assert "Bonferroni-corrected for 4 comparisons" in text[0] and text[0].endswith("Significant.")
    assert text[1] == "Quality: not measured in these runs."
    assert text[2].startswith("Cost per unit: b wins by 2.00 over a (lower is better")
    assert "no difference" in text[4]
    wide = answers.headline_table(analysis.headline(exp), ["a", "b"])
    assert list(wide.columns[:4]) == ["aspect", "KPI", "a", "b"]


def test_a_lead_inside_its_corrected_interval_is_not_called_significant() -> None:
    idx = two_policy_index()
    noise = [5.0, -40.0, 30.0, -3.0]
    idx.loc[idx["policy"] == "b", "profit"] = idx.loc[idx["policy"] == "a", "profit"].to_numpy() + noise
    r = analysis.headline(loaded(idx, ["a", "b"])).set_index("aspect").loc["profit"]
    assert r["low"] < 0 < r["high"] and not r["significant"]
    line = answers.headline_sentences(analysis.headline(loaded(idx, ["a", "b"])))[0]
    assert re.match(r"Profit[^:]*: no significant difference;", line)


def sweep_index(diffs: dict[float, list[float]]) -> pd.DataFrame:
    rows = []
    for point, (x, ds) in enumerate(diffs.items()):
        for r, d in enumerate(ds):
            base = 1000.0 + 10 * r
            for pol, v in (("push", base), ("pull", base + d)):
                rows.append({"point": point, "replication": r, "policy": pol, "firm": "F",
                             "population.value_intensity": x, "profit": v})  # fmt: skip
    return pd.DataFrame(rows)


def test_sweep_answer_finds_the_tipping_point_and_todays_market() -> None:
    idx = sweep_index({0.0: [-30, -31, -29], 1.0: [-10, -11, -9], 2.0: [10, 9, 11], 3.0: [30, 29, 31]})
    exp = loaded(idx, ["push", "pull"], parameters=["population.value_intensity"])
    a = analysis.sweep_answer(exp)
    assert a is not None and a.tip is not None
    assert a.tip.estimate == pytest.approx(1.5)
    assert a.ahead_low == "push" and a.ahead_high == "pull"
    assert a.today == 1.0 and a.today_difference == pytest.approx(-10.0)
    lines = answers.sweep_sentences(a)
    assert lines[0].startswith(
        f"Tipping point for {answers.kpi_name('profit')}: pull minus push changes sign at "
        "value_intensity = 1.5"
    )
    today = "Today's market (value_intensity = 1 as in the scenario) (below the tipping point)"
    assert lines[1].startswith(today + ": push leads by")


def test_a_difference_that_only_touches_zero_is_no_tipping_point() -> None:
    idx = sweep_index({0.0: [5, 6, 4], 1.0: [0, 0, 0], 2.0: [0, 0, 0]})
    exp = loaded(idx, ["push", "pull"], parameters=["population.value_intensity"])
    a = analysis.sweep_answer(exp)
    assert a is not None and (a.tip is None or a.tip.estimate is None)
    line = answers.sweep_sentences(a)[0]
    assert "no sign change in the range" in line and "pull leads at value_intensity = 0" in line


def test_no_tipping_point_in_the_range_is_said_so() -> None:
    tip = TippingPoint(None, None, None, 0.0, 0.95, 2000)
    a = analysis.SweepAnswer("profit", "push", "pull", "population.value_intensity", 0.0, 3.0, tip,
                             "pull", "pull", 5.0, None, None, None, False)  # fmt: skip
    lines = answers.sweep_sentences(a)
    assert lines[0] == (
        f"Tipping point for {answers.kpi_name('profit')}: no sign change in the range "
        "(value_intensity from 0 to 3); pull leads at both ends."
    )
    assert "lies outside the swept range" in lines[1]


def test_todays_value_is_read_with_firm_names_and_numbers() -> None:
    exp = loaded(pd.DataFrame({"firm": ["F"]}), ["a"], parameters=["firms.F.price"])
    assert analysis.baseline_value(exp) == 100.0
    assert analysis.baseline_value(exp, "firms.0.price") == 100.0
    assert analysis.baseline_value(exp, "firms.Nobody.price") is None


def test_sobol_warning_for_a_small_design() -> None:
    exp = loaded(pd.DataFrame(), ["a"], spec={"design": {"kind": "sobol", "points": 4}})
    table = pd.DataFrame({"S1": [-0.34], "S1_conf": [4.8], "ST": [2.2], "ST_conf": [1.0]})
    w = analysis.sobol_warning(exp, table)
    assert w is not None and "N = 4" in w and "±4.8" in w and "outside [0, 1]" in w
    exp.manifest["spec"]["design"]["points"] = 1024
    ok = pd.DataFrame({"S1": [0.4], "S1_conf": [0.03], "ST": [0.5], "ST_conf": [0.04]})
    assert analysis.sobol_warning(exp, ok) is None


def test_kpi_numbers_in_their_units() -> None:
    assert answers.fmt_value("market_share", 0.6234) == "62.3%"
    assert answers.fmt_difference("market_share", 0.031) == "3.1 pp"
    assert answers.fmt_value("profit", 1234567.4) == "1,234,567"
    assert answers.fmt_value("mean_lead_time_days", 2.345) == "2.3 days"
    assert answers.fmt_value("profit", math.nan) == "–"


# --- end to end through the command line ---------------------------------------------------------


def small(tmp_path: Path, name: str, **replace: str) -> Path:
    text = (SCENARIOS / "small.toml").read_text().replace("size = 2000", "size = 300")
    for a, b in replace.items():
        text = text.replace(a, b)
    p = tmp_path / f"{name}.toml"
    p.write_text(text)
    return p


def test_compare_two_scenarios_reports_every_firm_with_the_answer_first(tmp_path: Path) -> None:
    a = small(tmp_path, "calm")
    b = small(tmp_path, "keen", **{"[population]": "[population]\nvalue_intensity = 3.0"})
    out = tmp_path / "cmp"
    res = runner.invoke(
        app,
        ["compare", str(a), str(b), "--replications", "3", "--days", "30", "--warmup", "5",
         "--out", str(out), "--executor", "sequential"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "The answer for PushCo" in res.output and "The answer for PullCo" in res.output
    m = json.loads((out / "manifest.json").read_text())
    assert m["mode"] == "scenarios" and m["policies"] == ["calm", "keen"] and m["firm"] is None
    index = pd.read_parquet(out / "index.parquet")
    assert set(index["firm"]) == {"PushCo", "PullCo"} and set(index["policy"]) == {"calm", "keen"}
    md = (out / "report.md").read_text()
    assert md.index("## The answer") < md.index("## Set-up") < md.index("## KPIs of PushCo")
    assert "| KPI | calm | keen | n |" in md  # wide: the scenarios are the columns
    assert "calm − keen" not in md and "keen − calm" in md
    html = (out / "report.html").read_text()
    assert "<li>Profit" in html


def test_a_scenario_compared_with_itself_differs_in_nothing(tmp_path: Path) -> None:
    """Common random numbers: the same scenario on the same replication seeds gives the same runs."""
    a = small(tmp_path, "one")
    b = small(tmp_path, "two")
    out = tmp_path / "same"
    res = runner.invoke(
        app,
        ["compare", str(a), str(b), "--replications", "2", "--days", "25", "--warmup", "5",
         "--out", str(out), "--executor", "sequential", "--no-report"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    idx = pd.read_parquet(out / "index.parquet")
    one = idx[idx["policy"] == "one"].drop(columns=["policy", "run_id"]).reset_index(drop=True)
    two = idx[idx["policy"] == "two"].drop(columns=["policy", "run_id"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(one, two)
    assert "no difference: every replication gave each scenario the same value" in flat(res.output)


def test_compare_refuses_mixed_or_missing_instructions(tmp_path: Path) -> None:
    a, b = small(tmp_path, "a"), small(tmp_path, "b")
    both = runner.invoke(app, ["compare", str(a), str(b), "--policies", "demand_centric"])
    assert both.exit_code == 2 and "not both" in both.output
    none = runner.invoke(app, ["compare", str(a)])
    assert none.exit_code == 2 and "--policies" in none.output
    c = small(tmp_path, "c", **{"days = 90": "days = 60"})
    diff = runner.invoke(app, ["compare", str(a), str(c)])
    assert diff.exit_code == 2 and "different periods" in diff.output and "Traceback" not in diff.output


def test_compare_policies_prints_the_headline(tmp_path: Path) -> None:
    a = small(tmp_path, "p")
    res = runner.invoke(
        app,
        ["compare", str(a), "--policies", "supplier_centric,demand_centric", "--firm", "PullCo",
         "--replications", "2", "--days", "25", "--warmup", "5", "--out", str(tmp_path / "o"),
         "--executor", "sequential"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "The answer for PullCo (its policy varied)" in res.output
    assert re.search(r"- Profit.*?(wins by|no significant difference|no difference)", flat(res.output))
    md = (tmp_path / "o" / "report.md").read_text()
    assert "| KPI | supplier_centric | demand_centric | n |" in md


def test_sweep_prints_its_tipping_point_and_todays_market(tmp_path: Path) -> None:
    scen = small(tmp_path, "s")
    f = tmp_path / "sweep.toml"
    f.write_text(
        f'name = "t"\nscenario = "{scen}"\nfirm = "PullCo"\n'
        'policies = ["supplier_centric", "demand_centric"]\nreplications = 2\nseed = 8\n'
        'days = 30\nwarmup_days = 5\n[design]\nkind = "grid"\npoints = 3\n'
        '[[parameters]]\npath = "firms.PullCo.price"\nlow = 95.0\nhigh = 125.0\n'
    )
    out = tmp_path / "out"
    res = runner.invoke(app, ["sweep", str(f), "--out", str(out), "--executor", "sequential"])
    assert res.exit_code == 0, res.output
    assert "The answer" in res.output and "Tipping point for profit" in flat(res.output)
    assert "Today's market (firms.PullCo.price = " in flat(res.output)  # small.toml's own price
    md = (out / "report.md").read_text()
    assert md.index("Tipping point for profit") < md.index("## Set-up")
    index = pd.read_parquet(out / "index.parquet")
    assert sorted(set(index["firms.PullCo.price"])) == [95.0, 110.0, 125.0]


def test_every_run_gets_a_report_with_figures_and_exports(tmp_path: Path) -> None:
    scen = small(tmp_path, "r", **{"[[events]]": "[[events]]"})
    out = tmp_path / "run"
    res = runner.invoke(app, ["run", str(scen), "--days", "30", "--out", str(out)])
    assert res.exit_code == 0, res.output
    md = (out / "report.md").read_text()
    html = (out / "report.html").read_text()
    for fig in ("share.png", "operations.png", "profit.png", "lead_times.png"):
        assert (out / "figures" / fig).stat().st_size > 5000
        assert f"figures/{fig}" in md
    assert html.count("data:image/png;base64,") == len(re.findall(r"!\[", md))
    assert "| KPI | PushCo | PullCo |" in md
    for name in ("kpis.csv", "timeseries.csv", "market.csv", "decisions.csv"):
        assert (out / "exports" / name).stat().st_size > 100
    kpis = pd.read_csv(out / "exports" / "kpis.csv")
    summary = json.loads((out / "summary.json").read_text())
    assert kpis.set_index("kpi").loc["profit", "PushCo"] == pytest.approx(
        summary["firms"]["PushCo"]["profit"]
    )
    pytest.importorskip("openpyxl")
    book = pd.read_excel(out / "exports" / "run.xlsx", sheet_name=None)
    assert {"kpis", "timeseries", "market", "decisions"} <= set(book)
    (out / "report.html").unlink()
    again = runner.invoke(app, ["report", str(out)])
    assert again.exit_code == 0 and (out / "report.html").exists(), again.output
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert {"delivered_orders", "lead_time_actual", "lead_time_quoted"} <= set(ts.columns)
    got = ts.loc[ts["delivered_orders"] > 0, "lead_time_actual"]
    assert got.notna().all() and (got >= 0).all()


def test_report_of_a_folder_that_is_nothing_exits_2(tmp_path: Path) -> None:
    res = runner.invoke(app, ["report", str(tmp_path)])
    assert res.exit_code == 2 and "neither a run folder" in res.output
