"""The browser view's components rendered with ``solara.render`` (no server, no browser)."""

from __future__ import annotations

import os
import time

import ipyvuetify as v
import ipywidgets
import numpy as np
import pytest
import solara
from conftest import SCENARIOS, tiny_scenario
from mesa.visualization.utils import update_counter

from simulator.scenario import load_scenario
from simulator.viz import app
from simulator.viz import components as comp
from simulator.viz.controls import model_params
from simulator.viz.live import LiveMarket

PNG = b"\x89PNG"
PLOTS = [
    comp.NetworkPlot,
    comp.SharePlot,
    comp.GenerationSharePlot,
    comp.OperationsPlot,
    comp.ProfitPlot,
    comp.SocialPlot,
]


def render_page(base):
    """The whole page for ``base`` inside an AppLayout (SolaraViz's controls live in its sidebar)."""
    app.base_scenario.cache_clear()

    @solara.component
    def Wrapped():
        with solara.AppLayout():
            app.Page()

    os.environ[app.SCENARIO_ENV] = str(base)
    try:
        return solara.render(Wrapped(), handle_error=False)[1]
    finally:
        del os.environ[app.SCENARIO_ENV]
        app.base_scenario.cache_clear()


def text(rc, cls):
    return rc.find(v.Html, class_=cls).widget.children[0]


def click(rc, label, times=1):
    for _ in range(times):
        rc.find(v.Btn, children=[label]).widget.click()


def pngs(rc):
    return [w.value for w in rc.find(ipywidgets.Image).widgets]


def kpi_table(rc) -> dict[str, list[str]]:
    """The KPI table as shown: row label -> cells."""
    table = rc.find(v.SimpleTable).widget

    def tags(w, tag):
        if isinstance(w, v.Html) and w.tag == tag:
            yield w
        for c in getattr(w, "children", None) or []:
            if not isinstance(c, str):
                yield from tags(c, tag)

    rows = [[c.children[0] for c in tr.children] for tr in tags(table, "tr")]
    return {r[0]: r[1:] for r in rows}


def errors(rc):
    return [w.children for w in rc.find(v.Alert, type="error").widgets]


@pytest.fixture(autouse=True)
def draw_every_day(monkeypatch):
    """Draw every plot on every render (the page spaces out redraws in time; tests check content)."""
    monkeypatch.setattr(comp, "REDRAW_SECONDS", 0.0)
    monkeypatch.setattr(comp, "DRAW_DUTY", 0.0)


@pytest.fixture
def small_page():
    return render_page(SCENARIOS / "small.toml")


def test_page_steps_resets_and_redraws(small_page):
    rc = small_page
    assert text(rc, "viz-day") == "Day: 0"
    before = pngs(rc)
    assert len(before) == len(PLOTS) and all(p[:4] == PNG for p in before)
    click(rc, "Step", 3)  # the first day's share is one point (no line yet)
    assert text(rc, "viz-day") == "Day: 3"
    after = pngs(rc)
    assert all(a != b for a, b in zip(before, after, strict=True))  # every plot has the new days
    table = kpi_table(rc)
    assert table["KPI (day 0 to now)"] == ["PushCo", "PullCo"]
    assert table["policy"] == ["supplier-centric", "demand-centric"]
    click(rc, "Reset")
    assert text(rc, "viz-day") == "Day: 0"
    assert pngs(rc) == before  # same settings, same seed: the same day-0 pictures
    assert errors(rc) == []


def test_sliders_at_both_ends_then_reset(small_page):
    rc = small_page
    size = rc.find(v.Slider, label="Consumers").widget
    size.v_model = size.max  # the browser's End key
    click(rc, "Reset")
    assert f"consumers: {int(size.max):,}" in text(rc, "viz-consumers")
    size.v_model = size.min
    for g in ("silent", "boomers", "gen_x", "millennials", "gen_z"):
        rc.find(v.Slider, label=f"Mix weight: {g}").widget.v_model = 0.0
    rc.find(v.Slider, label="Value intensity").widget.v_model = 0.0
    rc.find(v.Slider, label="Scandal: magnitude").widget.v_model = 1.0
    rc.find(v.Slider, label="Scandal: day").widget.v_model = 0
    rc.find(v.Select, label="Scandal: firm").widget.v_model = "PullCo"
    click(rc, "Reset")
    assert "consumers: 1 " in text(rc, "viz-consumers") + " "
    click(rc, "Step", 2)
    assert text(rc, "viz-day") == "Day: 2"
    notes = [w.children for w in rc.find(v.Alert, type="warning").widgets]
    assert any("generation-mix weights are 0" in str(n) for n in notes)
    assert any("neighbours" in str(n) for n in notes)
    assert errors(rc) == []


