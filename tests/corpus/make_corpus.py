"""Write the corpus of malformed inputs (run from the repository root; the files are committed).

    .venv/bin/python tests/corpus/make_corpus.py

Each input is one mistake a real user could make in a scenario, a sweep file or a demand file; its
expectations (the field the message must name) go to ``cases.toml``. ``tests/test_input_corpus.py``
runs every input through ``marketsim check`` and through the command that would use it (``run``,
``sweep`` or ``factory``): each must exit 2, name the file and the field, print no traceback and
simulate nothing.
"""

from __future__ import annotations

import copy
import math
import os
import shutil
from pathlib import Path
from typing import Any

import tomli_w

HERE = Path(__file__).resolve().parent
INF, NAN = math.inf, math.nan

BASE: dict[str, Any] = {
    "name": "corpus-base",
    "run": {"days": 20, "warmup_days": 2, "seed": 1},
    "population": {"size": 300},
    "firms": [
        {
            "name": "Push",
            "policy": {"name": "supplier_centric", "min_lot": 20},
            "factory": {"initial_stock": 30, "initial_material": 60},
        },
        {
            "name": "Pull",
            "policy": {"name": "demand_centric", "buffer": 5},
            "factory": {"initial_stock": 10, "initial_material": 60},
        },
    ],
}

DELETE = object()


