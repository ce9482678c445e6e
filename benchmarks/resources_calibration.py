"""Calibrate and check the resource estimates of :mod:`simulator.resources` on this machine.

Each configuration runs in a fresh process (so its peak resident memory is its own): build the
market, run some days the way ``marketsim run`` does (agents on, conservation checked every day),
and report the peak memory, the build time and the time per day. The estimate of each configuration
is printed next to what was measured, so the constants in ``simulator/resources.py`` can be checked
(or refitted) on another machine::

    .venv/bin/python -m benchmarks.resources_calibration            # the table
    .venv/bin/python -m benchmarks.resources_calibration --json out.json

The estimates are meant to refuse what cannot run at all (a run needing 50 GiB on a 24 GiB machine,
a year-long computation), so agreement within a factor of about 1.5 is what they need.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from typing import Any

CONFIGS: list[dict[str, Any]] = [
    {"n": 500, "k": 10, "kind": "watts_strogatz", "firms": 2, "days": 20},
    {"n": 50_000, "k": 10, "kind": "watts_strogatz", "firms": 2, "days": 40},
    {"n": 200_000, "k": 10, "kind": "watts_strogatz", "firms": 2, "days": 30},
    {"n": 50_000, "k": 100, "kind": "watts_strogatz", "firms": 2, "days": 20},
    {"n": 50_000, "k": 10, "kind": "barabasi_albert", "firms": 2, "days": 20},
    {"n": 50_000, "k": 10, "kind": "watts_strogatz", "firms": 8, "days": 30},
    {"n": 2_000, "k": 10, "kind": "watts_strogatz", "firms": 2, "days": 1500},
]


def scenario_data(cfg: dict[str, Any]) -> dict[str, Any]:
    """A baseline-like market of ``cfg``'s size, network and number of firms."""
    firms = []
    for i in range(cfg["firms"]):
        pull = i % 2 == 1
        firms.append(
            {
                "name": f"F{i}",
                "policy": {"name": "demand_centric", "buffer": 20}
                if pull
                else {"name": "supplier_centric", "min_lot": 50},
                "factory": {"machines": 4, "initial_stock": 100, "initial_material": 300},
            }
        )
    return {
        "name": "calibration",
        "run": {"days": cfg["days"], "warmup_days": 1, "seed": 1},
        "population": {"size": cfg["n"]},
        "network": {"kind": cfg["kind"], "k": cfg["k"]},
        "firms": firms,
    }


def measure(cfg: dict[str, Any]) -> dict[str, Any]:
    """Build and run one configuration in this process; what it took."""
    from simulator.firms.invariants import check_firm
    from simulator.model import MarketModel
    from simulator.scenario import parse_scenario

    spec = parse_scenario(scenario_data(cfg))
    t0 = time.perf_counter()
    model = MarketModel(spec, event_rows=False)
    built = time.perf_counter() - t0
    rss_built = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    t1 = time.perf_counter()
    for _ in range(cfg["days"]):
        model.step()
        for f in model.firms:
            check_firm(f)
    ran = time.perf_counter() - t1
    orders = sum(f.orders.n for f in model.firms)
    return {
        **cfg,
        "build_s": built,
        "s_per_day": ran / cfg["days"],
        "peak_built_bytes": rss_built,
        "peak_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "orders": orders,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--json", help="also write the measurements to this file")
    args = ap.parse_args()
    if args.one:
        print(json.dumps(measure(json.loads(args.one))))
        return
    from simulator.paths import human_bytes
    from simulator.resources import run_estimate
    from simulator.scenario import parse_scenario

    rows = []
    print("| consumers | k | network | firms | days | peak memory | estimate | s/day | estimate |")
    print("|---|---|---|---|---|---|---|---|---|")
    for cfg in CONFIGS:
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.resources_calibration", "--one", json.dumps(cfg)],
            capture_output=True,
            text=True,
            check=True,
        )
        got = json.loads(out.stdout.strip().splitlines()[-1])
        est = run_estimate(parse_scenario(scenario_data(cfg)), events=False)
        got["estimate_bytes"] = est.memory_bytes
        got["estimate_s_per_day"] = est.seconds_per_day
        rows.append(got)
        print(
            f"| {cfg['n']:,} | {cfg['k']} | {cfg['kind']} | {cfg['firms']} | {cfg['days']} | "
            f"{human_bytes(got['peak_bytes'])} | {human_bytes(est.memory_bytes)} | "
            f"{got['s_per_day'] * 1000:.2f} ms | {est.seconds_per_day * 1000:.2f} ms |",
            flush=True,
        )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=2)


if __name__ == "__main__":
    main()
