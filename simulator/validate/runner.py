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

A catalogue of some fifty quantities judged at 99% each would raise a false alarm on a correct
simulator now and then, and so would a run whose interval comes out a little wider than its bound
(the sample standard deviation of a dozen replications varies by about a fifth). So a case with a
quantity that failed is run once more on an independent batch of seeds of the same size, fixed in
advance (``SeedSequence([seed, crc32(case), 1])``), and each failed quantity is judged again:

- one whose interval was tight enough but missed theory is judged on the second batch alone (a
  confirmation on independent seeds);
- one whose interval was too wide is judged on both batches pooled (twice the replications: the
  sequential procedure for a relative precision of Law & Kelton, *Simulation Modeling and
  Analysis*, 9.4.1, stopped after one extension).

Quantities that passed keep their first verdict; every row says which batch judged it, and rows
judged again keep the first batch's interval. A correct simulator then fails a case with
probability about 1 in 10,000; an error of a few percent, which the tight interval excludes, fails
both batches.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import as_completed
from dataclasses import asdict, dataclass, replace
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
    seconds: float = 0.0
    """Computing time of the case's replications (summed over workers)."""
    batch: int = 0
    """Which replications judged it: 0 the first batch of seeds; 1 the confirmation batch alone
    (the first missed theory); 2 both batches pooled (the first interval was too wide)."""
    first: tuple[float, float, float] | None = None
    """When judged again: the first batch's (mean, ci_low, ci_high)."""

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


def judge(case: Case, values: list[dict[str, float]], seconds: float = 0.0, batch: int = 0) -> list[Row]:
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
                seconds=seconds,
                batch=batch,
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
    spent = dict.fromkeys(names, 0.0)
    with open_executor(executor, workers) as pool:
        first = _batch(pool, cat, names, quick, seed, 0, spent, progress)
        rows: dict[str, list[Row]] = {n: judge(cat[n], first[n], spent[n]) for n in names}
        # a failed quantity: one more batch of independent seeds for its case
        again = [n for n in names if any(not r.passed for r in rows[n])]
        if again:
            second = _batch(pool, cat, again, quick, seed, 1, spent, progress)
            for n in again:
                alone = {r.quantity: r for r in judge(cat[n], second[n], spent[n], batch=1)}
                pooled = {
                    r.quantity: r for r in judge(cat[n], first[n] + second[n], spent[n], batch=POOLED)
                }
                rows[n] = [_rejudged(r, alone, pooled) for r in rows[n]]
    out = [r for n in names for r in rows[n]]
    return Outcome(out, time.perf_counter() - started, quick, seed, names)


POOLED = 2
"""``Row.batch`` of a quantity judged on both batches pooled."""


def _rejudged(r: Row, alone: dict[str, Row], pooled: dict[str, Row]) -> Row:
    """A first-batch row, or its second verdict: on the confirmation batch alone when it missed
    theory, on both batches pooled when its interval was too wide."""
    if r.passed:
        return r
    again = alone[r.quantity] if _missed(r) else pooled[r.quantity]
    return replace(again, first=(r.mean, r.ci_low, r.ci_high))


def _missed(r: Row) -> bool:
    """Failed although the interval was tight enough: theory lies outside it."""
    return not r.passed and math.isfinite(r.half_width) and r.half_width <= r.bound * abs(r.theory)


def _batch(
    pool: Any,
    cat: dict[str, Case],
    names: list[str],
    quick: bool,
    seed: int,
    batch: int,
    spent: dict[str, float],
    progress: Callable[[str, int, int], None] | None,
) -> dict[str, list[dict[str, float]]]:
    """Every replication of the named cases on one batch of seeds, in replication order."""
    tasks = []
    for name in names:
        case = cat[name]
        seeds = case.seeds(seed, case.size.replications, batch)
        tasks += [(name, i, s) for i, s in enumerate(seeds)]
    # the longest cases first, so that a pool does not wait on one straggler at the end
    tasks.sort(key=lambda t: -cat[t[0]].size.days)
    results: dict[str, dict[int, dict[str, float]]] = {n: {} for n in names}
    futures = {pool.submit(timed_measure, name, quick, s): (name, i) for name, i, s in tasks}
    for fut in as_completed(list(futures)):
        name, i = futures[fut]
        results[name][i], secs = fut.result()
        spent[name] += secs
        if progress is not None:
            progress(name, len(results[name]), cat[name].size.replications)
    return {n: [results[n][i] for i in sorted(results[n])] for n in names}


def timed_measure(
    name: str, quick: bool, seed: np.random.SeedSequence
) -> tuple[dict[str, float], float]:
    """One replication and the seconds it took (a top-level function: pools pickle it)."""
    t0 = time.perf_counter()
    values = measure(name, quick, seed)
    return values, time.perf_counter() - t0
