"""End to end: ``marketsim viz`` serves the page, headless Debian chromium (Playwright) uses it, offline.

Skipped with a reason when chromium or playwright is missing, unless CI is set (then it fails).
The screenshot is saved to ``test-artifacts/viz-page.png`` (or ``$MARKETSIM_ARTIFACTS``).
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from browser_support import CHROMIUM_ARGS, VizServer, find_chromium, skip_or_fail
from conftest import ROOT, SCENARIOS

ARTIFACTS = Path(os.environ.get("MARKETSIM_ARTIFACTS", ROOT / "test-artifacts"))
N_PLOTS = 6

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def chromium():
    path = find_chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("the python package playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = VizServer(
        SCENARIOS / "baseline.toml", cwd=ROOT, log=tmp_path_factory.mktemp("viz") / "server.log"
    )
    try:
        ready = srv.wait_ready()
        print(f"server ready in {ready:.1f} s at {srv.url}")
        yield srv
    finally:
        srv.stop()


class PageWatch:
    """A page that may only talk to the local server; records everything that goes wrong."""

    def __init__(self, context, url: str) -> None:
        self.external: list[str] = []
        self.failed: list[str] = []
        self.js_errors: list[str] = []
        self.page = context.new_page()
        self.page.route("**/*", self._route)
        self.page.on("response", lambda r: r.status >= 400 and self.failed.append(f"{r.status} {r.url}"))
        self.page.on("requestfailed", lambda r: self.failed.append(f"failed {r.url}"))
        self.page.on("pageerror", lambda e: self.js_errors.append(str(e)))
        self.page.goto(url)
        self.day_text = self.page.locator(".viz-day")

    def _route(self, route) -> None:
        url = route.request.url
        if url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")):
            route.continue_()
        else:  # offline: the page must not need anything from the internet
            self.external.append(url)
            route.abort()

    def day(self) -> int:
        m = re.fullmatch(r"Day: (\d+)", self.day_text.inner_text().strip())
        assert m, self.day_text.inner_text()
        return int(m.group(1))

    def plots(self) -> list[str | None]:
        return [img.get_attribute("src") for img in self.page.locator(".viz-plot img").all()]

    def button(self, name: str):
        return self.page.get_by_role("button", name=name, exact=True)

    def slider(self, label: str):
        return self.page.get_by_role("slider", name=label)

    def select(self, label: str, entry: str) -> None:
        self.page.locator(".v-select", has_text=label).click()
        self.page.locator(".menuable__content__active .v-list-item", has_text=entry).first.click()

    def assert_clean(self) -> None:
        p = self.page
        alerts = p.locator(".v-alert.error")
        assert alerts.count() == 0, alerts.all_inner_texts()
        body = p.locator("body").inner_text()
        for bad in ("Traceback", "error in step", "Exception"):
            assert bad not in body, f"{bad!r} on the page:\n{body[:3000]}"
        assert not self.external, f"the page tried to reach the internet: {self.external}"
        assert not self.failed, f"failed requests: {self.failed}"
        assert not self.js_errors, f"javascript errors: {self.js_errors}"


def test_watch_and_steer_the_market_in_a_browser(chromium, server):
    from playwright.sync_api import expect

    expect.set_options(timeout=30_000)  # expect() has its own 5 s default (slow, shared CI machine)
    t0 = time.perf_counter()

    def mark(what: str) -> None:
        print(f"[{time.perf_counter() - t0:6.1f} s] {what}")

    assert "marketsim viz:" in server.output() and server.url in server.output()
    ctx = chromium.new_context(viewport={"width": 1500, "height": 1100})
    ctx.set_default_timeout(30_000)
    w1 = PageWatch(ctx, server.url)
    p1 = w1.page
    try:
        expect(w1.day_text).to_have_text("Day: 0")
    except AssertionError as e:
        raise AssertionError(
            "the page did not load (offline assets missing? solara[assets] must match solara): "
            f"failed={w1.failed[:5]} external={w1.external[:5]} js={w1.js_errors[:3]}"
        ) from e
    expect(p1.locator(".viz-plot img")).to_have_count(N_PLOTS)
    expect(p1.locator(".viz-kpi")).to_contain_text("ConventionalCo")
    expect(p1.locator(".viz-consumers")).to_contain_text("consumers: 10,000")
    mark("page loaded")

    # Step: the day counter and every plot change, no error
    plots0 = w1.plots()
    for k in range(1, 4):
        w1.button("Step").click()
        expect(w1.day_text).to_have_text(f"Day: {k}")
    expect(p1.locator(".viz-rate")).not_to_have_text("Steps/s: 0.0")
    for caption in p1.locator(".viz-plot-day").all():  # quick steps are drawn a little later
        expect(caption).to_have_text("as of day 3")
    plots3 = w1.plots()
    assert len(plots3) == N_PLOTS and all(a != b for a, b in zip(plots0, plots3, strict=True))
    w1.assert_clean()
    mark("3 steps")

    # a second tab is a second session: its own market, from day 0; it does not move the first
    w2 = PageWatch(ctx, server.url)
    expect(w2.day_text).to_have_text("Day: 0")
    w2.button("Step").click()
    expect(w2.day_text).to_have_text("Day: 1")
    expect(w1.day_text).to_have_text("Day: 3")
    w2.assert_clean()
    w2.page.close()
    p1.bring_to_front()  # chromium throttles a background tab's timers to about one a second
    mark("second tab")

    # the population slider at its top end, then at its bottom end: Reset rebuilds, Step works
    size = w1.slider("Consumers")
    size.focus()
    size.press("End")
    expect(size).to_have_attribute("aria-valuenow", "200000")
    w1.button("Reset").click()
    expect(p1.locator(".viz-consumers")).to_contain_text("consumers: 200,000")
    expect(w1.day_text).to_have_text("Day: 0")
    w1.button("Step").click()
    expect(w1.day_text).to_have_text("Day: 1")
    size.focus()
    size.press("Home")
    expect(size).to_have_attribute("aria-valuenow", "1")
    w1.select("ConventionalCo: policy", "demand_centric")
    w1.select("Scandal: firm", "EthicalCo")
    w1.button("Reset").click()
    expect(p1.locator(".viz-consumers")).to_contain_text("consumers: 1 ")
    expect(p1.locator(".viz-note").first).to_be_visible()  # the thinned network is explained
    for k in range(1, 3):
        w1.button("Step").click()
        expect(w1.day_text).to_have_text(f"Day: {k}")
    expect(p1.locator(".viz-kpi")).to_contain_text("demand-centric")
    w1.assert_clean()
    mark("slider ends and selects")

    # Play, then Reset while playing: back to day 0 (or 1: the play thread may finish a day)
    w1.button("▶").click()
    expect(w1.day_text).not_to_have_text(re.compile(r"Day: [0-4]$"))
    w1.button("Reset").click()
    expect(w1.button("▶")).to_be_visible()
    # the play thread may finish the day it was on, and its redraw may land after the Reset's:
    # one Step shows the new market (day 1, or 2 if the play thread stepped it once more)
    w1.button("Step").click()
    expect(w1.day_text).to_have_text(re.compile(r"Day: [12]$"))
    w1.assert_clean()
    mark("reset during play")

    # a fresh tab for the picture: the baseline with a scandal at ConventionalCo on day 20, and
    # about 60 days in one Step (the sidebar's render interval: days per redraw)
    w3 = PageWatch(ctx, server.url)
    p3 = w3.page
    expect(w3.day_text).to_have_text("Day: 0")
    w3.select("Scandal: firm", "ConventionalCo")
    day = w3.slider("Scandal: day")
    day.focus()
    day.press("Home")
    for _ in range(20):
        day.press("ArrowRight")
    expect(day).to_have_attribute("aria-valuenow", "20")
    w3.button("Reset").click()
    expect(p3.locator(".viz-events")).to_contain_text("day 20 scandal (ConventionalCo)")
    interval = w3.slider("Render Interval (steps)")
    interval.focus()
    for _ in range(30):
        interval.press("ArrowRight")
    expect(interval).to_have_attribute("aria-valuenow", "61")
    w3.button("Step").click()
    expect(w3.day_text).to_have_text("Day: 61", timeout=120_000)
    for caption in p3.locator(".viz-plot-day").all():  # each plot catches up with the day
        expect(caption).to_have_text("as of day 61", timeout=60_000)
    w3.assert_clean()
    rate = p3.locator(".viz-rate").inner_text()
    mark(f"played to {w3.day_text.inner_text()} ({rate})")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "viz-page.png"
    p3.set_viewport_size({"width": 1500, "height": 2000})  # the grid scrolls inside the page
    p3.wait_for_timeout(500)
    p3.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
    mark(f"screenshot {shot}")
    ctx.close()
