"""Resources: how much memory and time a run or a sweep will take, known before it starts.

Like a removal firm's estimate from the number of rooms before the van is booked, a run's needs
follow from a few counts that the scenario gives: consumers (their columns and Mesa views), links of
the social network (built in memory at the start), orders booked over the run (the firms' order
books keep every one), days (each day's table rows) and, for a sweep, the number of runs and
workers. :func:`run_estimate` and :func:`sweep_estimate` turn those counts into peak memory and
wall time with coefficients measured on a 2-core AMD EPYC (``benchmarks/resources_calibration.py``
prints them against measurements, and can be rerun anywhere); :func:`check_fits` refuses, before
any work, what this machine cannot do: more memory than it has available, or more than
:data:`MAX_SECONDS` of computing. The estimates are meant to tell "fits" from "cannot possibly fit"
(within a factor of about 1.5), not to forecast a run to the second. ``--allow-large`` on the
command line overrides a refusal.

Input files named by a scenario are bounded the same way: an edge list or a demand file is read into
memory as Python objects, about :data:`EDGE_LIST_BYTES_PER_FILE_BYTE` bytes of memory per byte of
file, so the largest accepted file is what this machine's available memory can hold.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from simulator.paths import human_bytes
from simulator.scenario import ScenarioError

if TYPE_CHECKING:
    from simulator.scenario import Scenario

MAX_SECONDS = 24 * 3600.0
"""Longest computation started without ``--allow-large``: a day of wall time."""

# --- memory coefficients (bytes), measured with benchmarks/resources_calibration.py ---------------
BASE_BYTES = 220e6
"""A process with the simulator, numpy, pandas, SimPy and Mesa imported (measured 217 MB)."""
CONSUMER_BYTES = 150.0
"""Per consumer: trait and state columns and the Mesa agent view (fit: 150 B, k = 10 and 100)."""
CONSUMER_FIRM_BYTES = 12.0
"""Per consumer and firm: perceived reputation, awareness, boycott and buycott flags."""
EDGE_BYTES = 115.0
"""Per undirected link of a Watts-Strogatz network at its peak while built (fit: 114 B)."""
EDGE_BYTES_NETWORKX = 330.0
"""Per link of a Barabasi-Albert network, built as a networkx graph first (fit: 330 B)."""
ORDER_BYTES = 150.0
"""Per order booked: 72 B of columns, up to twice that while the book doubles its capacity."""
DAY_FIRM_BYTES = 5_000.0
"""Per day and firm (and the market's row): the day's table rows, the data collector's values, the
decision log, and their data frames at the end (fit: 8.7 kB a day with two firms)."""
EVENT_BUFFER_BYTES = 12e6
"""The event log's in-memory buffer and the Parquet writer's, when the rows are kept."""
EDGE_LIST_BYTES_PER_FILE_BYTE = 60.0
"""Memory per byte of an edge-list file while read: a 4-byte line ``0 1`` becomes two Python ints,
two list slots, a line string and then the sparse matrix (about 240 B)."""
DEMAND_BYTES_PER_FILE_BYTE = 80.0
"""Memory per byte of a demand file while read (a row of ``3,1`` becomes about 300 B of objects)."""

# --- time coefficients (seconds), same source ------------------------------------------------------
DAY_SECONDS = 2.5e-3
"""A day's fixed cost: the Mesa step, the day's rows, SimPy's calendar."""
DAY_FIRM_SECONDS = 0.6e-3
"""Per firm and day: its policy review, quotes, plant and conservation checks."""
CONSUMER_DAY_SECONDS = 0.3e-6
"""Per consumer and day: the vectorized day (1M consumers: 171 ms a day in benchmarks/RESULTS.md;
0.17 to 0.45 us per consumer-day measured at 50k and 200k, the larger under load from other work)."""
ORDER_CHECK_SECONDS = 20e-9
"""Per order already booked and day: the conservation laws re-add the whole order book each day."""
BUILD_CONSUMER_SECONDS = 3e-6
"""Per consumer at the start: traits drawn, agents created."""
BUILD_EDGE_SECONDS = 1e-6
"""Per link of a Watts-Strogatz network at the start."""
BUILD_EDGE_SECONDS_NETWORKX = 4e-6
"""Per link of a Barabasi-Albert network (networkx) at the start."""
TASK_BYTES = 24e3
"""Per run of a sweep in the main process: its task and scenario (16 kB measured with two
replications per scenario), its future and its place in the pool's queue until it is done."""
VALIDATE_SECONDS = 1e-3
"""Per run of a sweep: its scenario built and validated, twice (0.46 ms each, measured)."""


@dataclass(frozen=True)
class Machine:
    """What this machine offers: memory (total and available now) and cores."""

    memory_total: int
    memory_available: int
    cores: int


def this_machine() -> Machine:
    """The memory and cores of this machine, now."""
    import psutil

    vm = psutil.virtual_memory()
    return Machine(int(vm.total), int(vm.available), os.cpu_count() or 1)


@dataclass(frozen=True)
class Estimate:
    """Peak memory and wall time of a run or a sweep, with the counts they follow from."""

    memory_bytes: float
    seconds: float
    what: str
    """What was estimated ("a run of 3,650 days x 2,000 consumers", "a sweep of 200 runs")."""
    seconds_per_day: float = 0.0
    parts: dict[str, float] = field(default_factory=dict)
    """Memory by part, largest first in :meth:`describe`."""
    drivers: dict[str, str] = field(default_factory=dict)
    """The input field that sets each part's size (and "time" for the wall time)."""

    def driver(self, what: str) -> str | None:
        """The field that drives ``what``: "memory" (its largest part) or "time"."""
        if what == "memory" and self.parts:
            return self.drivers.get(max(self.parts, key=lambda k: self.parts[k]))
        return self.drivers.get(what)

    def describe(self) -> str:
        """``about 1.2 GiB and 3 min`` with the largest parts of the memory."""
        return f"about {human_bytes(self.memory_bytes)} and {human_time(self.seconds)}"

    def breakdown(self) -> str:
        """The largest memory parts, for a refusal's message."""
        top = sorted(self.parts.items(), key=lambda kv: -kv[1])[:3]
        return ", ".join(f"{k} {human_bytes(v)}" for k, v in top if v > 0)


def human_time(seconds: float) -> str:
    """A duration in the largest unit that keeps it readable (``3 min``, ``2.5 h``, ``41 days``)."""
    if not math.isfinite(seconds):
        return "forever"
    for unit, size in (("years", 365.25 * 86400), ("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= 2 * size or (unit in ("h", "min") and seconds >= size):
            value = seconds / size
            return f"{value:,.0f} {unit}" if value >= 10 else f"{value:.1f} {unit}"
    return f"{seconds:.0f} s" if seconds >= 1 else "under a second"


def _edges(scenario: Scenario) -> tuple[float, float, float]:
    """(links, bytes per link, build seconds per link) of the scenario's network."""
    net, n = scenario.network, scenario.population.size
    if net.kind == "watts_strogatz":
        return n * (net.k // 2), EDGE_BYTES, BUILD_EDGE_SECONDS
    if net.kind == "barabasi_albert":
        return n * max(1, net.k // 2), EDGE_BYTES_NETWORKX, BUILD_EDGE_SECONDS_NETWORKX
    if net.kind == "complete":
        return n * (n - 1) / 2, EDGE_BYTES, BUILD_EDGE_SECONDS
    if net.kind == "edge_list" and net.path:
        try:
            size = os.stat(net.path).st_size
        except OSError:
            size = 0
        # a line holds at least "0 1\n"; the file's memory is bounded in check_input_file
        return size / 4, EDGE_BYTES + 4 * EDGE_LIST_BYTES_PER_FILE_BYTE, BUILD_EDGE_SECONDS * 5
    return 0.0, 0.0, 0.0


def run_estimate(
    scenario: Scenario, days: int | None = None, *, events: bool = False, agents: bool = True
) -> Estimate:
    """Peak memory and wall time of one market run of ``scenario`` (``days`` overrides ``run.days``).

    Args:
        scenario: the validated scenario.
        days: days to simulate (default: ``run.days``).
        events: the event log's rows are kept (``--events``): a fixed buffer, the rest on disk.
        agents: Mesa agent views are made (``marketsim run``; a sweep's runs do without).
    """
    n = scenario.population.size
    firms = len(scenario.firms)
    d = days if days is not None else scenario.run.days
    links, link_bytes, link_seconds = _edges(scenario)
    orders = n * (0.5 + d / scenario.population.mean_need_interval_days)
    counts_days = 2 ** math.ceil(math.log2(max(d, 64)))
    parts = {
        "consumers": n * (CONSUMER_BYTES * (1.0 if agents else 0.4) + CONSUMER_FIRM_BYTES * firms),
        "network": links * link_bytes,
        "order books": orders * ORDER_BYTES,
        "daily tables": d * (firms + 1) * DAY_FIRM_BYTES,
        "event counts": 14 * (firms + 1) * counts_days * 8.0,
        "event buffer": EVENT_BUFFER_BYTES if events else 0.0,
    }
    per_day = DAY_SECONDS + DAY_FIRM_SECONDS * firms + CONSUMER_DAY_SECONDS * n * (1 + 0.05 * firms)
    orders_per_day = orders / max(d, 1)
    checks = ORDER_CHECK_SECONDS * orders_per_day * d * d / 2
    build = BUILD_CONSUMER_SECONDS * n + link_seconds * links
    consumer_days = CONSUMER_DAY_SECONDS * n * d
    drivers = {
        "consumers": "population.size",
        "network": "network.path" if scenario.network.kind == "edge_list" else "network.k",
        "order books": "population.size",
        "daily tables": "run.days",
        "event counts": "run.days",
        "time": "population.size" if consumer_days > d * DAY_SECONDS * 10 else "run.days",
    }
    return Estimate(
        memory_bytes=BASE_BYTES + sum(parts.values()),
        seconds=build + d * per_day + checks,
        what=f"a run of {d:,} days x {n:,} consumers",
        seconds_per_day=per_day,
        parts=parts,
        drivers=drivers,
    )


def factory_estimate(scenario: Scenario, days: int, orders: int) -> Estimate:
    """Peak memory and wall time of a factory-only run: one firm, ``orders`` orders over ``days``."""
    parts = {
        "order book": orders * ORDER_BYTES,
        "daily tables": days * 2 * DAY_FIRM_BYTES,
        "demand index": days * 8.0,
    }
    per_day = DAY_SECONDS + DAY_FIRM_SECONDS
    checks = ORDER_CHECK_SECONDS * orders * days / 2
    return Estimate(
        memory_bytes=BASE_BYTES + sum(parts.values()),
        seconds=days * per_day + checks,
        what=f"a factory run of {days:,} days and {orders:,} orders",
        seconds_per_day=per_day,
        parts=parts,
    )


def sweep_estimate(per_run: Estimate, runs: int, workers: int) -> Estimate:
    """Peak memory and wall time of ``runs`` runs like ``per_run`` on ``workers`` processes.

    Every worker holds one run at a time; the main process holds every run's task until it is done
    and validates every run's scenario before the first starts.
    """
    workers = max(1, min(workers, runs))
    worker_bytes = per_run.memory_bytes
    main = BASE_BYTES + runs * TASK_BYTES
    parts = {
        "workers": workers * worker_bytes,
        "sweep tasks": runs * TASK_BYTES,
    }
    seconds = runs * VALIDATE_SECONDS + math.ceil(runs / workers) * per_run.seconds
    return Estimate(
        memory_bytes=workers * worker_bytes + main,
        seconds=seconds,
        what=f"a sweep of {runs:,} runs ({per_run.what.removeprefix('a ')} each) on {workers} "
        f"worker{'s' if workers != 1 else ''}",
        parts=parts,
    )


class ResourceError(ScenarioError):
    """A run or sweep this machine cannot do: it names the file, the field and what it would take."""


def fit_problems(est: Estimate, machine: Machine | None = None) -> list[tuple[str, str]]:
    """Why ``est`` does not fit this machine, as ("memory" or "time", message); empty if it fits."""
    m = machine or this_machine()
    out = []
    if est.memory_bytes > m.memory_available:
        out.append(
            (
                "memory",
                f"{est.what} needs about {human_bytes(est.memory_bytes)} of memory "
                f"({est.breakdown()}); this machine has {human_bytes(m.memory_available)} available "
                f"of {human_bytes(m.memory_total)}",
            )
        )
    if est.seconds > MAX_SECONDS:
        out.append(
            (
                "time",
                f"{est.what} would take about {human_time(est.seconds)} on this machine "
                f"(more than the {human_time(MAX_SECONDS)} allowed without --allow-large)",
            )
        )
    return out


def check_fits(
    est: Estimate, source: str, field_path: str, allow: bool = False, machine: Machine | None = None
) -> None:
    """Raise :class:`ResourceError` for ``source`` unless ``est`` fits (or ``allow``).

    Args:
        est: the estimate.
        source: the file (or option) the work comes from, for the message.
        field_path: the field named when the estimate does not say which drives the excess (an
            option such as ``--days`` given instead of the file's field is named this way too).
        allow: the user passed ``--allow-large``: never refuse.
        machine: the machine to fit (default: this one, now).
    """
    if allow:
        return
    problems = fit_problems(est, machine)
    if problems:
        hint = "; make it smaller, or pass --allow-large to run it anyway"
        named = []
        for what, msg in problems:
            path = est.driver(what) or field_path
            if path == "run.days" and field_path.startswith("--"):
                path = field_path  # the option that set the days
            named.append((path, msg + hint))
        raise ResourceError(source, named)


def max_input_bytes(per_file_byte: float, machine: Machine | None = None) -> int:
    """The largest input file whose reading fits in half of this machine's available memory."""
    m = machine or this_machine()
    return int(m.memory_available / 2 / per_file_byte)


def input_file_problems(scenario: Scenario) -> list[tuple[str, str]]:
    """Problems with the files ``scenario`` names (today: the edge list), as (field, message).

    Each must exist, be a regular file and be small enough for this machine to read
    (:func:`max_input_bytes`).
    """
    from simulator.paths import check_input_file

    out = []
    net = scenario.network
    if net.kind == "edge_list" and net.path:
        limit = max_input_bytes(EDGE_LIST_BYTES_PER_FILE_BYTE)
        problem = check_input_file(net.path, limit)
        if problem:
            out.append(("network.path", f"edge list {net.path}: {problem}"))
    return out
