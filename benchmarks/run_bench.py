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
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
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
    elif spec["impl"] == "sweep":
        out["sweep"] = sweep(spec["workers"], spec["replications"], spec["days"])
        out["peak_rss_mb"] = rss_mb()[1]
        return out
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


ONE_BLAS_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
"""Environment that keeps numpy's BLAS to one thread (set before numpy is imported)."""


def in_child(
    spec: dict[str, Any], timeout: float = 3600, extra_env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Run :func:`child_main` in a fresh interpreter (with ``extra_env`` added to its environment)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    env.update(extra_env or {})
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
def sweep_task(seed: int, n: int, days: int) -> tuple[Any, Any]:
    """One run of a plain sweep (the baseline at ``n`` consumers, its own seed): (KPIs, daily series)."""
    from simulator.experiments.run import run_once

    result = run_once(scenario(n, days, seed=seed), **_run_once_kwargs(agents=False))
    return result.summary, result.timeseries


def _warm(seconds: float) -> int:
    import simulator.experiments.run  # noqa: F401  # imports happen before the clock starts

    time.sleep(seconds)
    return os.getpid()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (Linux ``/proc``; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def _pool(workers: int) -> Iterator[tuple[Executor, str]]:
    """The project's process executor when it exists, else a plain process pool."""
    try:
        from simulator.experiments.executors import open_executor
    except ImportError:
        import multiprocessing

        ctx = multiprocessing.get_context("forkserver")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            yield pool, "a plain ProcessPoolExecutor (forkserver)"
    else:
        with open_executor("process", workers=workers) as ex:
            yield ex, "the project's process executor (`simulator.experiments.executors`)"


def sweep(workers: int, replications: int, days: int) -> dict[str, Any]:
    """A sweep of ``2 x replications`` runs of the 10k baseline on ``workers`` processes.

    With the project's experiment engine this is ``marketsim compare`` of the first firm's two
    policies on the baseline (each run written to its folder, the index built at the end); without
    it, a plain pool over :func:`run_once`. The workers are started and have done their imports
    before the clock starts.
    """
    with _pool(workers) as (pool, kind), tempfile.TemporaryDirectory() as tmp:
        pids = sorted(set(pool.map(_warm, [0.5] * workers)))
        cpu0 = sum(_cpu_seconds(p) for p in pids)
        parent0 = time.process_time()
        t0 = time.perf_counter()
        try:
            from simulator.experiments.design import compare_experiment
            from simulator.experiments.engine import run_experiment
        except ImportError:
            futures = [pool.submit(sweep_task, s, 10_000, days) for s in range(2 * replications)]
            runs = len([f.result() for f in futures])
            how = f"{kind} over `run_once`"
        else:
            exp = compare_experiment(
                BASELINE, ["supplier_centric", "demand_centric"], None, replications, 1, days, None
            )
            outcome = run_experiment(exp, Path(tmp) / "sweep", pool, kind="compare")
            if outcome.failed:
                raise RuntimeError(f"sweep runs failed: {outcome.failed}")
            runs = outcome.total
            how = f"`run_experiment` (what `marketsim compare` runs) on {kind}"
        wall = time.perf_counter() - t0
        cpu = sum(_cpu_seconds(p) for p in pids) - cpu0
    return {
        "workers": workers,
        "processes_warmed": len(pids),
        "runs": runs,
        "days": days,
        "wall_s": wall,
        "worker_cpu_s": cpu,
        "parent_cpu_s": time.process_time() - parent0,
        "how": how,
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
        # a copy of a work tree (no .git) says where it came from through BENCH_SOURCE
        "commit": os.environ.get("BENCH_SOURCE") or git("rev-parse", "--short", "HEAD"),
        # plumbing only: never takes the index lock of a tree others are committing in
        "dirty": bool(git("diff-index", "--name-only", "HEAD", "--", "simulator")),
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
    """The core measurements (10k and 100k consumers, the baseline year, sweeps); raw results."""
    results: dict[str, Any] = {"machine": machine(), "load_start": load(), "side_by_side": {}}
    log(f"machine: {results['machine']}")
    plan = [(10_000, 30, 2), (100_000, 10, 1)] if quick else [(10_000, 120, 3), (100_000, 45, 2)]
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
    results["kernel_day_s"] = kernels
    results["shoppers_per_day"] = shoppers
    # 3. fresh processes: peak memory (and one more timing) of each implementation and size
    specs = [{"impl": "model", "n": n, "days": d, "agents": False} for n, d, _ in plan] + [
        {"impl": "naive", "n": n, "days": min(d, 20)} for n, d, _ in plan
    ]
    results["children"] = run_children(specs, results)
    # 4. the 10,000-consumer baseline year as users run it
    results["baseline_year"] = baseline_year(reps=1 if quick else 3)
    # 5. sweeps with 1 and 2 workers
    reps = 2 if quick else 4  # paired replications per policy (the engine needs at least 2)
    sw_days = 90 if quick else 365
    results["sweep"] = {"1": [], "2": []}
    for rep in range(1 if quick else 3):
        for w in (1, 2) if rep % 2 == 0 else (2, 1):
            log(f"sweep: {2 * reps} runs of the 10k baseline ({sw_days} d), {w} worker(s)")
            sw = sweep(w, reps, sw_days)
            sw["load1"] = load()[0]
            log(f"  wall {sw['wall_s']:.2f} s, worker CPU {sw['worker_cpu_s']:.2f} s")
            results["sweep"][str(w)].append(sw)
    # the same with numpy's BLAS kept to one thread per process (set before numpy loads)
    results["sweep_one_blas_thread"] = {"1": [], "2": []}
    for rep in range(1 if quick else 2):
        for w in (1, 2) if rep % 2 == 0 else (2, 1):
            log(f"sweep, one BLAS thread: {2 * reps} runs, {w} worker(s)")
            spec = {"impl": "sweep", "workers": w, "replications": reps, "days": sw_days}
            sw = in_child(spec, extra_env=ONE_BLAS_THREAD)["sweep"]
            sw["load1"] = load()[0]
            log(f"  wall {sw['wall_s']:.2f} s, worker CPU {sw['worker_cpu_s']:.2f} s")
            results["sweep_one_blas_thread"][str(w)].append(sw)
    # 6. where the time goes
    log("profiling")
    results["profile_days"] = {"100000": 30 if quick else 120}
    results["profile"] = {
        n: profile(int(n), days, HERE / "profiles" / f"model-{_n(n)}.txt")
        for n, days in results["profile_days"].items()
    }
    results["load_end"] = load()
    return results


def bench_large(quick: bool) -> dict[str, Any]:
    """The million-consumer measurements (``make bench-large``); raw results."""
    results: dict[str, Any] = {"machine": machine(), "load_start": load()}
    days = 20 if quick else 365
    specs = [
        {"impl": "model", "n": 1_000_000, "days": days, "agents": False, "kernel": True},
        {"impl": "run_once", "n": 1_000_000, "days": days, "agents": True},
        {"impl": "naive", "n": 1_000_000, "days": 2},
    ]
    results["children"] = run_children(specs, results)
    log("profiling")
    results["profile_days"] = {"1000000": 10 if quick else 60}
    results["profile"] = {
        n: profile(int(n), d, HERE / "profiles" / f"model-{_n(n)}.txt")
        for n, d in results["profile_days"].items()
    }
    results["load_end"] = load()
    return results


def run_children(specs: list[dict[str, Any]], results: dict[str, Any]) -> list[dict[str, Any]]:
    """Run each spec in a fresh process; kernel replays go to ``results``' kernel tables."""
    out = []
    for spec in specs:
        log(f"fresh process: {spec}")
        r = in_child(spec)
        r["load1"] = load()[0]
        r["measured"] = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
        log(f"  run {r['run_s']:.1f} s, peak {r['peak_rss_mb']:.0f} MB")
        if "kernel_day_s" in r:
            key = str(spec["n"])
            results.setdefault("kernel_day_s", {})[key] = r.pop("kernel_day_s")
            results.setdefault("shoppers_per_day", {})[key] = r.pop("model_shoppers_per_day")
        out.append(r)
    return out


def merge(core: dict[str, Any], large: dict[str, Any] | None) -> dict[str, Any]:
    """The core results with the million-consumer ones added (from their own run)."""
    res = dict(core)
    if not large:
        return res
    res["large"] = {k: large[k] for k in ("machine", "load_start", "load_end")}
    res["children"] = core["children"] + large["children"]
    for key in ("kernel_day_s", "shoppers_per_day", "profile_days", "profile"):
        res[key] = {**core.get(key, {}), **large.get(key, {})}
    return res


def baseline_year(reps: int) -> dict[str, Any]:
    """The bundled baseline (10,000 consumers, 365 days): library call and the command line.

    The command line is ``python -m simulator run`` (the same program as ``marketsim run``), timed from
    interpreter start to the last file written.
    """
    from simulator.experiments.run import run_once
    from simulator.scenario import load_scenario

    sc = load_scenario(BASELINE)
    lib, lib_cpu = [], []
    for _ in range(reps):
        gc.collect()
        t0, c0 = time.perf_counter(), time.process_time()
        run_once(sc)
        lib.append(time.perf_counter() - t0)
        lib_cpu.append(time.process_time() - c0)
        log(f"  baseline year via run_once: {lib[-1]:.2f} s (CPU {lib_cpu[-1]:.2f} s)")
    out: dict[str, Any] = {"run_once_s": lib, "run_once_cpu_s": lib_cpu}
    for label, extra in (("cli", {}), ("cli_one_blas_thread", ONE_BLAS_THREAD)):
        walls, cpus = [], []
        for _ in range(reps):
            with tempfile.TemporaryDirectory() as tmp:
                before = os.times()
                t0 = time.perf_counter()
                proc = subprocess.run(
                    [sys.executable, "-m", "simulator", "run", str(BASELINE), "--out", f"{tmp}/run"],
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                    env={**os.environ, **extra},
                )
                walls.append(time.perf_counter() - t0)
                after = os.times()
                cpus.append(
                    after.children_user
                    + after.children_system
                    - before.children_user
                    - before.children_system
                )
                if proc.returncode != 0:
                    raise RuntimeError(f"marketsim run failed: {proc.stderr[-2000:]}")
            log(f"  baseline year, {label}: {walls[-1]:.2f} s (CPU {cpus[-1]:.2f} s)")
        out[f"{label}_s"] = walls
        out[f"{label}_cpu_s"] = cpus
    out["load1"] = load()[0]
    return out


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
    if "1000000" in res["kernel_day_s"] and ("model", False) in big:
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
    for key in ("sweep", "sweep_one_blas_thread"):
        sw = res.get(key)
        if not sw:
            continue
        t1 = median([x["wall_s"] for x in sw["1"]])
        t2 = median([x["wall_s"] for x in sw["2"]])
        b1 = min(x["wall_s"] for x in sw["1"])
        b2 = min(x["wall_s"] for x in sw["2"])
        s[key] = {
            "t1": t1,
            "t2": t2,
            "eff": t1 / (2 * t2),
            "best_eff": b1 / (2 * b2),
            **{f"cpu{w}": median([x["worker_cpu_s"] / x["runs"] for x in sw[w]]) for w in ("1", "2")},
        }
    by = res["baseline_year"]
    s["baseline_s"] = median(by["run_once_s"])
    s["baseline_cli_s"] = median(by["cli_s"])
    s["baseline"] = {k: median(v) for k, v in by.items() if isinstance(v, list)}
    return s


def report(res: dict[str, Any], quick: bool) -> str:
    """RESULTS.md text, from ``results_template.md.j2``."""
    import jinja2

    s = summarise(res)
    big = s["big"]
    one_m = big.get(("run_once", True))
    if one_m is None:
        million: tuple[str, bool | None] = ("not measured: run `make bench-large`", None)
    else:
        days1 = one_m["spec"]["days"]
        peak = max(c["peak_rss_mb"] for c in big.values() if c["spec"]["impl"] != "naive") / 1024
        model_alone = big[("model", False)]["run_s"] / 60
        million = (
            f"{days1} days: {one_m['run_s'] / 60:.1f} min end to end (`run_once`: Mesa agents on, "
            f"invariants checked every day, KPIs); model alone {model_alone:.1f} min; "
            f"peak {peak:.2f} GB",
            days1 >= 365 and one_m["run_s"] <= TARGET_1M_SECONDS and peak <= TARGET_1M_GB,
        )
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
            *million,
        ),
        (
            f"10k baseline year <= {TARGET_10K_SECONDS:.0f} s",
            f"{s['baseline_s']:.2f} s (`run_once`); {s['baseline_cli_s']:.2f} s "
            "(`python -m simulator run`, with start-up and files); "
            f"{s['baseline'].get('cli_one_blas_thread_s', float('nan')):.2f} s with one BLAS thread",
            max(s["baseline_s"], s["baseline_cli_s"]) <= TARGET_10K_SECONDS,
        ),
        (
            f"sweeps >= {TARGET_SWEEP_EFFICIENCY:.0%} efficient from 1 to 2 workers",
            f"{s['sweep']['eff']:.0%} ({s['sweep']['t1']:.1f} s vs {s['sweep']['t2']:.1f} s, medians; "
            f"best of repeats {s['sweep']['best_eff']:.0%}); with one BLAS thread per process "
            f"{s.get('sweep_one_blas_thread', {}).get('eff', float('nan')):.0%}",
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
    ap.add_argument(
        "--large", action="store_true", help="only the million-consumer runs (make bench-large)"
    )
    ap.add_argument("--report-only", action="store_true", help="rewrite the report from saved results")
    ap.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    ap.add_argument("--json", type=Path, default=HERE / "results.json")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child_main(json.loads(args.child))))
        return 0
    large_json = args.json.with_name(args.json.stem + "-large.json")
    if not args.report_only:
        res = bench_large(args.quick) if args.large else bench(args.quick)
        res["quick"] = args.quick
        (large_json if args.large else args.json).write_text(json.dumps(res, indent=1, default=float))
    if not args.json.exists():
        log(f"no {args.json.name} yet: run make bench for the core measurements")
        return 0
    core = json.loads(args.json.read_text())
    large = json.loads(large_json.read_text()) if large_json.exists() else None
    args.out.write_text(report(merge(core, large), bool(core.get("quick"))))
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
