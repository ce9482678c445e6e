"""Memory over a ten-year run: is it flat?

Runs the bundled small market (2,000 consumers, two firms) for 3,650 days the way ``marketsim run``
does (Mesa agents on, the conservation laws checked every day) and samples the process's resident
memory every 50 days, once with the event log's rows streamed to a Parquet file (``--events``) and
once with daily counts only (the default). Writes ``memory_over_time.csv`` and
``memory_over_time.png`` beside this file::

    .venv/bin/python -m benchmarks.memory_over_time [--days 3650]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def one(days: int, events: bool) -> list[dict[str, float]]:
    """Run in this process; the memory samples."""
    import psutil

    from simulator.experiments.run import run_once
    from simulator.scenario import load_scenario

    spec = load_scenario(HERE.parent / "scenarios" / "small.toml").shortened(days)[0]
    proc = psutil.Process()
    t0 = time.perf_counter()
    samples: list[dict[str, float]] = []

    def progress(day: int) -> None:
        if day % 50 == 0 or day == days:
            rss = proc.memory_info().rss
            samples.append({"day": day, "rss_mib": rss / 2**20, "seconds": time.perf_counter() - t0})

    with tempfile.TemporaryDirectory() as tmp:
        spill = Path(tmp) / "events.parquet"
        run_once(spec, progress=progress, events=spill if events else False)
        if events:
            samples[-1]["events_file_mib"] = spill.stat().st_size / 2**20
    return samples


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--days", type=int, default=3650)
    ap.add_argument("--one", choices=["events", "counts"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.days, args.one == "events")))
        return
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    frames = []
    for mode in ("events", "counts"):
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.memory_over_time", "--days", str(args.days), "--one", mode],
            capture_output=True,
            text=True,
            check=True,
        )
        frames.append(pd.DataFrame(json.loads(out.stdout.strip().splitlines()[-1])).assign(mode=mode))
    df = pd.concat(frames, ignore_index=True)
    df.to_csv(HERE / "memory_over_time.csv", index=False)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    labels = {"events": "run --events (rows streamed to Parquet)", "counts": "run (daily counts only)"}
    for mode, g in df.groupby("mode"):
        ax.plot(g["day"], g["rss_mib"], label=labels[str(mode)])
    ax.set_xlabel("day")
    ax.set_ylabel("resident memory (MiB)")
    ax.set_ylim(0, df["rss_mib"].max() * 1.15)
    ax.set_title(f"2,000 consumers, {args.days:,} days: memory over the run")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(HERE / "memory_over_time.png", dpi=100)
    for mode, g in df.groupby("mode"):
        first = g[g["day"] >= 365].iloc[0]
        last = g.iloc[-1]
        print(
            f"{mode}: {g['rss_mib'].iloc[0]:.0f} MiB at day {g['day'].iloc[0]:.0f}, "
            f"{first['rss_mib']:.0f} MiB at day {first['day']:.0f}, {last['rss_mib']:.0f} MiB at day "
            f"{last['day']:.0f}; {last['seconds']:.0f} s"
        )


if __name__ == "__main__":
    main()
