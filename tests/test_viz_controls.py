"""The browser view's controls and live model, without rendering: schema limits, odd settings, errors."""

from __future__ import annotations

import socket
import subprocess
import sys
from typing import Annotated, Literal

import numpy as np
import pytest
from conftest import ROOT, SCENARIOS, tiny_scenario
from pydantic import BaseModel, Field

from simulator.policies import registry
from simulator.scenario import GENERATIONS, Population, load_scenario
from simulator.viz import controls as C
from simulator.viz.live import DailyTable, LiveMarket


def by_key(base):
    return {c.key: c for c in C.controls_for(base)}


class _Limits(BaseModel):
    a: Annotated[int, Field(gt=0, lt=10)] = 1
    b: Annotated[float, Field(gt=0.5, le=2.0)] = 1.0
    c: int = 3
    d: Literal["x", "y"] = "x"


def test_field_limits_read_pydantic_constraints():
    assert C.field_limits(_Limits, "a") == (1, 9)  # strict integer bounds move one inside
    assert C.field_limits(_Limits, "b") == (0.5, 2.0)
    assert C.field_limits(_Limits, "c") == (None, None)
    assert C.literal_values(_Limits, "d") == ("x", "y")
    assert C.literal_values(_Limits, "c") == ()


def test_sliders_and_selects_come_from_the_schema():
    base = load_scenario(SCENARIOS / "baseline.toml")
    ctl = by_key(base)
    lo, hi = C.field_limits(Population, "size")
    size = ctl["population_size"]
    assert (size.min, size.max, size.value) == (lo, min(hi, C.VIZ_MAX_POPULATION), 10_000)
    assert (ctl["value_intensity"].min, ctl["value_intensity"].max) == C.field_limits(
        Population, "value_intensity"
    )
    for g in GENERATIONS:
        m = ctl[f"mix_{g}"]
        assert (m.min, m.max) == (0.0, 1.0)
        assert m.value == pytest.approx(getattr(base.population.mix, g))
    for i, f in enumerate(base.firms):
        assert ctl[f"policy_{i}"].values == registry.names()
        assert ctl[f"policy_{i}"].value == f.policy.name
        modes = C.literal_values(registry.params_model(f.policy.name), "decision")
        if modes:  # decision modes appear with the policies that have them
            assert ctl[f"decision_{i}"].values == modes
    assert ctl["scandal_firm"].values == ("none", "ConventionalCo", "EthicalCo")
    assert ctl["scandal_firm"].value == "none"  # the baseline has no scandal
    assert ctl["scandal_day"].max == base.run.days
    labels = [c.label for c in C.controls_for(base)]
    assert len(labels) == len(set(labels))  # the browser finds inputs by label


def test_mesa_params_are_mesa_format_and_carry_the_scenario():
    base = tiny_scenario()
    params = C.model_params(base)
    assert params[C.BASE_KEY] is base
    assert params["population_size"]["type"] == "SliderInt"
    assert params["policy_0"]["values"] == list(registry.names())
    assert params["seed"] == {"type": "InputText", "value": str(base.run.seed), "label": "Seed"}


def test_untouched_controls_rebuild_the_scenario_itself():
    base = load_scenario(SCENARIOS / "baseline.toml")
    values = {c.key: c.value for c in C.controls_for(base)}
    spec, seed, notes = C.build_scenario(base, values)
    assert notes == []
    assert seed == base.run.seed
    assert spec.firms == base.firms and spec.events == base.events
    assert spec.population.mix.as_tuple() == pytest.approx(base.population.mix.as_tuple())


def test_mix_weights_are_normalised_and_all_zero_keeps_the_mix():
    base = tiny_scenario()
    spec, _, notes = C.build_scenario(base, {f"mix_{g}": 1.0 for g in GENERATIONS})
    assert spec.population.mix.as_tuple() == pytest.approx([0.2] * 5)
    assert notes == []
    spec, _, notes = C.build_scenario(base, {f"mix_{g}": 0.0 for g in GENERATIONS})
    assert spec.population.mix == base.population.mix
    assert "All generation-mix weights are 0" in notes[0]
    only = {f"mix_{g}": 0.0 for g in GENERATIONS} | {"mix_gen_z": 0.01}
    spec, _, _ = C.build_scenario(base, only)
    assert spec.population.mix.gen_z == 1.0


@pytest.mark.parametrize("size", [1, 2, 10, 11])
def test_population_at_the_bottom_end_thins_the_network(size):
    base = tiny_scenario()  # watts_strogatz, k = 10
    spec, _, notes = C.build_scenario(base, {"population_size": size})
    assert spec.population.size == size
    assert spec.network.k == min(10, size - 1)
    assert bool(notes) == (size <= 10)
    m = LiveMarket(base=base, population_size=size)
    for _ in range(5):
        m.step()
    assert m.error is None and m.day == 5 and m.history.n == 5


