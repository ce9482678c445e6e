"""No silently ignored parameter: a policy setting that has no effect in its mode is refused by name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from simulator.cli import app
from simulator.policies.params import without_ignored
from simulator.scenario import ScenarioError, load_scenario, parse_scenario
from tests.conftest import SCENARIOS


def _problems(policy: dict[str, Any], factory: dict[str, Any] | None = None) -> list[str]:
    firm: dict[str, Any] = {"name": "A", "policy": policy}
    if factory is not None:
        firm["factory"] = factory
    try:
        parse_scenario({"firms": [firm]})
    except ScenarioError as e:
        return e.lines()
    return []


@pytest.mark.parametrize(
    ("policy", "field", "words"),
    [
        ({"name": "supplier_centric", "forecast": "exp_smoothing"}, "forecast", "decision = 'rules'"),
        (
            {"name": "supplier_centric", "decision": "data", "smoothing_alpha": 0.5},
            "smoothing_alpha",
            "only an exp_smoothing forecast",
        ),
        (
            {"name": "supplier_centric", "decision": "ai", "safety_factor": 2.0},
            "safety_factor",
            "fractile",
        ),
        ({"name": "supplier_centric", "service_level": 0.9}, "service_level", "only decision = 'data'"),
        ({"name": "supplier_centric", "holding_cost": 1.0}, "holding_cost", "optimiser"),
        ({"name": "supplier_centric", "markup": 0.5}, "markup", "cost_plus"),
        (
            {"name": "supplier_centric", "decision": "cobot", "cx_buffer": {"extra_sd": 2.0}},
            "cx_buffer",
            "overrides = ['cx_buffer']",
        ),
        ({"name": "demand_centric", "decision": "data", "buffer": 40}, "buffer", "sensed demand"),
        (
            {"name": "demand_centric", "lead_time_days": 3.0, "measure_window": 14},
            "measure_window",
            "no lead time is measured",
        ),
        (
            {"name": "supplier_centric", "quoted_days": 2.0, "quote_reliability": 0.9},
            "quote_reliability",
            "fixed quoted_days",
        ),
        ({"name": "demand_centric", "wip_limit": 5}, "wip_limit", "control = 'conwip'"),
        ({"name": "demand_centric", "transfer_batch": 5}, "transfer_batch", "control = 'conwip'"),
        (
            {"name": "demand_centric", "review": "continuous", "review_days": 7},
            "review_days",
            "continuous",
        ),
        ({"name": "demand_centric", "forecast": "exp_smoothing"}, "forecast", "senses demand"),
        ({"name": "demand_centric", "sop_days": 0, "max_shifts": 2}, "max_shifts", "sop_days = 0"),
        ({"name": "demand_centric", "sop_days": 0, "sensing_days": 7}, "sensing_days", "senses nothing"),
        (
            {"name": "demand_centric", "decision": "ai", "target_utilisation": 0.7},
            "target_utilisation",
            "expected profit",
        ),
    ],
)
def test_a_parameter_without_effect_is_refused_by_name(
    policy: dict[str, Any], field: str, words: str
) -> None:
    lines = _problems(policy)
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"<scenario>: firms.0.policy.{field}: has no effect: "), lines[0]
    assert words in lines[0]


def test_every_ignored_parameter_is_named_at_once() -> None:
    lines = _problems({"name": "demand_centric", "decision": "data", "buffer": 40, "wip_limit": 3})
    assert [line.split(": ")[1] for line in lines] == [
        "firms.0.policy.buffer",
        "firms.0.policy.wip_limit",
    ]


def test_the_same_parameters_in_the_mode_that_reads_them_are_fine() -> None:
    assert _problems({"name": "supplier_centric", "decision": "data", "forecast": "exp_smoothing"}) == []
    assert _problems({"name": "demand_centric", "control": "conwip", "wip_limit": 5}) == []
    assert _problems({"name": "demand_centric", "decision": "data", "lead_time_days": 3.0}) == []
    # a parameter written at its default value changes nothing and is accepted
    assert _problems({"name": "demand_centric", "decision": "data", "buffer": 30}) == []


def test_kanban_cards_must_fit_the_routing() -> None:
    two = {"stages": [{"name": "a"}, {"name": "b"}]}
    assert _problems({"name": "demand_centric", "control": "kanban", "kanban_cards": [3]}, two) == []
    (line,) = _problems({"name": "demand_centric", "control": "kanban", "kanban_cards": [3, 4]}, two)
    assert "firms.0.policy.kanban_cards: give one count per stage before the last (1), got 2" in line
    (line,) = _problems({"name": "demand_centric", "control": "kanban", "kanban_cards": 5})
    assert "firms.0.policy.kanban_cards: has no effect: a one-stage plant" in line


def test_check_exits_2_naming_the_field(tmp_path: Path) -> None:
    f = tmp_path / "s.toml"
    f.write_text(
        '[[firms]]\nname = "A"\npolicy = { name = "supplier_centric", forecast = "exp_smoothing" }\n'
    )
    res = CliRunner().invoke(app, ["check", str(f)])
    assert res.exit_code == 2
    assert f"{f}: firms.0.policy.forecast: has no effect" in res.output
    assert "Traceback" not in res.output


def test_without_ignored_drops_what_a_mode_change_makes_meaningless() -> None:
    data, notes = without_ignored(
        {"name": "demand_centric", "decision": "data", "buffer": 40, "control": "conwip", "wip_limit": 9}
    )
    assert data == {"name": "demand_centric", "decision": "data", "control": "conwip", "wip_limit": 9}
    assert notes == [
        "buffer dropped: under decision = 'data' the buffer is sized from sensed demand over "
        "lead_time_days + review_days"
    ]


def test_the_browser_control_switching_a_mode_keeps_the_scenario_usable() -> None:
    """Baseline's EthicalCo holds a rules buffer of 40; switched to 'data' the buffer is dropped with
    a note instead of the page refusing every setting."""
    from simulator.viz.controls import build_scenario

    base = load_scenario(SCENARIOS / "baseline.toml")
    i = [f.name for f in base.firms].index("EthicalCo")
    scenario, _, notes = build_scenario(base, {f"decision_{i}": "data"})
    assert scenario.firms[i].policy.decision == "data"
    assert any("EthicalCo: buffer dropped" in n for n in notes), notes
    assert not any("Settings not used" in n for n in notes), notes
