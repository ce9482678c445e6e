"""The social network: who sees whose posts.

Consumers are nodes; an edge means two people follow each other. The default is a Watts-Strogatz
small world (a ring of neighbours with a share of links rewired at random: local circles plus a few
long ties), built straight into a :class:`scipy.sparse.csr_matrix` so a million consumers take
seconds, not the minutes a graph of Python objects would. Spreading over it is a sparse
matrix-vector product.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import scipy.sparse as sp

from simulator.scenario import Network


def watts_strogatz(n: int, k: int, p: float, rng: np.random.Generator) -> sp.csr_matrix:
    """Undirected Watts-Strogatz graph as a symmetric 0/1 CSR matrix.

    Each node links to its ``k // 2`` clockwise neighbours on a ring; each such link has its far end
    rewired to a uniformly chosen node with probability ``p`` (self-loops and duplicates dropped).
    """
    half = k // 2
    if n < 2 or half == 0:
        return sp.csr_matrix((n, n), dtype=np.float32)
    src = np.repeat(np.arange(n, dtype=np.int64), half)
    dst = (src + np.tile(np.arange(1, half + 1), n)) % n
    rewire = rng.random(len(src)) < p
    dst[rewire] = rng.integers(0, n, int(rewire.sum()))
    keep = src != dst
    return _symmetric(src[keep], dst[keep], n)


def _symmetric(src: np.ndarray, dst: np.ndarray, n: int) -> sp.csr_matrix:
    rows = np.concatenate([src, dst])
    cols = np.concatenate([dst, src])
    adj = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(n, n))
    adj.data[:] = 1.0  # duplicates summed by the constructor count once
    adj.eliminate_zeros()
    return adj


def build_network(spec: Network, n: int, rng: np.random.Generator) -> sp.csr_matrix:
    """The adjacency matrix of the scenario's network over ``n`` consumers."""
    if spec.kind == "none" or n < 2:
        return sp.csr_matrix((n, n), dtype=np.float32)
    if spec.kind == "watts_strogatz":
        return watts_strogatz(n, spec.k, spec.rewire_p, rng)
    if spec.kind == "barabasi_albert":
        m = max(1, spec.k // 2)
        g = nx.barabasi_albert_graph(n, m, seed=int(rng.integers(2**31)))
        edges = np.asarray(g.edges(), dtype=np.int64).reshape(-1, 2)
        return _symmetric(edges[:, 0], edges[:, 1], n)
    # complete graph
    adj = sp.csr_matrix(np.ones((n, n), np.float32))
    adj.setdiag(0)
    adj.eliminate_zeros()
    return adj