def test_complete_network_caps_the_population():
    base = tiny_scenario(**{"network.kind": "complete"})
    spec, _, notes = C.build_scenario(base, {"population_size": 9_000})
    assert spec.population.size == 5_000 and "complete network" in notes[0]


def test_policy_switch_starts_from_defaults_and_own_policy_keeps_its_numbers():
    base = tiny_scenario()
    spec, _, _ = C.build_scenario(base, {"policy_0": "supplier_centric", "policy_1": "supplier_centric"})
    assert spec.firms[0].policy == base.firms[0].policy  # min_lot = 20 kept
    assert spec.firms[1].policy == registry.params_model("supplier_centric")()


def test_decision_mode_and_overrides():
    modes = C.literal_values(registry.params_model("supplier_centric"), "decision")
    if "cobot" not in modes:
        pytest.skip("policies have no decision modes in this tree")
    base = tiny_scenario(
        **{"firms.0.policy.decision": "cobot", "firms.0.policy.overrides": ["cx_buffer"]}
    )
    spec, _, notes = C.build_scenario(base, {"decision_0": "cobot"})
    assert spec.firms[0].policy.overrides == ["cx_buffer"] and notes == []
    spec, _, notes = C.build_scenario(base, {"decision_0": "ai"})
    assert spec.firms[0].policy.decision == "ai" and spec.firms[0].policy.overrides == []
    assert "overrides" in notes[0]
    spec, _, notes = C.build_scenario(base, {"decision_0": "bogus"})
    assert spec.firms[0].policy.decision == "cobot" and "unknown" in notes[0]


def test_scandal_controls_add_move_and_remove_the_scandal():
    base = tiny_scenario()
    spec, _, _ = C.build_scenario(
        base, {"scandal_firm": "Pull", "scandal_day": 0, "scandal_magnitude": 1.0}
    )
    assert [(e.kind, e.firm, e.day, e.magnitude) for e in spec.events] == [("scandal", "Pull", 0, 1.0)]
    moved, _, _ = C.build_scenario(spec, {"scandal_firm": "Push", "scandal_day": 7})
    assert [(e.firm, e.day, e.magnitude) for e in moved.events] == [("Push", 7, 1.0)]
    gone, _, _ = C.build_scenario(spec, {"scandal_firm": "none"})
    assert gone.events == []
    ctl = by_key(spec)  # a scenario with a scandal starts the controls from it
    assert (ctl["scandal_firm"].value, ctl["scandal_day"].value) == ("Pull", 0)


@pytest.mark.parametrize(
    ("text", "seed", "noted"),
    [("7", 7, False), (" 8 ", 8, False), ("x", 3, True), ("-1", 3, True), ("", 3, True)],
)
def test_seed_text(text, seed, noted):
    _, got, notes = C.build_scenario(tiny_scenario(), {"seed": text})
    assert got == seed and bool(notes) == noted


def test_settings_breaking_a_rule_fall_back_to_the_scenario_with_a_note():
    base = tiny_scenario()
    spec, _, notes = C.build_scenario(base, {"value_intensity": 99.0})  # beyond the schema's limit
    assert spec == base
    assert notes[-1].startswith("Settings not used: <overrides>: population.value_intensity")


def test_live_market_rejects_unknown_controls_and_ignores_mesas_scenario():
    base = tiny_scenario()
    with pytest.raises(TypeError, match="nonsense"):
        LiveMarket(base=base, nonsense=1)
    m = LiveMarket(base=base, scenario=object(), population_size=50)
    assert m.population.n == 50


def test_same_controls_same_market():
    base = tiny_scenario()
    a, b = LiveMarket(base=base, seed="5"), LiveMarket(base=base, seed="5")
    for _ in range(10):
        a.step()
        b.step()
    assert np.array_equal(a.history.get("units_ordered"), b.history.get("units_ordered"))
    assert a.uid != b.uid


def test_history_matches_the_models_rows():
    m = LiveMarket(base=tiny_scenario())
    for _ in range(12):
        m.step()
    ts = m.timeseries()
    for key in ("units_ordered", "on_hand", "backorders", "wip", "profit"):
        for f in m.firms:
            want = ts.loc[ts["firm"] == f.name, key].to_numpy(float)
            assert np.array_equal(m.history.get(key)[:, f.index], want), key


def test_a_failing_day_stops_the_model_instead_of_raising(monkeypatch):
    m = LiveMarket(base=tiny_scenario())
    m.step()

    def broken(*a, **k):
        raise RuntimeError("plant on fire")

    monkeypatch.setattr(m.firms[0], "cancel_overdue", broken)
    m.step()  # must not raise
    assert m.running is False
    assert m.error == "day 1: RuntimeError: plant on fire"
    m.step()
    assert m.day == 1 and m.history.n == 1


