"""The performance benchmark: the project's model against a naive per-agent Mesa market, and the limits.

Think of a test bench in a workshop: the same job is run through the production machine and through
the hand tool it replaced, on the same material, with a stopwatch and a scale. Here the job is a
market scenario (the bundled baseline at 10,000, 100,000 and 1,000,000 consumers); the production
machine is :class:`simulator.model.MarketModel` (numpy columns, one vectorized pass a day), the hand
tool is :class:`benchmarks.naive.NaiveMarket` (one Python object per consumer, as a Mesa tutorial
would write it), and the stopwatch reads consumer-days per second and time per simulated day. Three
more measurements say how close to the practical limit the model is and how it scales out:

- the bare numpy choice kernel alone (find the day's shoppers, draw their uniforms, the vectorized
  logit choice on the same number of shoppers a day as the model had);
- a million consumers for a whole year, end to end (time and peak memory, in a fresh process);
- a sweep of baseline runs through a process pool with one and with two workers.

``python -m benchmarks.run_bench`` (``make bench``) runs everything and writes
``benchmarks/RESULTS.md`` (and the raw samples to ``benchmarks/results.json``). The machine is shared,
so every key timing is repeated, the median is reported, and the load average is recorded with it.
"""

from __future__ import annotations

import argparse
import gc
import inspect
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"
HERE = Path(__file__).resolve().parent

# Targets (issue 7).
TARGET_SPEEDUP = 30.0
TARGET_KERNEL_RATIO = 3.0
TARGET_1M_SECONDS = 600.0
TARGET_1M_GB = 6.0
TARGET_10K_SECONDS = 15.0
TARGET_SWEEP_EFFICIENCY = 0.85


# --- helpers --------------------------------------------------------------------------------------
def scenario(n: int, days: int, seed: int = 42) -> Any:
    """The bundled baseline with ``n`` consumers and ``days`` days."""
    from simulator.scenario import load_scenario

    base = load_scenario(BASELINE)
    return base.with_overrides(
        {
            "population.size": n,
            "run.days": days,
            "run.warmup_days": min(base.run.warmup_days, days - 1),
            "run.seed": seed,
        }
    )


def rss_mb() -> tuple[float, float]:
    """(current RSS, peak RSS) of this process in MB, from ``/proc/self/status``."""
    now = peak = float("nan")
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                now = int(line.split()[1]) / 1024
            elif line.startswith("VmHWM:"):
                peak = int(line.split()[1]) / 1024
    except OSError:  # not Linux: fall back on the peak the kernel reports
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return now, peak


def load() -> tuple[float, float, float]:
    """The 1, 5 and 15 minute load averages."""
    return os.getloadavg()


def median(xs: list[float]) -> float:
    return float(statistics.median(xs))


