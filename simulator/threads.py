"""Thread use of numpy's linear algebra during a simulation.

A simulated day multiplies vectors of a few thousand to a million entries. Multi-threaded BLAS
(OpenBLAS's default is one thread per core) wakes its threads for each of these small products,
which costs more than it saves, and when several simulations run side by side in a process pool the
threads of each fight the other workers for the same cores. Runs therefore hold BLAS to one thread
while they simulate, and only then: the limit is scoped, not set for the whole process at import.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from threadpoolctl import threadpool_limits


def single_threaded_blas() -> AbstractContextManager[object]:
    """A context in which numpy's BLAS (OpenBLAS, MKL, BLIS) uses one thread."""
    return threadpool_limits(limits=1, user_api="blas")
