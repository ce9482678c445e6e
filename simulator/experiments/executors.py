"""Executors: where the runs of an experiment are computed.

Runs are independent jobs handed to a pool of workers, like orders on a ticket rail in a kitchen:
whoever is free takes the next one. The same :class:`concurrent.futures.Executor` interface serves
three kinds of kitchen: ``sequential`` (this process, one run after another), ``process`` (a local
pool of worker processes, the default) and ``dask`` (a Dask distributed cluster given by its
scheduler address, or a local one started for the occasion). Workers only compute; the caller
writes every result, so a worker on another machine needs no shared disk and a killed worker leaves
no half-written file. The results do not depend on the executor: each run's randomness comes from
its own seed.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any, Literal

ExecutorKind = Literal["process", "sequential", "dask"]


class SequentialExecutor(Executor):
    """Runs each submitted call at once in this process (for debugging and reference results)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Run ``fn(*args, **kwargs)`` now and return its finished future."""
        fut: Future[Any] = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except Exception as e:  # the caller sees it through the future, as with a pool
            fut.set_exception(e)
        return fut


class ExecutorUnavailable(Exception):
    """The chosen executor cannot be used here (missing extra, unreachable scheduler)."""


@contextmanager
def open_executor(
    kind: ExecutorKind = "process", workers: int | None = None, scheduler: str | None = None
) -> Iterator[Executor]:
    """An executor of ``kind``, shut down on exit.

    Args:
        kind: ``process``, ``sequential`` or ``dask``.
        workers: processes in the local pool or the local Dask cluster (default: CPU count).
        scheduler: Dask scheduler address (``tcp://HOST:PORT``); without it a local cluster is started.
    """
    if kind == "sequential":
        yield SequentialExecutor()
    elif kind == "process":
        # forkserver: workers start from a clean process, not a fork of one that runs a progress
        # thread (forking a threaded process can deadlock).
        ctx = multiprocessing.get_context("forkserver")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            yield pool
    elif kind == "dask":
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ExecutorUnavailable(
                "the Dask executor needs the 'dask' extra: pip install 'meaningout-simulator[dask]'"
            ) from None
        if scheduler:
            try:
                client = Client(scheduler, timeout="10s")
            except OSError as e:
                raise ExecutorUnavailable(f"cannot reach the Dask scheduler {scheduler}: {e}") from None
            try:
                yield client.get_executor(pure=False)
            finally:
                client.close()
        else:
            with (
                LocalCluster(
                    n_workers=workers or multiprocessing.cpu_count(),
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                ) as cluster,
                Client(cluster) as client,
            ):
                yield client.get_executor(pure=False)
    else:
        raise ValueError(f"unknown executor {kind!r}")
