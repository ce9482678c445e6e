"""Streams that stay put: adding a scandal, a virtuous act or a firm leaves every other random
source's draws unchanged (their decisions may change; their draws may not)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest

from simulator.model import MarketModel
from simulator.rng import Streams
from simulator.scenario import Scenario
from tests.conftest import tiny_scenario

Draws = dict[tuple[int, str], list[np.ndarray]]


class _Recorder:
    """A generator that writes down every number it hands out (in-place shuffles included); the
    generators it spawns record under their own keys."""

    def __init__(self, gen: np.random.Generator, draws: Draws, key: tuple[int, str]) -> None:
        self._gen = gen
        self._draws = draws
        self._key = key

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._gen, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            out = attr(*args, **kwargs)
            if name == "spawn":
                lvl, base = self._key
                return [_Recorder(g, self._draws, (lvl, f"{base}/{i}")) for i, g in enumerate(out)]
            drawn = args[0] if out is None and args else out
            self._draws[self._key].append(np.array(drawn, dtype=float).ravel())
            return out

        return call


_REAL_GET = Streams.get


@contextmanager
def _recording(monkeypatch: pytest.MonkeyPatch) -> Iterator[Draws]:
    draws: Draws = defaultdict(list)
    real = _REAL_GET

    def get(self: Streams, name: str) -> Any:
        gen = real(self, name)
        if name == "mesa":  # Mesa keeps its own generator object; the market never draws from it
            return gen
        key = (len(self.root.spawn_key), name)  # the model's streams and the consumers' children
        cache = self.__dict__.setdefault("_recorders", {})
        if name not in cache:
            draws.setdefault(key, [])  # a stream asked for is a source, even before it draws
            cache[name] = _Recorder(gen, draws, key)
        return cache[name]

    monkeypatch.setattr(Streams, "get", get)
    yield draws


def _run(s: Scenario, days: int, monkeypatch: pytest.MonkeyPatch) -> tuple[Draws, MarketModel]:
    with _recording(monkeypatch) as draws:
        m = MarketModel(s, seed=21, agents=False)
        m.run(days)
    return draws, m


PLANT = ("factory:", "supplier:")
"""A plant's streams serve several purposes (unit times, set-ups, defects, breakdowns) in the order
production asks for them, so when its orders change, the order of its draws changes too: the plants
are not market sources and are left out here."""


def _same_draws(a: Draws, b: Draws, sources: set[tuple[int, str]]) -> None:
    """Each market source drew the same numbers in both runs, as far as the shorter run went."""
    for key in sources:
        if key[1].startswith(PLANT):
            continue
        x = np.concatenate(a[key]) if a[key] else np.empty(0)
        y = np.concatenate(b[key]) if b[key] else np.empty(0)
        n = min(len(x), len(y))
        np.testing.assert_array_equal(x[:n], y[:n], err_msg=str(key))
    drew = {name for (_, name), d in a.items() if d and sum(map(len, d))}
    assert {"consumers", "network"} <= drew and any(n.startswith("brand:") for n in drew)


SCANDAL = {"kind": "scandal", "day": 6, "firm": "Push", "magnitude": 0.4}
VIRTUE = {"kind": "virtue", "day": 9, "firm": "Pull", "magnitude": 0.3}


def test_adding_a_scandal_or_a_virtuous_act_leaves_every_other_sources_draws(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base = tiny_scenario(**{"population.size": 800, "social.support_threshold": 0.0})
    calm, m0 = _run(base, 25, monkeypatch)
    hit, m1 = _run(base.with_overrides({"events": [SCANDAL]}), 25, monkeypatch)
    both, _ = _run(base.with_overrides({"events": [VIRTUE, SCANDAL]}), 25, monkeypatch)
    # the events' own streams exist only where the events do
    assert not any(name.startswith("issue:") for _, name in calm)
    assert {name for _, name in hit if name.startswith("issue:")} == {"issue:Push:scandal:6"}
    assert {name for _, name in both if name.startswith(("issue:", "support:"))} >= {
        "issue:Push:scandal:6",
        "issue:Pull:virtue:9",
    }
    _same_draws(calm, hit, set(calm))
    _same_draws(hit, both, set(hit))
    # the consumers' stream draws the same amount every day, whatever happens
    consumers = next(k for k in calm if k[1] == "consumers")
    assert sum(map(len, calm[consumers])) == sum(map(len, both[consumers]))
    # ... while their decisions did change
    assert m1.population.boycott.any() and not m0.population.boycott.any()
    assert not np.array_equal(m0.population.purchases, m1.population.purchases)


def test_adding_a_firm_leaves_every_other_sources_draws(monkeypatch: pytest.MonkeyPatch) -> None:
    two = tiny_scenario(**{"population.size": 800, "events": [SCANDAL]})
    third = {
        "name": "Third",
        "policy": {"name": "demand_centric", "buffer": 5},
        "factory": {"initial_stock": 10, "initial_material": 60},
    }
    three = two.with_overrides({"firms": [*(f.model_dump() for f in two.firms), third]})
    a, m2 = _run(two, 25, monkeypatch)
    b, m3 = _run(three, 25, monkeypatch)
    assert any(name.endswith("Third") for _, name in b)
    _same_draws(a, b, set(a))
    # the newcomer took customers: decisions changed
    assert m3.firms[2].orders.n > 0
    assert m3.firms[0].orders.n != m2.firms[0].orders.n