def log(msg: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


# --- one implementation, one size -----------------------------------------------------------------
def run_model(n: int, days: int, agents: bool) -> dict[str, Any]:
    """Build and run the project's model; times exclude imports."""
    from simulator.model import MarketModel

    sc = scenario(n, days)
    t0 = time.perf_counter()
    model = MarketModel(sc, agents=agents)
    t1 = time.perf_counter()
    model.run()
    t2 = time.perf_counter()
    return {"build_s": t1 - t0, "run_s": t2 - t1, "model": model}


def run_naive(n: int, days: int) -> dict[str, Any]:
    """Build and run the naive per-agent market."""
    from benchmarks.naive import NaiveMarket

    sc = scenario(n, days)
    t0 = time.perf_counter()
    model = NaiveMarket(sc)
    t1 = time.perf_counter()
    model.run()
    t2 = time.perf_counter()
    return {"build_s": t1 - t0, "run_s": t2 - t1, "model": model}


def same_books(model: Any, naive: Any) -> bool:
    """Whether both markets booked the same orders, shipments and profit every day."""
    import pandas as pd

    a = model.timeseries()
    b = pd.DataFrame(naive.rows)
    cols = ["orders", "units_shipped", "cancelled", "on_hand", "profit"]
    return len(a) == len(b) and bool(np.allclose(a[cols].to_numpy(float), b[cols].to_numpy(float)))


def kernel_replay(model: Any, seed: int = 7) -> list[float]:
    """Seconds per day of the bare choice step, replayed on the model's own daily shopper counts.

    Each day: scan the need and waiting columns for who shops (as the model does), draw one uniform
    per shopper, and run the population's vectorized logit choice for that many shoppers (a random
    set of consumers of the size the model saw that day). Nothing else: no firms, no books, no log.
    """
    pop = model.population
    offers = model.offers()
    counts = [int(r["shoppers"]) for r in model.market_rows]
    rng = np.random.default_rng(seed)
    out = []
    for d, k in enumerate(counts):
        who = np.sort(rng.choice(pop.n, size=k, replace=False))
        t0 = time.perf_counter()
        np.flatnonzero((pop.next_need <= d) & ~pop.waiting)
        u = rng.random(k)
        pop.choose(who, u, offers)
        out.append(time.perf_counter() - t0)
    return out


# --- children: one measurement in a fresh process (clean peak memory) -----------------------------
def child_main(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one measurement described by ``spec`` in this (fresh) process and return its numbers."""
    import simulator.model  # noqa: F401  # imports are not part of the measured memory growth

    if spec["impl"] == "naive":
        import benchmarks.naive  # noqa: F401
    gc.collect()
    base_rss, _ = rss_mb()
    out: dict[str, Any] = {"spec": spec, "rss_after_imports_mb": base_rss}
    if spec["impl"] == "model":
        r = run_model(spec["n"], spec["days"], spec["agents"])
    elif spec["impl"] == "naive":
        r = run_naive(spec["n"], spec["days"])
    elif spec["impl"] == "run_once":
        from simulator.experiments.run import run_once

        sc = scenario(spec["n"], spec["days"])
        t0 = time.perf_counter()
        result = run_once(sc, **_run_once_kwargs(agents=spec["agents"]))
        r = {"build_s": float("nan"), "run_s": time.perf_counter() - t0, "model": None}
        out["summary_keys"] = sorted(result.summary)[:3]
    else:
        raise ValueError(f"unknown impl {spec['impl']!r}")
    out["rss_end_mb"], out["peak_rss_mb"] = rss_mb()
    out["build_s"] = r["build_s"]
    out["run_s"] = r["run_s"]
    if spec.get("kernel") and r["model"] is not None:
        out["kernel_day_s"] = kernel_replay(r["model"])
        out["model_shoppers_per_day"] = float(np.mean([m["shoppers"] for m in r["model"].market_rows]))
    return out


def in_child(spec: dict[str, Any], timeout: float = 1800) -> dict[str, Any]:
    """Run :func:`child_main` in a fresh interpreter."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.run_bench", "--child", json.dumps(spec)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"child {spec} failed:\n{proc.stderr[-3000:]}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def _run_once_kwargs(agents: bool) -> dict[str, Any]:
    from simulator.experiments.run import run_once

    return {"agents": agents} if "agents" in inspect.signature(run_once).parameters else {}


# --- sweeps ---------------------------------------------------------------------------------------
def sweep_task(seed: int, n: int, days: int) -> tuple[float, float, Any, Any]:
    """One sweep run (the baseline at ``n`` consumers with its own seed).

    Returns (wall s, CPU s, KPIs, daily series): the tables travel back to the parent, as in a sweep.
    """
    from simulator.experiments.run import run_once

    sc = scenario(n, days, seed=seed)
    w0, c0 = time.perf_counter(), time.process_time()
    result = run_once(sc, **_run_once_kwargs(agents=False))
    return time.perf_counter() - w0, time.process_time() - c0, result.summary, result.timeseries


def _warm(seconds: float) -> int:
    import simulator.experiments.run  # noqa: F401  # imports happen before the clock starts

    time.sleep(seconds)
    return os.getpid()


def _executor(workers: int) -> tuple[Executor, str]:
    """The project's process executor when it exists, else a plain process pool."""
    try:
        from simulator.experiments.executors import open_executor

        cm = open_executor("process", workers=workers)
        return cm.__enter__(), "simulator.experiments.executors.open_executor('process')"
    except ImportError:
        import multiprocessing

        ctx = multiprocessing.get_context("forkserver")
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
        return pool, "ProcessPoolExecutor(forkserver)"


def sweep(workers: int, tasks: int, n: int, days: int) -> dict[str, Any]:
    """Wall time of ``tasks`` runs through a pool of ``workers`` processes (started and warmed first)."""
    pool, kind = _executor(workers)
    try:
        pids = set(pool.map(_warm, [0.5] * workers))
        t0 = time.perf_counter()
        futures = [pool.submit(sweep_task, s, n, days) for s in range(tasks)]
        per_task = [f.result() for f in futures]
        wall = time.perf_counter() - t0
    finally:
        pool.shutdown()
    return {
        "workers": workers,
        "processes_warmed": len(pids),
        "tasks": tasks,
        "days": days,
        "wall_s": wall,
        "task_wall_s": [r[0] for r in per_task],
        "task_cpu_s": [r[1] for r in per_task],
        "executor": kind,
    }


# --- profile --------------------------------------------------------------------------------------
def profile(n: int, days: int, path: Path) -> list[tuple[str, float]]:
    """Profile the model's day loop with pyinstrument; save the call tree; return the hot spots.

    A hot spot is a function of the project (``simulator/``): its share of the run counts the time in
    its own lines and in library code it calls (numpy, SimPy) that is not inside another project
    function. So ``Population.choose`` includes the numpy gathers and arithmetic it starts.
    """
    try:
        from pyinstrument import Profiler
    except ImportError:  # the bench extra is not installed
        log("pyinstrument is not installed (pip install -e '.[bench]'): no profile")
        return []
    from simulator.model import MarketModel

    model = MarketModel(scenario(n, days), agents=False)
    prof = Profiler(interval=0.002)
    prof.start()
    model.run()
    prof.stop()
    session = prof.last_session
    assert session is not None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(prof.output_text(unicode=False, color=False))
    root = session.root_frame()
    assert root is not None
    totals: dict[str, float] = {}

    def walk(frame: Any, owner: str) -> None:
        fp = (frame.file_path or "").replace(os.sep, "/")
        if "/simulator/" in fp and not frame.is_synthetic:
            owner = f"{frame.function} ({fp.split('/simulator/')[-1]})"
        own = frame.time - sum(c.time for c in frame.children)
        totals[owner] = totals.get(owner, 0.0) + own
        for c in frame.children:
            walk(c, owner)

    walk(root, "outside the project (Mesa, SimPy, interpreter)")
    return sorted(((k, v / root.time) for k, v in totals.items()), key=lambda kv: -kv[1])[:12]


# --- the whole bench ------------------------------------------------------------------------------
def machine() -> dict[str, Any]:
    """What this machine is."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = float("nan")
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gb = int(line.split()[1]) / 1024**2
    except OSError:
        pass

    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
            ).stdout.strip()
        except OSError:
            return ""

    versions = {}
    for pkg in ("numpy", "scipy", "mesa", "simpy", "pandas"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = "-"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": mem_gb,
        "os": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
        "commit": git("rev-parse", "--short", "HEAD"),
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no", "simulator")),
        "date": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
    }


def side_by_side(n: int, days: int, reps: int, results: dict[str, Any]) -> Any:
    """Model and naive market, interleaved in this process, ``reps`` times; returns the last model."""
    rows: dict[str, list[dict[str, float]]] = {"model": [], "naive": []}
    last_model = None
    identical = True
    for rep in range(reps):
        order: list[tuple[str, Callable[[], dict[str, Any]]]] = [
            ("model", lambda: run_model(n, days, agents=False)),
            ("naive", lambda: run_naive(n, days)),
        ]
        if rep % 2:
            order.reverse()  # alternate who goes first, so a burst of load hits both alike
        runs = {}
        for name, fn in order:
            gc.collect()
            r = fn()
            rows[name].append({"build_s": r["build_s"], "run_s": r["run_s"], "load1": load()[0]})
            runs[name] = r["model"]
            log(f"  {name:5s} n={n:>9,} {days} d: build {r['build_s']:.2f} s, run {r['run_s']:.2f} s")
        identical &= same_books(runs["model"], runs["naive"])
        last_model = runs["model"]
        del runs
    results["side_by_side"][str(n)] = {"days": days, "identical_books": identical, **rows}
    return last_model


def bench(quick: bool) -> dict[str, Any]:
    """Run every measurement; returns the raw results."""
    results: dict[str, Any] = {"machine": machine(), "load_start": load(), "side_by_side": {}}
    log(f"machine: {results['machine']}")
    plan = [(10_000, 60, 2), (100_000, 15, 1)] if quick else [(10_000, 365, 3), (100_000, 120, 3)]
    # 1. model against naive, same process, same scenario
    kernels: dict[str, list[float]] = {}
    shoppers: dict[str, float] = {}
    for n, days, reps in plan:
        log(f"side by side n={n:,} x {days} days, {reps} reps")
        model = side_by_side(n, days, reps, results)
        # 2. the bare choice kernel on the same daily workload
        ks = [kernel_replay(model) for _ in range(3)]
        kernels[str(n)] = [median(list(day)) for day in zip(*ks, strict=True)]
        shoppers[str(n)] = float(np.mean([m["shoppers"] for m in model.market_rows]))
        del model
    # 3. fresh processes: peak memory (and one more timing) of each implementation and size
    big_days = 30 if quick else 365
    naive_big_days = 3 if quick else 20
    children = [{"impl": "model", "n": n, "days": d, "agents": False} for n, d, _ in plan] + [
        {"impl": "naive", "n": n, "days": d} for n, d, _ in plan
    ]
    children += [
        {"impl": "model", "n": 1_000_000, "days": big_days, "agents": False, "kernel": True},
        {"impl": "model", "n": 1_000_000, "days": big_days, "agents": True},
        {"impl": "run_once", "n": 1_000_000, "days": big_days, "agents": True},
        {"impl": "naive", "n": 1_000_000, "days": naive_big_days},
    ]
    results["children"] = []
    for spec in children:
        log(f"fresh process: {spec}")
        r = in_child(spec)
        r["load1"] = load()[0]
        log(f"  run {r['run_s']:.1f} s, peak {r['peak_rss_mb']:.0f} MB")
        if "kernel_day_s" in r:
            kernels["1000000"] = r.pop("kernel_day_s")
            shoppers["1000000"] = r.pop("model_shoppers_per_day")
        results["children"].append(r)
    results["kernel_day_s"] = kernels
    results["shoppers_per_day"] = shoppers
    # 4. the 10,000-consumer baseline year as users run it
    results["baseline_year"] = baseline_year(reps=2 if quick else 3)
    # 5. sweeps with 1 and 2 workers
    tasks = 4 if quick else 8
    sw_days = 120 if quick else 365
    results["sweep"] = {"1": [], "2": []}
    for rep in range(1 if quick else 3):
        for w in (1, 2) if rep % 2 == 0 else (2, 1):
            log(f"sweep: {tasks} runs of the 10k baseline ({sw_days} d), {w} worker(s)")
            s = sweep(w, tasks, 10_000, sw_days)
            s["load1"] = load()[0]
            log(f"  wall {s['wall_s']:.2f} s")
            results["sweep"][str(w)].append(s)
    # 6. where the time goes
    log("profiling")
    results["profile_days"] = {"100000": 30, "1000000": 10} if quick else {"100000": 365, "1000000": 120}
    results["profile"] = {
        n: profile(int(n), days, HERE / "profiles" / f"model-{_n(n)}.txt")
        for n, days in results["profile_days"].items()
    }
    results["load_end"] = load()
    return results


def baseline_year(reps: int) -> dict[str, Any]:
    """The bundled baseline (10,000 consumers, 365 days): library call and the command line.

    The command line is ``python -m simulator run`` (the same program as ``marketsim run``), timed from
    interpreter start to the last file written.
    """
    from simulator.experiments.run import run_once
    from simulator.scenario import load_scenario

    sc = load_scenario(BASELINE)
    lib = []
    for _ in range(reps):
        gc.collect()
        t0 = time.perf_counter()
        run_once(sc)
        lib.append(time.perf_counter() - t0)
        log(f"  baseline year via run_once: {lib[-1]:.2f} s")
    cli = []
    for _ in range(reps):
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-m", "simulator", "run", str(BASELINE), "--out", f"{tmp}/run"],
                cwd=ROOT,
                capture_output=True,
                text=True,
            )
            cli.append(time.perf_counter() - t0)
            if proc.returncode != 0:
                raise RuntimeError(f"marketsim run failed: {proc.stderr[-2000:]}")
        log(f"  baseline year via marketsim run: {cli[-1]:.2f} s")
    return {"run_once_s": lib, "cli_s": cli, "load1": load()[0]}


# --- the report -----------------------------------------------------------------------------------
def summarise(res: dict[str, Any]) -> dict[str, Any]:
    """Derived numbers: rates, ratios and each target's verdict."""
    s: dict[str, Any] = {"sizes": {}}
    for n_s, sb in res["side_by_side"].items():
        n, days = int(n_s), sb["days"]
        m = median([r["run_s"] for r in sb["model"]])
        v = median([r["run_s"] for r in sb["naive"]])
        k = sum(res["kernel_day_s"][n_s]) if n_s in res["kernel_day_s"] else float("nan")
        s["sizes"][n_s] = {
            "days": days,
            "model_cd_s": n * days / m,
            "naive_cd_s": n * days / v,
            "model_ms_day": 1000 * m / days,
            "naive_ms_day": 1000 * v / days,
            "speedup": v / m,
            "kernel_ms_day": 1000 * k / days,
            "kernel_cd_s": n * days / k,
            "model_over_kernel": m / k,
            "identical": sb["identical_books"],
        }
    big = {
        (c["spec"]["impl"], c["spec"].get("agents")): c
        for c in res["children"]
        if c["spec"]["n"] == 1_000_000
    }
    s["big"] = big
    if "1000000" in res["kernel_day_s"]:
        mk = big[("model", False)]
        k = sum(res["kernel_day_s"]["1000000"])
        s["sizes"]["1000000"] = {
            "days": mk["spec"]["days"],
            "model_cd_s": 1e6 * mk["spec"]["days"] / mk["run_s"],
            "model_ms_day": 1000 * mk["run_s"] / mk["spec"]["days"],
            "kernel_ms_day": 1000 * k / mk["spec"]["days"],
            "kernel_cd_s": 1e6 * mk["spec"]["days"] / k,
            "model_over_kernel": mk["run_s"] / k,
        }
        nv = big.get(("naive", None))
        if nv:
            s["sizes"]["1000000"]["naive_cd_s"] = 1e6 * nv["spec"]["days"] / nv["run_s"]
            s["sizes"]["1000000"]["naive_ms_day"] = 1000 * nv["run_s"] / nv["spec"]["days"]
    t1 = median([x["wall_s"] for x in res["sweep"]["1"]])
    t2 = median([x["wall_s"] for x in res["sweep"]["2"]])
    cpu1 = median([median(x["task_cpu_s"]) for x in res["sweep"]["1"]])
    cpu2 = median([median(x["task_cpu_s"]) for x in res["sweep"]["2"]])
    b1 = min(x["wall_s"] for x in res["sweep"]["1"])
    b2 = min(x["wall_s"] for x in res["sweep"]["2"])
    s["sweep"] = {
        "t1": t1,
        "t2": t2,
        "eff": t1 / (2 * t2),
        "best_eff": b1 / (2 * b2),
        "cpu1": cpu1,
        "cpu2": cpu2,
        "wall1": median([median(x["task_wall_s"]) for x in res["sweep"]["1"]]),
        "wall2": median([median(x["task_wall_s"]) for x in res["sweep"]["2"]]),
    }
    s["baseline_s"] = median(res["baseline_year"]["run_once_s"])
    s["baseline_cli_s"] = median(res["baseline_year"]["cli_s"])
    return s


def report(res: dict[str, Any], quick: bool) -> str:
    """RESULTS.md text, from ``results_template.md.j2``."""
    import jinja2

    s = summarise(res)
    big = s["big"]
    one_m = big[("run_once", True)]
    days1 = one_m["spec"]["days"]
    peak_1m = max(c["peak_rss_mb"] for c in big.values() if c["spec"]["impl"] != "naive") / 1024
    sz = s["sizes"]
    judged = [k for k in sz if int(k) >= 100_000]
    h = sz.get("100000", {})
    targets = [
        (
            f"model at 100k consumers >= {TARGET_SPEEDUP:.0f}x naive consumer-days/s",
            f"{h['speedup']:.1f}x ({h['model_cd_s'] / 1e6:.1f} M vs {h['naive_cd_s'] / 1e6:.3f} M "
            "consumer-days/s)",
            h["speedup"] >= TARGET_SPEEDUP,
        ),
        (
            f"model within {TARGET_KERNEL_RATIO:.0f}x of the bare choice kernel (time per day)",
            ", ".join(f"{_n(k)}: {sz[k]['model_over_kernel']:.2f}x" for k in judged)
            + " (10k: "
            + f"{sz['10000']['model_over_kernel']:.1f}x, see below)",
            max(sz[k]["model_over_kernel"] for k in judged) <= TARGET_KERNEL_RATIO,
        ),
        (
            f"1M consumers x 365 days <= {TARGET_1M_SECONDS / 60:.0f} min, "
            f"<= {TARGET_1M_GB:.0f} GB peak",
            f"{days1} days: {one_m['run_s'] / 60:.1f} min end to end (`run_once`: Mesa agents on, "
            "invariants checked every day, KPIs); model alone "
            f"{big[('model', False)]['run_s'] / 60:.1f} min; peak {peak_1m:.2f} GB",
            days1 >= 365 and one_m["run_s"] <= TARGET_1M_SECONDS and peak_1m <= TARGET_1M_GB,
        ),
        (
            f"10k baseline year <= {TARGET_10K_SECONDS:.0f} s",
            f"{s['baseline_s']:.2f} s (`run_once`); {s['baseline_cli_s']:.2f} s "
            "(`python -m simulator run`, with start-up and files)",
            max(s["baseline_s"], s["baseline_cli_s"]) <= TARGET_10K_SECONDS,
        ),
        (
            f"sweeps >= {TARGET_SWEEP_EFFICIENCY:.0%} efficient from 1 to 2 workers",
            f"{s['sweep']['eff']:.0%} ({s['sweep']['t1']:.1f} s vs {s['sweep']['t2']:.1f} s, medians; "
            f"best of repeats {s['sweep']['best_eff']:.0%})",
            s["sweep"]["eff"] >= TARGET_SWEEP_EFFICIENCY,
        ),
    ]
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["n"] = _n
    env.filters["tuple"] = tuple
    return env.get_template("results_template.md.j2").render(
        res=res, s=s, sizes=sz, targets=targets, quick=quick, children=res["children"]
    )


def _n(k: str) -> str:
    n = int(float(k))
    return f"{n // 1_000_000}M" if n >= 1_000_000 else f"{n // 1000}k"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--quick", action="store_true", help="small sizes and few days (a smoke run)")
    ap.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    ap.add_argument("--json", type=Path, default=HERE / "results.json")
    ap.add_argument("--from-json", type=Path, help="rewrite the report from saved raw results")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child_main(json.loads(args.child))))
        return 0
    if args.from_json:
        res = json.loads(args.from_json.read_text())
        quick = bool(res.get("quick"))
    else:
        quick = args.quick
        res = bench(quick)
        res["quick"] = quick
        args.json.write_text(json.dumps(res, indent=1, default=float))
    args.out.write_text(report(res, quick))
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
