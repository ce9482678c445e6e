"""Fuzzing: generated scenario files, valid and broken, through ``marketsim check`` and ``run``.

Valid scenarios are drawn from the schema's own ranges (any network, one to three firms with either
policy and any decision mode, events inside the run); each must pass ``check`` and ``run`` to exit 0,
and the run checks the conservation laws after every day (material, units, orders, money,
inventory position, Little's law: a breach stops it with exit 1, which fails the test). Broken
scenarios take a valid one and break one thing (a value replaced by ``inf``, ``nan``, a negative or
huge number, text, a list, a control character; a key added or removed): ``check`` and ``run``
must each exit 0 or 2, never 1, print no traceback, and agree (what ``check`` refuses, ``run``
refuses). The examples are derandomized so the suite is repeatable; ``FUZZ_EXAMPLES=N`` runs more.
"""

from __future__ import annotations

import json
import math
import os
import string
from pathlib import Path
from typing import Any

import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from simulator.cli import app

runner = CliRunner()
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "0"))
FAST = dict(
    deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)

NAME = st.text(
    alphabet=string.ascii_letters + string.digits + " -_&'éü", min_size=1, max_size=24
).filter(lambda s: s.strip() != "")
UNIT = st.floats(0.0, 1.0)


@st.composite
def policies(draw: st.DrawFn) -> dict[str, Any]:
    decision = draw(st.sampled_from(["rules", "data", "ai", "cobot"]))
    common: dict[str, Any] = {"decision": decision}
    if decision == "cobot":
        common["overrides"] = draw(
            st.lists(st.sampled_from(["cx_buffer", "quality_first"]), unique=True, max_size=2)
        )
    if draw(st.booleans()):
        p = {"name": "supplier_centric", **common}
        p["review_days"] = draw(st.integers(1, 14))
        p["min_lot"] = draw(st.integers(0, 200))
        if decision == "rules":  # the other modes set the level otherwise (the field is refused)
            p["safety_factor"] = draw(st.floats(0.0, 3.0))
        p["lot_sizing"] = draw(st.sampled_from(["min_lot", "eoq"]))
        return p
    p = {"name": "demand_centric", **common}
    if decision == "rules":  # the other modes size the buffer from sensed demand
        p["buffer"] = draw(st.integers(0, 60))
    p["control"] = draw(st.sampled_from(["base_stock", "kanban", "conwip"]))
    p["sop_days"] = draw(st.integers(0, 30))
    return p


@st.composite
def firms(draw: st.DrawFn, name: str) -> dict[str, Any]:
    kind = draw(st.sampled_from(["deterministic", "exponential", "gamma", "lognormal"]))
    return {
        "name": name,
        "price": draw(st.floats(20.0, 300.0)),
        "quality": draw(UNIT),
        "reputation": draw(UNIT),
        "ethics": {"environment": draw(UNIT), "fair_labour": draw(UNIT), "animal_welfare": draw(UNIT)},
        "factory": {
            "machines": draw(st.integers(1, 4)),
            "unit_time": {
                "kind": kind,
                "mean": draw(st.floats(0.0005, 0.05)),
                "cv": draw(st.floats(0.1, 2.0)),
            },
            "initial_stock": draw(st.integers(0, 200)),
            "initial_material": draw(st.integers(0, 400)),
            "shipping_days": draw(st.floats(0.0, 5.0)),
            "material_cost": draw(st.floats(0.0, 60.0)),
            "setup_days": draw(st.floats(0.0, 0.5)),
        },
        "policy": draw(policies()),
    }


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    days = draw(st.integers(4, 14))
    size = draw(st.integers(20, 250))
    kind = draw(st.sampled_from(["watts_strogatz", "barabasi_albert", "complete", "none"]))
    names = draw(st.lists(NAME, min_size=1, max_size=3, unique=True))
    data: dict[str, Any] = {
        "name": draw(NAME),
        "run": {
            "days": days,
            "warmup_days": draw(st.integers(0, days - 1)),
            "seed": draw(st.integers(0, 2**40)),
        },
        "population": {
            "size": size,
            "value_intensity": draw(st.floats(0.0, 5.0)),
            "mean_need_interval_days": draw(st.floats(1.0, 60.0)),
            "purchase_constant": draw(st.floats(-5.0, 10.0)),
        },
        "network": {"kind": kind, "k": draw(st.integers(2, min(12, size - 1))), "rewire_p": draw(UNIT)},
        "social": {"enabled": draw(st.booleans()), "negative_weight": draw(st.floats(0.0, 0.5))},
        "firms": [draw(firms(n)) for n in names],
    }
    events = []
    for _ in range(draw(st.integers(0, 2))):
        ev: dict[str, Any] = {
            "kind": draw(st.sampled_from(["scandal", "virtue", "supply_disruption", "demand_shift"])),
            "day": draw(st.integers(0, days - 1)),
            "magnitude": draw(st.floats(0.0, 2.0)),
            "duration_days": draw(st.integers(1, 10)),
        }
        if ev["kind"] != "demand_shift":
            ev["firm"] = draw(st.sampled_from(names))
        events.append(ev)
    if events:
        data["events"] = events
    return data


