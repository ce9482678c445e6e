"""The browser view's components rendered with ``solara.render`` (no server, no browser)."""

from __future__ import annotations

import os
import threading

import ipyvuetify as v
import pytest
import solara
import solara.widgets
from conftest import SCENARIOS, tiny_scenario

from simulator.viz import app
from simulator.viz import components as comp
from simulator.viz.controls import model_params
from simulator.viz.live import LiveMarket, PageLink, live_markets, stop_all


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


def charts(rc) -> list[dict]:
    return [w.spec for w in rc.find(solara.widgets.VegaLite).widgets]


def captions(rc) -> list[str]:
    return [w.children[0] for w in rc.find(v.Html, class_="viz-plot-day").widgets]


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


def rows(spec: dict) -> list[dict]:
    """A chart's data rows (inline CSV) as dicts."""
    import csv
    import io

    out = list(csv.DictReader(io.StringIO(spec["data"]["values"])))
    for r in out:
        r["day"] = int(float(r["day"]))
        r["value"] = float(r["value"])
    return out


def line_days(spec: dict, firm: str) -> list[int]:
    return [r["day"] for r in rows(spec) if r["firm"] == firm]


@pytest.fixture
def small_page():
    return render_page(SCENARIOS / "small.toml")


def test_page_steps_resets_and_every_plot_shows_the_day(small_page):
    rc = small_page
    assert text(rc, "viz-day") == "Day: 0"
    assert len(charts(rc)) == len(comp.PLOT_NAMES)
    assert set(captions(rc)) == {"as of day 0"}
    click(rc, "Step", 3)
    assert text(rc, "viz-day") == "Day: 3"
    assert set(captions(rc)) == {"as of day 3"} and len(captions(rc)) == len(comp.PLOT_NAMES)
    share = next(s for s in charts(rc) if s.get("title") == "Market share by firm")
    days = line_days(share, "PushCo")  # a share from the first day someone bought on
    assert days == list(range(days[0], 4)) and days[0] >= 1
    assert all(0 <= r["value"] <= 1 for r in rows(share))
    profit = next(s for s in charts(rc) if s.get("title") == "Profit to date")
    assert line_days(profit, "PullCo") == [0, 1, 2, 3]
    table = kpi_table(rc)
    assert table["KPI (day 0 to now)"] == ["PushCo", "PullCo"]
    assert table["policy"] == ["supplier-centric", "demand-centric"]
    click(rc, "Reset")
    assert text(rc, "viz-day") == "Day: 0" and set(captions(rc)) == {"as of day 0"}
    assert errors(rc) == []


def test_page_title_and_hidden_page_tab():
    rc = render_page(SCENARIOS / "baseline.toml")
    titles = [w for w in rc.find(v.Html).widgets if "Meaning-out market: baseline" in str(w.children)]
    assert titles  # Mesa's app bar
    assert ".v-tabs { display: none" in app.CSS


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


def test_closing_the_page_stops_and_releases_its_market():
    rc = render_page(SCENARIOS / "small.toml")
    click(rc, "Step", 2)
    rc.close()  # what Solara does when the session ends
    # the market the page showed is closed and let go of its state
    from simulator.viz.live import _LIVE

    closed = [m for m in list(_LIVE) if m.closed and "population" not in vars(m)]
    assert closed, "the page's market should be closed and released"
    m = closed[-1]
    m.step()
    assert m.running is False and m.day == 2


def test_one_firm_and_the_page_render_on_day_zero_and_later():
    base = tiny_scenario().model_copy(update={"firms": tiny_scenario().firms[:1]})
    m = LiveMarket(base=base, population_size=2)
    for day in range(3):
        for column in (comp.MarketColumn, comp.PlantColumn):
            _, rc = solara.render(column(m), handle_error=False)
            assert set(captions(rc)) == {f"as of day {day}"}
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


def test_charts_read_the_datacollector_with_event_markers():
    m = LiveMarket(base=tiny_scenario(**{"events": [{"kind": "scandal", "firm": "Push", "day": 2}]}))
    for _ in range(6):
        m.step()
    df = m.datacollector.get_model_vars_dataframe()
    assert len(df) == 7  # day 0 and six days
    spec = comp.series_spec(m, "on_hand", "t", "units")
    for f in m.firms:
        want = df[f"on_hand|{f.name}"].tolist()[1:]
        got = [r["value"] for r in rows(spec) if r["firm"] == f.name]
        assert got == want
        assert want == m.history.get("on_hand")[:, f.index].tolist()
    rules = spec["layer"][1]["data"]["values"]
    assert [(e["day"], e["letter"]) for e in rules] == [(2, "S")]


def test_network_tooltip_names_generation_and_firm():
    m = LiveMarket(base=tiny_scenario())
    for _ in range(5):
        m.step()
    agent = next(iter(m.grid.agents))
    style = comp.consumer_portrayal(agent)
    assert style.tooltip["generation"] == agent.generation
    assert style.tooltip["last bought from"] in [f.name for f in m.firms] + ["none yet"]
    assert style.marker == comp.GENERATION_MARKERS[agent.generation]


def test_page_params_match_what_the_model_accepts():
    from simulator.scenario import load_scenario

    base = load_scenario(SCENARIOS / "baseline.toml")
    params = model_params(base)
    m = LiveMarket(**app.initial_values(params))  # what Mesa's Reset passes, without its scenario
    assert m.population.n == base.population.size and m.notes == []


def test_a_market_takes_turns_with_the_page_and_waits_for_a_tab():
    lock = threading.Lock()
    connected = threading.Event()
    link = PageLink(render_lock=lock, connected=connected.is_set)
    m = LiveMarket(base=tiny_scenario(), page=link)
    connected.set()
    lock.acquire()  # the page is being drawn
    t = threading.Thread(target=m.step)
    t.start()
    t.join(0.5)
    assert t.is_alive() and m.day == 0  # no day while the page draws
    lock.release()
    t.join(10)
    assert m.day == 1 and not lock.locked()
    connected.clear()  # the tab went away: Play waits
    t = threading.Thread(target=m.step)
    t.start()
    t.join(0.5)
    assert t.is_alive() and m.day == 1
    link.closed.set()  # the session ends: the step returns without a day, Play ends
    t.join(10)
    assert not t.is_alive() and m.day == 1 and m.running is False


def test_stop_all_ends_every_market():
    m = LiveMarket(base=tiny_scenario())
    assert live_markets() >= 1
    import simulator.viz.live as live

    try:
        stop_all()
        m.step()
        assert m.day == 0 and m.running is False and m.closed
    finally:
        live._SERVER_STOPPING.clear()