def setp(data: Any, path: str, value: Any) -> None:
    """Set (or with DELETE remove) the value at a dotted path, creating tables on the way."""
    parts = path.split(".")
    node = data
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    last = parts[-1]
    if value is DELETE:
        del node[int(last) if isinstance(node, list) else last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


# (id, {dotted path: value}, fields the message must name)
SCENARIOS: list[tuple[str, dict[str, Any], list[str]]] = [
    # numbers that are not finite
    ("price-inf", {"firms.0.price": INF}, ["firms.0.price"]),
    ("price-nan", {"firms.1.price": NAN}, ["firms.1.price"]),
    ("purchase-constant-nan", {"population.purchase_constant": NAN}, ["population.purchase_constant"]),
    ("purchase-constant-inf", {"population.purchase_constant": -INF}, ["population.purchase_constant"]),
    ("shipping-days-inf", {"firms.0.factory.shipping_days": INF}, ["firms.0.factory.shipping_days"]),
    (
        "unit-time-mean-inf",
        {"firms.0.factory.unit_time": {"kind": "gamma", "mean": INF, "cv": 0.5}},
        ["firms.0.factory.unit_time.mean"],
    ),
    (
        "unit-time-cv-nan",
        {"firms.0.factory.unit_time": {"kind": "gamma", "mean": 0.01, "cv": NAN}},
        ["firms.0.factory.unit_time.cv"],
    ),
    ("material-cost-inf", {"firms.0.factory.material_cost": INF}, ["firms.0.factory.material_cost"]),
    (
        "holding-rate-nan",
        {"firms.1.factory.holding_rate_per_year": NAN},
        ["firms.1.factory.holding_rate_per_year"],
    ),
    (
        "demand-shift-inf",
        {"events": [{"kind": "demand_shift", "day": 5, "magnitude": INF}]},
        ["events.0.magnitude"],
    ),
    (
        "scandal-magnitude-nan",
        {"events": [{"kind": "scandal", "day": 5, "firm": "Push", "magnitude": NAN}]},
        ["events.0.magnitude"],
    ),
    ("quality-nan", {"firms.0.quality": NAN}, ["firms.0.quality"]),
    ("reputation-inf", {"firms.0.reputation": INF}, ["firms.0.reputation"]),
    ("ethics-nan", {"firms.1.ethics": {"environment": NAN}}, ["firms.1.ethics.environment"]),
    ("mix-nan", {"population.mix": {"gen_z": NAN}}, ["population.mix.gen_z"]),
    ("value-intensity-inf", {"population.value_intensity": INF}, ["population.value_intensity"]),
    (
        "need-interval-inf",
        {"population.mean_need_interval_days": INF},
        ["population.mean_need_interval_days"],
    ),
    ("reference-price-inf", {"population.reference_price": INF}, ["population.reference_price"]),
    ("trait-wtp-nan", {"population.traits.gen_z.wtp_mu": NAN}, ["population.traits.gen_z.wtp_mu"]),
    (
        "trait-weights-inf",
        {"population.traits.boomers.value_weights": [1.0, INF, 1.0]},
        ["population.traits.boomers.value_weights.1"],
    ),
    ("social-weight-inf", {"social.negative_weight": INF}, ["social.negative_weight"]),
    ("media-decay-inf", {"social.media_decay_days": INF}, ["social.media_decay_days"]),
    ("boycott-days-nan", {"social.mean_boycott_days": NAN}, ["social.mean_boycott_days"]),
    ("service-level-nan", {"firms.1.policy.service_level": NAN}, ["firms.1.policy.service_level"]),
    ("smoothing-alpha-inf", {"firms.0.policy.smoothing_alpha": INF}, ["firms.0.policy.smoothing_alpha"]),
    ("lead-time-inf", {"firms.0.policy.lead_time_days": INF}, ["firms.0.policy.lead_time_days"]),
    (
        "optimiser-holding-inf",
        {"firms.0.policy.holding_cost": INF, "firms.0.policy.decision": "ai"},
        ["firms.0.policy.holding_cost"],
    ),
    (
        "signal-weight-nan",
        {"firms.1.policy.signals": {"purchase": NAN}},
        ["firms.1.policy.signals.purchase"],
    ),
    (
        "cx-buffer-inf",
        {
            "firms.1.policy.decision": "cobot",
            "firms.1.policy.overrides": ["cx_buffer"],
            "firms.1.policy.cx_buffer": {"extra_sd": INF},
        },
        ["firms.1.policy.cx_buffer.extra_sd"],
    ),
    (
        "ethical-premium-nan",
        {"firms.0.factory.supplier": {"ethical": True, "ethical_premium": NAN}},
        ["firms.0.factory.supplier.ethical_premium"],
    ),
    (
        "supplier-capacity-inf",
        {"firms.0.factory.supplier": {"capacity_per_day": INF}},
        ["firms.0.factory.supplier.capacity_per_day"],
    ),
    (
        "stage-mtbf-inf",
        {"firms.0.factory.stages": [{"name": "cut", "mtbf_days": INF}]},
        ["firms.0.factory.stages.0.mtbf_days"],
    ),
    (
        "stage-defect-nan",
        {"firms.0.factory.stages": [{"name": "cut", "defect_rate": NAN}]},
        ["firms.0.factory.stages.0.defect_rate"],
    ),
    # numbers too large to hold
    ("initial-stock-1e19", {"firms.0.factory.initial_stock": 10**19}, ["firms.0.factory.initial_stock"]),
    (
        "initial-material-huge",
        {"firms.1.factory.initial_material": 10**15},
        ["firms.1.factory.initial_material"],
    ),
    ("material-cost-1e300", {"firms.0.factory.material_cost": 1e300}, ["firms.0.factory.material_cost"]),
    ("price-1e300", {"firms.0.price": 1e300}, ["firms.0.price"]),
    (
        "purchase-constant-1e200",
        {"population.purchase_constant": 1e200},
        ["population.purchase_constant"],
    ),
    ("setup-cost-1e20", {"firms.0.factory.setup_cost": 1e20}, ["firms.0.factory.setup_cost"]),
    ("min-lot-huge", {"firms.0.policy.min_lot": 10**18}, ["firms.0.policy.min_lot"]),
    ("buffer-huge", {"firms.1.policy.buffer": 2**63}, ["firms.1.policy.buffer"]),
    ("seed-negative", {"run.seed": -1}, ["run.seed"]),
    ("seed-huge", {"run.seed": 2**70}, ["run.seed"]),
    (
        "event-day-huge",
        {"events": [{"kind": "demand_shift", "day": 10**12, "magnitude": 2.0}]},
        ["events.0.day"],
    ),
    (
        "disruption-duration-huge",
        {"events": [{"kind": "supply_disruption", "day": 3, "firm": "Push", "duration_days": 10**13}]},
        ["events.0.duration_days"],
    ),
    # more than this machine can run (estimated before any work)
    ("days-1e9", {"run.days": 10**9}, ["run.days"]),
    ("days-int32", {"run.days": 2**31 - 1}, ["run.days"]),
    ("days-too-many", {"run.days": 2**31}, ["run.days"]),
    ("five-million-k1000", {"population.size": 5_000_000, "network": {"k": 1000}}, ["network.k"]),
    ("five-million-long", {"population.size": 5_000_000, "run.days": 36500}, ["population.size"]),
    ("population-too-large", {"population.size": 5_000_001}, ["population.size"]),
    (
        "complete-graph-too-big",
        {"population.size": 6000, "network": {"kind": "complete"}},
        ["network.kind"],
    ),
    ("k-above-size", {"population.size": 50, "network": {"k": 60}}, ["network.k"]),
    # events outside the run, firms that do not exist
    (
        "scandal-after-end",
        {"events": [{"kind": "scandal", "day": 500, "firm": "Push"}]},
        ["events.0.day"],
    ),
    ("virtue-at-end", {"events": [{"kind": "virtue", "day": 20, "firm": "Pull"}]}, ["events.0.day"]),
    (
        "disruption-after-end",
        {"firms.0.factory.supplier": {"disruptions": [{"day": 90}]}},
        ["firms.0.factory.supplier.disruptions.0.day"],
    ),
    (
        "scandal-unknown-firm",
        {"events": [{"kind": "scandal", "day": 5, "firm": "Nobody"}]},
        ["events.0.firm"],
    ),
    ("scandal-without-firm", {"events": [{"kind": "scandal", "day": 5}]}, ["events.0.firm"]),
    ("event-day-negative", {"events": [{"kind": "demand_shift", "day": -3}]}, ["events.0.day"]),
    ("event-kind-unknown", {"events": [{"kind": "earthquake", "day": 3}]}, ["events.0.kind"]),
    (
        "event-duration-zero",
        {"events": [{"kind": "demand_shift", "day": 3, "duration_days": 0}]},
        ["events.0.duration_days"],
    ),
    # names
    ("firm-name-nul", {"firms.0.name": "Push\x00Co"}, ["firms.0.name"]),
    ("firm-name-escape", {"firms.0.name": "Push\x1b[2J\x1b[31mCo"}, ["firms.0.name"]),
    ("firm-name-bidi", {"firms.1.name": "Pull\u202eoC"}, ["firms.1.name"]),
    ("firm-name-newline", {"firms.1.name": "Pull\nCo"}, ["firms.1.name"]),
    ("firm-name-empty", {"firms.0.name": ""}, ["firms.0.name"]),
    ("firm-name-long", {"firms.0.name": "P" * 61}, ["firms.0.name"]),
    ("scenario-name-escape", {"name": "x\x1b]0;owned\x07"}, ["name"]),
    ("scenario-name-long", {"name": "n" * 81}, ["name"]),
    (
        "stage-name-tab",
        {"firms.0.factory.stages": [{"name": "cut\tting"}]},
        ["firms.0.factory.stages.0.name"],
    ),
    (
        "variant-name-nul",
        {"firms.1.factory.variants": ["standard", "de\x00luxe"]},
        ["firms.1.factory.variants.1"],
    ),
    ("duplicate-firms", {"firms.1.name": "Push"}, ["firms"]),
    (
        "event-firm-escape",
        {"events": [{"kind": "scandal", "day": 5, "firm": "\x1b[31mPush"}]},
        ["events.0.firm"],
    ),
    # structure and types
    ("no-firms", {"firms": DELETE}, ["firms"]),
    ("empty-firms", {"firms": []}, ["firms"]),
    ("unknown-key", {"population.sizee": 10}, ["population.sizee"]),
    ("unknown-section", {"marketing": {"budget": 3}}, ["marketing"]),
    ("price-text", {"firms.0.price": "cheap"}, ["firms.0.price"]),
    ("days-text", {"run.days": "a year"}, ["run.days"]),
    ("days-float", {"run.days": 30.5}, ["run.days"]),
    ("days-zero", {"run.days": 0}, ["run.days"]),
    ("size-bool", {"population.size": True}, ["population.size"]),
    ("firm-not-table", {"firms": ["Push", "Pull"]}, ["firms.0"]),
    ("policy-unknown", {"firms.0.policy": {"name": "magic"}}, ["firms.0.policy.name"]),
    ("policy-no-name", {"firms.0.policy": {"min_lot": 3}}, ["firms.0.policy.name"]),
    ("policy-unknown-param", {"firms.0.policy.buffer": 3}, ["firms.0.policy.buffer"]),
    ("warmup-not-shorter", {"run.warmup_days": 20}, ["run"]),
    ("mix-not-one", {"population.mix": {"gen_z": 0.9}}, ["population.mix"]),
    ("birth-years-gap", {"population.birth_years": {"gen_x": [1970, 1980]}}, ["population.birth_years"]),
    (
        "stages-and-machines",
        {"firms.0.factory.machines": 3, "firms.0.factory.stages": [{"name": "a"}]},
        ["firms.0.factory"],
    ),
    (
        "stage-names-repeated",
        {"firms.0.factory.stages": [{"name": "a"}, {"name": "a"}]},
        ["firms.0.factory"],
    ),
    ("variants-repeated", {"firms.0.factory.variants": ["a", "a"]}, ["firms.0.factory"]),
    ("overrides-without-cobot", {"firms.0.policy.overrides": ["cx_buffer"]}, ["firms.0.policy"]),
    ("frozen-not-multiple", {"firms.0.policy.frozen_days": 10}, ["firms.0.policy"]),
    (
        "shifts-reversed",
        {"firms.1.policy.min_shifts": 3, "firms.1.policy.max_shifts": 1},
        ["firms.1.policy"],
    ),
    (
        "defect-rate-one",
        {"firms.0.factory.stages": [{"name": "a", "defect_rate": 1.0}]},
        ["firms.0.factory.stages.0.defect_rate"],
    ),
    ("price-negative", {"firms.0.price": -5.0}, ["firms.0.price"]),
    ("quality-above-one", {"firms.0.quality": 1.5}, ["firms.0.quality"]),
    ("edge-list-without-path", {"network": {"kind": "edge_list"}}, ["network"]),
    ("path-without-edge-list", {"network": {"path": "edges.txt"}}, ["network"]),
    # files the scenario names
    (
        "edge-list-missing",
        {"network": {"kind": "edge_list", "path": "missing-edges.txt"}},
        ["network.path", "not found"],
    ),
    (
        "edge-list-dev-zero",
        {"network": {"kind": "edge_list", "path": "/dev/zero"}},
        ["network.path", "not a regular file"],
    ),
    (
        "edge-list-folder",
        {"network": {"kind": "edge_list", "path": "scenarios"}},
        ["network.path", "directory"],
    ),
    (
        "edge-list-bad-line",
        {"network": {"kind": "edge_list", "path": "edges/bad-line.txt"}},
        ["edges/bad-line.txt", "line 2"],
    ),
    (
        "edge-list-out-of-range",
        {"network": {"kind": "edge_list", "path": "edges/out-of-range.txt"}},
        ["edges/out-of-range.txt", "line 1"],
    ),
    # several problems at once: every one is reported in the same pass
    (
        "many-problems",
        {
            "firms.0.price": INF,
            "run.seed": -1,
            "events": [{"kind": "scandal", "day": 99, "firm": "Nobody"}],
        },
        ["firms.0.price", "run.seed", "events.0.firm", "events.0.day"],
    ),
]

# files that are not TOML scenarios at all: (id, text or bytes, field)
RAW: list[tuple[str, str | bytes, str]] = [
    ("empty-file", "", "firms"),
    ("not-toml", "name = \n[[firms]\n", "not valid TOML"),
    ("binary", bytes(range(256)) * 4, "cannot read"),
    ("nested-deep", "a = " + "[" * 3000 + "]" * 3000 + "\n", "nested too deeply"),
    ("nested-tables", "[" + ".".join(["t"] * 200) + "]\nx = 1\n", "nested too deeply"),
    ("utf16", 'name = "x"\n'.encode("utf-16"), "cannot read"),
]

SWEEP_BASE: dict[str, Any] = {
    "name": "corpus-sweep",
    "scenario": "../base.toml",
    "firm": "Pull",
    "policies": ["supplier_centric", "demand_centric"],
    "replications": 2,
    "seed": 3,
    "design": {"kind": "grid", "points": 2},
    "parameters": [{"path": "population.value_intensity", "low": 0.0, "high": 2.0}],
}

SWEEPS: list[tuple[str, dict[str, Any], list[str]]] = [
    ("scenario-missing", {"scenario": "../nowhere.toml"}, ["scenario", "file not found"]),
    ("scenario-folder", {"scenario": ".."}, ["scenario", "directory"]),
    ("scenario-broken", {"scenario": "../scenarios/price-inf.toml"}, ["scenario", "firms.0.price"]),
    (
        "scenario-edge-list-missing",
        {"scenario": "../scenarios/edge-list-missing.toml"},
        ["scenario", "network.path"],
    ),
    ("firm-unknown", {"firm": "Nobody"}, ["firm"]),
    ("firm-escape", {"firm": "Pu\x1bll"}, ["firm"]),
    ("name-nul", {"name": "sweep\x00"}, ["name"]),
    (
        "param-unknown-path",
        {"parameters": [{"path": "population.nothing", "low": 0.0, "high": 1.0}]},
        ["parameters.0.path"],
    ),
    (
        "param-not-number",
        {"parameters": [{"path": "firms.0.name", "low": 0.0, "high": 1.0}]},
        ["parameters.0.path"],
    ),
    (
        "param-low-high",
        {"parameters": [{"path": "population.value_intensity", "low": 2.0, "high": 1.0}]},
        ["parameters.0"],
    ),
    (
        "param-low-inf",
        {"parameters": [{"path": "population.value_intensity", "low": -INF, "high": 1.0}]},
        ["parameters.0.low"],
    ),
    (
        "param-high-nan",
        {"parameters": [{"path": "population.value_intensity", "low": 0.0, "high": NAN}]},
        ["parameters.0.high"],
    ),
    (
        "param-values-nan",
        {"parameters": [{"path": "population.value_intensity", "values": [0.5, NAN]}]},
        ["parameters.0.values.1"],
    ),
    (
        "param-values-empty",
        {"parameters": [{"path": "population.value_intensity", "values": []}]},
        ["parameters.0"],
    ),
    (
        "param-out-of-range",
        {"parameters": [{"path": "population.value_intensity", "low": 0.0, "high": 50.0}]},
        ["parameters.0.high"],
    ),
    (
        "param-twice",
        {
            "parameters": [
                {"path": "population.value_intensity", "low": 0.0, "high": 1.0},
                {"path": "population.value_intensity", "low": 0.0, "high": 2.0},
            ]
        },
        ["parameters"],
    ),
    ("points-zero", {"design": {"kind": "grid", "points": 0}}, ["design.points"]),
    ("sobol-not-power", {"design": {"kind": "sobol", "points": 6}}, ["design"]),
    ("design-unknown", {"design": {"kind": "random"}}, ["design.kind"]),
    ("replications-one", {"replications": 1}, ["replications"]),
    ("replications-huge", {"replications": 10**9}, ["replications"]),
    ("policy-unknown", {"policies": ["supplier_centric", "magic"]}, ["policies.1"]),
    ("labels-repeated", {"policies": ["demand_centric", "demand_centric"]}, ["policies"]),
    ("label-slash", {"policies": [{"name": "demand_centric", "label": "../x"}]}, ["policies.0.label"]),
    ("days-one", {"days": 1}, ["days"]),
    ("warmup-too-long", {"days": 10, "warmup_days": 10}, ["warmup_days"]),
    ("kpi-unknown", {"kpi": "happiness"}, ["kpi"]),
    (
        "grid-100k-points",
        {"design": {"kind": "grid", "points": 100_000}, "replications": 10, "days": 365},
        ["design"],
    ),
    (
        "grid-explodes",
        {
            "design": {"kind": "grid", "points": 1000},
            "parameters": [
                {"path": "population.value_intensity", "low": 0.0, "high": 2.0},
                {"path": "population.retry_days", "low": 1.0, "high": 9.0},
                {"path": "firms.0.price", "low": 90.0, "high": 110.0},
            ],
        },
        ["design"],
    ),
    (
        "lhs-with-values",
        {
            "design": {"kind": "lhs", "points": 4},
            "parameters": [{"path": "population.value_intensity", "values": [0.0, 1.0]}],
        },
        ["parameters"],
    ),
    ("unknown-key", {"replicatoins": 4}, ["replicatoins"]),
    ("seed-nan", {"seed": NAN}, ["seed"]),
    (
        "firm-setting-inf",
        {"policies": [{"name": "demand_centric", "label": "pull", "firm_settings": {"price": INF}}]},
        ["policies.0"],
    ),
]

DEMAND: list[tuple[str, str, list[str]]] = [
    ("two-day-columns", "day,quantity,day\n1,3,2\n", ["row 1", "day"]),
    ("quantity-1e30", "day,quantity\n1,1e30\n", ["row 2.quantity"]),
    ("day-1e12", "day,quantity\n1000000000000,3\n", ["row 2.day"]),
    ("quantity-negative", "day,quantity\n1,-3\n", ["row 2.quantity"]),
    ("quantity-text", "day,quantity\n1,many\n", ["row 2.quantity"]),
    ("quantity-nan", "day,quantity\n1,nan\n", ["row 2.quantity"]),
    ("quantity-inf", "day,quantity\n1,inf\n", ["row 2.quantity"]),
    ("day-negative", "day,quantity\n-1,3\n", ["row 2.day"]),
    ("date-bad", "date,quantity\n2025-13-45,3\n", ["row 2.date"]),
    ("no-time-column", "when,quantity\n1,3\n", ["row 1"]),
    ("no-quantity", "day\n1\n", ["row 1", "quantity"]),
    ("unknown-column", "day,quantity,colour\n1,3,red\n", ["row 1", "colour"]),
    ("ragged-row", "day,quantity\n1,3,4\n", ["row 2"]),
    ("empty", "", ["row 1"]),
    ("header-only", "day,quantity\n", ["no demand rows"]),
    ("patience-nan", "day,quantity,patience_days\n1,3,nan\n", ["row 2.patience_days"]),
    ("patience-inf", "day,quantity,patience_days\n1,3,inf\n", ["row 2.patience_days"]),
    (
        "many-bad-rows",
        "day,quantity\n-1,3\n2,x\n3,-4\n",
        ["row 2.day", "row 3.quantity", "row 4.quantity"],
    ),
]


def main() -> None:
    for sub in ("scenarios", "sweeps", "demand", "edges"):
        shutil.rmtree(HERE / sub, ignore_errors=True)
        (HERE / sub).mkdir()
    cases: list[dict[str, Any]] = []
    (HERE / "base.toml").write_text(tomli_w.dumps(BASE))
    for cid, changes, fields in SCENARIOS:
        data = copy.deepcopy(BASE)
        for path, value in changes.items():
            setp(data, path, value)
        (HERE / "scenarios" / f"{cid}.toml").write_text(tomli_w.dumps(data))
        cases.append({"file": f"scenarios/{cid}.toml", "kind": "scenario", "expect": fields})
    for cid, body, expect in RAW:
        path = HERE / "scenarios" / f"{cid}.toml"
        if isinstance(body, bytes):
            path.write_bytes(body)
        else:
            path.write_text(body)
        cases.append({"file": f"scenarios/{cid}.toml", "kind": "scenario", "expect": [expect]})
    os.symlink("/dev/zero", HERE / "scenarios" / "dev-zero.toml")
    cases.append(
        {"file": "scenarios/dev-zero.toml", "kind": "scenario", "expect": ["not a regular file"]}
    )
    (HERE / "scenarios" / "a-folder.toml").mkdir()
    (HERE / "scenarios" / "a-folder.toml" / ".gitkeep").write_text("")
    cases.append({"file": "scenarios/a-folder.toml", "kind": "scenario", "expect": ["directory"]})
    (HERE / "edges" / "bad-line.txt").write_text("0 1\n2 3 4\n")
    (HERE / "edges" / "out-of-range.txt").write_text("0 300\n")
    for cid, changes, fields in SWEEPS:
        data = copy.deepcopy(SWEEP_BASE)
        for key, value in changes.items():
            data[key] = value
        (HERE / "sweeps" / f"{cid}.toml").write_text(tomli_w.dumps(data))
        cases.append({"file": f"sweeps/{cid}.toml", "kind": "sweep", "expect": fields})
    for cid, text, fields in DEMAND:
        (HERE / "demand" / f"{cid}.csv").write_text(text)
        cases.append({"file": f"demand/{cid}.csv", "kind": "demand", "expect": fields})
    os.symlink("/dev/zero", HERE / "demand" / "dev-zero.csv")
    cases.append({"file": "demand/dev-zero.csv", "kind": "demand", "expect": ["not a regular file"]})
    (HERE / "cases.toml").write_text(
        "# Written by make_corpus.py: each malformed input and what its message must name.\n"
        + tomli_w.dumps({"case": cases})
    )
    print(f"{len(cases)} inputs")


if __name__ == "__main__":
    main()
