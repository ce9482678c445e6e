"""Executors: where the runs of an experiment are computed.

Runs are independent jobs handed to a pool of workers, like orders on a ticket rail in a kitchen:
whoever is free takes the next one. The same :class:`concurrent.futures.Executor` interface serves
three kinds of kitchen: ``sequential`` (this process, one run after another), ``process`` (a local
pool of worker processes, the default) and ``dask`` (a Dask distributed cluster given by its
scheduler address, or a local one started for the occasion). Workers only compute; the caller
writes every result, so a worker on another machine needs no shared disk and a killed worker leaves
no half-written file. The results do not depend on the executor: each run's randomness comes from
its own seed.

Workers die with the process that started them. A pool's worker stops itself within a second of
its parent's death (a watchdog thread; on Linux the kernel's parent-death signal too), so a
``kill -9`` of ``marketsim sweep`` leaves no worker computing on, and an interrupted sweep
(Ctrl-C, SIGTERM) terminates its workers at once instead of waiting for their runs to finish.
Workers ignore Ctrl-C themselves: the terminal sends it to the whole process group, and the main
process decides what stops.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
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


WATCHDOG_SECONDS = 0.5
"""How often a pool worker looks whether its parent is still alive."""


def _parent_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else (cannot happen for our parent)
        return True
    return os.getppid() != 1


def _watch_parent(pid: int) -> None:
    while _parent_alive(pid):
        time.sleep(WATCHDOG_SECONDS)
    os._exit(1)  # the parent is gone: nobody will read this worker's result


def _die_with_parent(parent: int) -> None:
    """Pool worker initialiser: ignore Ctrl-C, and end when the main process ``parent`` ends."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: killed when the forkserver exits
        except (OSError, AttributeError):
            pass
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="watchdog").start()


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Stop a pool now: cancel queued runs and terminate the workers (their runs are lost)."""
    procs = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        if p.is_alive():
            p.terminate()
    deadline = time.monotonic() + 5.0
    for p in procs:
        p.join(max(0.0, deadline - time.monotonic()))
        if p.is_alive():
            p.kill()


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
        pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=ctx,
            initializer=_die_with_parent,
            initargs=(os.getpid(),),
        )
        try:
            yield pool
        except BaseException:
            _stop_pool(pool)
            raise
        pool.shutdown(wait=True)
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