def test_daily_table_grows_and_keeps_totals():
    t = DailyTable(2)
    for d in range(200):
        t.append({"a": np.array([d, -d]), **({"b": np.array([1.0, 2.0])} if d >= 3 else {})})
    assert t.n == 200 and t.get("a")[-1].tolist() == [199, -199]
    assert np.isnan(t.get("b")[:3]).all() and t.get("b")[3].tolist() == [1.0, 2.0]
    assert np.isnan(t.get("missing")).all() and t.get("missing").shape == (200, 2)
    assert t.keys() == ("a", "b")
    assert t.totals["a"].tolist() == [sum(range(200)), -sum(range(200))]
    assert t.totals["b"].tolist() == [197.0, 394.0]


def test_network_sample_is_connected_neighbourhoods_in_a_mesa_network_space():
    m = LiveMarket(base=load_scenario(SCENARIOS / "baseline.toml"))
    rows, edges = m.network_sample()
    assert len(rows) == 150 == len(set(rows.tolist()))
    adj = m.network.tocsr()
    for a, b in edges[:50]:
        assert adj[rows[a], rows[b]] != 0
    assert len(edges) >= len(rows) - 1  # grown breadth-first: at least a spanning tree's links
    assert m.network_sample()[0] is rows  # computed once
    # the page's Mesa space: one agent per sampled consumer on its node, the sample's links
    agents = list(m.grid.agents)
    assert sorted(a.row for a in agents) == sorted(rows.tolist())
    assert {a.cell.coordinate for a in agents} == set(range(150))
    assert m.grid.G.number_of_edges() == len(edges)
    assert agents[0].generation in GENERATIONS


def test_viz_command_rejects_bad_input(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[population]\nsize = -3\n")
    r = subprocess.run(
        [sys.executable, "-m", "simulator", "viz", str(bad)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert r.returncode == 2, r.stderr
    assert r.stderr.splitlines()[0].startswith(f"{bad}: ")
    assert "Traceback" not in r.stderr
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = subprocess.run(
            [sys.executable, "-m", "simulator", "viz", "--port", str(port)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
        )
    assert r.returncode == 2
    assert r.stderr.strip().startswith(f"--port {port}: cannot listen on 127.0.0.1:{port}"), r.stderr


def test_server_settings_keep_solara_offline_and_end_sessions(tmp_path):
    from simulator.viz import server

    env = server.solara_environment(SCENARIOS / "baseline.toml", 8765, "127.0.0.1", 30, tmp_path)
    assert env["SOLARA_APP"] == "simulator.viz.app" and env["SOLARA_MODE"] == "production"
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"
    assert env["SOLARA_KERNEL_CULL_TIMEOUT"] == "30s"
    assert server.default_scenario_path().resolve() == (SCENARIOS / "baseline.toml").resolve()
    assert server.url("::1", 80) == "http://[::1]:80/"


def test_asset_folder_serves_the_chart_library_under_the_names_the_page_asks_for(tmp_path):
    from simulator.viz import server

    installed = tmp_path / "cdn"
    for name in ("vega@5.21.0", "vega-lite@5.2.0", "vega-embed@6.20.2", "requirejs@2.3.6"):
        (installed / name / "build").mkdir(parents=True)
        (installed / name / "build" / "x.js").write_text(name)
    (tmp_path / "out").mkdir()
    out = server.asset_folder(installed, tmp_path / "out")
    assert (out / "vega@5" / "build" / "x.js").read_text() == "vega@5.21.0"
    assert (out / "vega-lite@5" / "build" / "x.js").read_text() == "vega-lite@5.2.0"
    assert (out / "vega-embed@6" / "build" / "x.js").read_text() == "vega-embed@6.20.2"
    assert (out / "requirejs@2.3.6" / "build" / "x.js").exists()
    assert all((installed / n).exists() for n in ("vega@5.21.0", "requirejs@2.3.6"))


def test_missing_browser_skips_locally_and_fails_under_ci(monkeypatch):
    import browser_support

    monkeypatch.setenv("MARKETSIM_CHROMIUM", "/nonexistent/chromium")
    monkeypatch.delenv("MARKETSIM_REQUIRE_BROWSER", raising=False)
    for ci, outcome in (
        ("", pytest.skip.Exception),
        ("0", pytest.skip.Exception),
        ("true", pytest.fail.Exception),
        ("1", pytest.fail.Exception),
    ):
        monkeypatch.setenv("CI", ci)
        with pytest.raises(outcome, match="chromium not found"):
            browser_support.find_chromium()