def test_selects_and_seed_text(small_page):
    rc = small_page
    rc.find(v.Select, label="PushCo: policy").widget.v_model = "demand_centric"
    decision = rc.find(v.Select, label="PushCo: decision")
    if decision.widgets:
        decision.widget.v_model = "ai"
    seed = rc.find(v.TextField, label="Seed").widget
    seed.v_model = "not a number"
    seed.fire_event("focusout", None)  # the text box hands its value over when it loses focus
    click(rc, "Reset")
    table = kpi_table(rc)
    assert table["policy"] == ["demand-centric", "demand-centric"]
    if decision.widgets:
        assert table["decision"] == ["ai", "rules"]
    notes = [str(w.children) for w in rc.find(v.Alert, type="warning").widgets]
    assert any("is not a whole number" in n for n in notes)
    assert errors(rc) == []


def test_each_page_has_its_own_market():
    rc1 = render_page(SCENARIOS / "small.toml")
    rc2 = render_page(SCENARIOS / "small.toml")
    click(rc1, "Step")
    assert text(rc1, "viz-day") == "Day: 1"
    assert text(rc2, "viz-day") == "Day: 0"


def test_a_failing_day_shows_a_message_and_reset_recovers(small_page, monkeypatch):
    rc = small_page
    from simulator.model import MarketModel

    monkeypatch.setattr(MarketModel, "offers", lambda self: 1 / 0)
    click(rc, "Step")
    assert any("The model stopped on day 0: ZeroDivisionError" in str(e) for e in errors(rc))
    assert rc.find(v.Btn, children=["Step"]).widget.disabled  # Step and Play wait for a Reset
    monkeypatch.undo()
    click(rc, "Reset")
    click(rc, "Step")
    assert text(rc, "viz-day") == "Day: 1"
    assert errors(rc) == []


def test_one_firm_and_every_component_renders_on_day_zero_and_later():
    base = tiny_scenario().model_copy(update={"firms": tiny_scenario().firms[:1]})
    m = LiveMarket(base=base, population_size=2)
    for day in range(2):
        for c in PLOTS:
            rc = solara.render(c(m), handle_error=False)[1]
            assert rc.find(ipywidgets.Image).widget.value[:4] == PNG
        solara.render(comp.KpiTable(m), handle_error=False)
        _, rc = solara.render(comp.Status(m), handle_error=False)
        assert text(rc, "viz-day") == f"Day: {day}"
        m.step()


def test_kpis_match_the_history():
    m = LiveMarket(base=tiny_scenario(**{"events": [{"kind": "scandal", "firm": "Push", "day": 2}]}))
    for _ in range(15):
        m.step()
    rows = dict(comp.kpi_rows(m))
    units = m.history.get("units_ordered").sum(axis=0)
    assert rows["market share"][0] == f"{100 * units[0] / units.sum():.1f}%"
    assert rows["profit"][1] == f"{m.history.get('profit')[:, 1].sum():,.0f}"
    assert rows["backlog"][0] == comp._fmt(float(m.firms[0].backorders()))
    assert ("boycotting" in rows) == ("boycott" in m.history)


def test_share_helpers():
    counts = np.array([[1, 3], [0, 0], [2, 2], [5, 0]], dtype=float)
    assert comp.rolling_sum(counts, 2).tolist() == [[1, 3], [1, 3], [2, 2], [7, 2]]
    s = comp.shares(counts, 1)
    assert s[0].tolist() == [0.25, 0.75] and np.isnan(s[1]).all() and s[3].tolist() == [1.0, 0.0]


def test_page_params_match_what_the_model_accepts():
    base = load_scenario(SCENARIOS / "baseline.toml")
    params = model_params(base)
    m = LiveMarket(**app.initial_values(params))  # what Mesa's Reset passes, without its scenario
    assert m.population.n == base.population.size and m.notes == []


def test_quick_days_are_drawn_when_the_redraw_interval_is_over(monkeypatch):
    class Clock:  # the page's clock, moved by hand
        now = 100.0

        def monotonic(self):
            return self.now

        def perf_counter(self):
            return time.perf_counter()

    clock = Clock()
    monkeypatch.setattr(comp, "time", clock)
    monkeypatch.setattr(comp, "REDRAW_SECONDS", 1.0)
    m = LiveMarket(base=tiny_scenario())
    _, rc = solara.render(comp.SharePlot(m), handle_error=False)
    first = rc.find(ipywidgets.Image).widget.value
    for _ in range(3):
        m.step()
    clock.now = 100.5
    update_counter.value += 1  # what Step does after the day
    assert rc.find(ipywidgets.Image).widget.value == first  # within the interval: not redrawn yet
    clock.now = 101.5  # the catch-up thread wakes 0.5 s after the Step and redraws
    deadline = time.monotonic() + 30
    while rc.find(ipywidgets.Image).widget.value == first and time.monotonic() < deadline:
        time.sleep(0.05)
    assert rc.find(ipywidgets.Image).widget.value != first
    assert set(m.draw_seconds) == {"share"}
