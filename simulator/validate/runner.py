"""Replicate each case, put a 99% interval on each quantity and judge it against theory.

A case's replications run on independent seeds (``SeedSequence([seed, crc32(case)]).spawn(n)``),
side by side in a process pool or one after another; the results are the same either way. For each
quantity the table holds the mean over replications, its 99% Student t interval, theory, the
relative error, and the verdict:

    passed  <=>  |mean - theory| <= half-width + 0.2% x |theory|   and   half-width <= bound x |theory|

The first condition is "theory lies in the 99% interval" (the 0.2% covers rounding and the edge of
the warm-up in the deterministic cases, whose interval has no width); the second makes sure the run
was long enough to say so: an interval wider than the case's relative bound (a few percent) fails
the case instead of letting a large error pass.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats

from simulator.experiments.executors import ExecutorKind, open_executor
from simulator.validate.cases import Case, catalogue, measure

CONFIDENCE = 0.99
SLACK = 0.002
"""Relative allowance beyond the interval for rounding and warm-up edges (deterministic cases)."""
DEFAULT_SEED = 2026


@dataclass(frozen=True)
class Row:
    """One checked quantity of one case: a row of the table."""

    case: str
    quantity: str
    what: str
    title: str
    source: str
    params: dict[str, Any]
    theory: float
    mean: float
    ci_low: float
    ci_high: float
    rel_error: float
    bound: float
    n: int
    days: int
    passed: bool

    @property
    def half_width(self) -> float:
        return (self.ci_high - self.ci_low) / 2

    def as_json(self) -> dict[str, Any]:
        """The row as JSON-ready data (the keys ``marketsim validate --json`` prints)."""
        out = asdict(self)
        for k in ("mean", "ci_low", "ci_high", "rel_error"):
            if not math.isfinite(out[k]):
                out[k] = None
        return out


def interval(x: Sequence[float], confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """(mean, low, high) of the Student t interval over replications ``x``."""
    a = np.asarray(x, dtype=float)
    mean = float(a.mean())
    if len(a) < 2:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + confidence / 2, len(a) - 1) * a.std(ddof=1) / math.sqrt(len(a)))
    return mean, mean - half, mean + half


def judge(case: Case, values: list[dict[str, float]]) -> list[Row]:
    """The table rows of one case from its replications' measurements."""
    size = case.size
    rows = []
    for name, q in case.quantities.items():
        x = [v[name] for v in values]
        mean, lo, hi = interval(x)
        half = (hi - lo) / 2
        scale = abs(q.theory)
        ok = (
            all(math.isfinite(v) for v in x)
            and math.isfinite(half)
            and abs(mean - q.theory) <= half + SLACK * scale
            and half <= q.bound * scale
        )
        rel = (mean - q.theory) / scale if scale else math.nan
        rows.append(
            Row(
                case=case.name,
                quantity=name,
                what=q.what,
                title=case.title,
                source=case.source,
                params=case.params,
                theory=q.theory,
                mean=mean,
                ci_low=lo,
                ci_high=hi,
                rel_error=rel,
                bound=q.bound,
                n=len(x),
                days=size.days,
                passed=bool(ok),
            )
        )
    return rows


@dataclass(frozen=True)
class Outcome:
    """A validation run: its rows, wall-clock time and settings."""

    rows: list[Row]
    seconds: float
    quick: bool
    seed: int
    cases: list[str]

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.rows)


def run(
    names: Sequence[str] | None = None,
    *,
    quick: bool = False,
    seed: int = DEFAULT_SEED,
    executor: ExecutorKind = "process",
    workers: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> Outcome:
    """Run the named cases (default: all) and judge them.

    Args:
        names: case names in the order wanted (unknown names raise ``KeyError``).
        quick: the quick sizes (a few minutes in all) instead of the full ones.
        seed: the root seed of every case's replications.
        executor: ``process`` (a local pool) or ``sequential``.
        workers: processes in the pool (default: CPU count).
        progress: called with (case, replications done, replications in all) as they finish.
    """
    cat = catalogue(quick)
    names = list(cat) if not names else list(names)
    for n in names:
        if n not in cat:
            raise KeyError(n)
    started = time.perf_counter()
    tasks = []
    for name in names:
        case = cat[name]
        tasks += [(name, i, s) for i, s in enumerate(case.seeds(seed, case.size.replications))]
    # the longest cases first, so that a pool does not wait on one straggler at the end
    cost = {n: cat[n].size.days for n in names}
    order = sorted(tasks, key=lambda t: -cost[t[0]])
    results: dict[str, dict[int, dict[str, float]]] = {n: {} for n in names}
    with open_executor(executor, workers) as pool:
        futures = {pool.submit(measure, name, quick, s): (name, i) for name, i, s in order}
        pending = dict(futures)
        for fut in _as_completed(list(pending)):
            name, i = pending.pop(fut)
            results[name][i] = fut.result()
            if progress is not None:
                total = cat[name].size.replications
                progress(name, len(results[name]), total)
    rows: list[Row] = []
    for name in names:
        vals = [results[name][i] for i in sorted(results[name])]
        rows += judge(cat[name], vals)
    return Outcome(rows, time.perf_counter() - started, quick, seed, names)


def _as_completed(futures: list[Any]) -> Any:
    from concurrent.futures import as_completed

    return as_completed(futures)