BAD_VALUES = [
    math.inf,
    -math.inf,
    math.nan,
    -1,
    -1e9,
    10**19,
    1e300,
    2**64,
    "text",
    [],
    {},
    True,
    "a\x00b",
    "\x1b[2J",
    0,
]


def leaves(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths to every scalar in nested dicts and lists."""
    if isinstance(data, dict):
        return [p for k, v in data.items() for p in leaves(v, (*prefix, k))]
    if isinstance(data, list):
        return [p for i, v in enumerate(data) for p in leaves(v, (*prefix, i))] or [prefix]
    return [prefix]


def tables(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths to every table (dict)."""
    out = [prefix] if isinstance(data, dict) else []
    if isinstance(data, dict):
        for k, v in data.items():
            out += tables(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += tables(v, (*prefix, i))
    return out


def at(data: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        data = data[p]
    return data


@st.composite
def broken(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    data = draw(scenarios())
    how = draw(st.sampled_from(["replace", "replace", "replace", "add", "delete"]))
    if how == "replace":
        path = draw(st.sampled_from(leaves(data)))
        value = draw(st.sampled_from(BAD_VALUES))
        at(data, path[:-1])[path[-1]] = value
        return data, f"{'.'.join(map(str, path))} = {value!r}"
    if how == "add":
        path = draw(st.sampled_from(tables(data)))
        at(data, path)["unexpected_key"] = 1
        return data, f"{'.'.join(map(str, path))}.unexpected_key added"
    path = draw(st.sampled_from([p for p in leaves(data) if p]))
    del at(data, path[:-1])[path[-1]]
    return data, f"{'.'.join(map(str, path))} removed"


def write(tmp_path: Path, data: dict[str, Any], n: int) -> Path:
    f = tmp_path / f"fuzz{n}.toml"
    f.write_text(tomli_w.dumps(data))
    return f


def invoke(args: list[str]) -> tuple[int, str]:
    res = runner.invoke(app, args)
    assert res.exception is None or isinstance(res.exception, SystemExit), (args, repr(res.exception))
    assert "Traceback" not in res.output and "internal error" not in res.output, res.output
    return res.exit_code, res.output


COUNTER = iter(range(10**9))


@settings(max_examples=EXAMPLES or 20, derandomize=not EXAMPLES, **FAST)
@given(data=scenarios())
def test_valid_scenarios_check_and_run(tmp_path_factory: Any, data: dict[str, Any]) -> None:
    tmp = tmp_path_factory.mktemp("valid")
    f = write(tmp, data, next(COUNTER))
    code, text = invoke(["check", str(f)])
    assert code == 0, text
    code, text = invoke(["run", str(f), "--out", str(tmp / "run")])
    assert code == 0, text  # the run checked the conservation laws every day
    summary = json.loads((tmp / "run" / "summary.json").read_text())
    assert set(summary["firms"]) == {firm["name"] for firm in data["firms"]}
    text = (tmp / "run" / "summary.json").read_text()
    assert "Infinity" not in text and "NaN" not in text


@settings(max_examples=EXAMPLES or 45, derandomize=not EXAMPLES, **FAST)
@given(case=broken())
def test_broken_scenarios_exit_0_or_2(tmp_path_factory: Any, case: tuple[dict[str, Any], str]) -> None:
    data, what = case
    tmp = tmp_path_factory.mktemp("broken")
    f = write(tmp, data, next(COUNTER))
    checked, text = invoke(["check", str(f)])
    assert checked in (0, 2), (what, text)
    ran, text2 = invoke(["run", str(f), "--out", str(tmp / "run")])
    assert ran in (0, 2), (what, text2)
    assert ran == checked, (what, text, text2)
    if ran == 2:
        assert str(f) in text2 and not (tmp / "run").exists(), (what, text2)
