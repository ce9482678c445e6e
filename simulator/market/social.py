"""The social network: who sees whose posts, and what the neighbours' posts do to a consumer.

Consumers are nodes; an edge means two people follow each other. The default is a Watts-Strogatz
small world (a ring of neighbours with a share of links rewired at random: local circles plus a few
long ties), built straight into a :class:`scipy.sparse.csr_matrix` so a million consumers take
seconds, not the minutes a graph of Python objects would. Barabasi-Albert (a few hubs), a complete
graph (everyone sees everyone: the mean-field case of the theory) and a file of links are the other
kinds. Spreading over the network is a sparse matrix product: the share of a consumer's neighbours
with some property is ``(A @ flags) / degree``, and only the rows that are asked for are computed.

Word of mouth: each post by a neighbour moves the consumer's perceived reputation of the firm
(negative posts more than positive ones, by the scenario's weights, times the consumer's
susceptibility), and every perceived reputation drifts back toward the firm's public reputation.
Only consumers on social media see posts.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import scipy.sparse as sp

from simulator.scenario import Network, ScenarioError


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


def complete_graph(n: int) -> sp.csr_matrix:
    """Everyone linked to everyone else (refused by the scenario above a few thousand consumers)."""
    rows = np.repeat(np.arange(n, dtype=np.int64), n)
    cols = np.tile(np.arange(n, dtype=np.int64), n)
    keep = rows != cols
    return sp.csr_matrix((np.ones(int(keep.sum()), np.float32), (rows[keep], cols[keep])), shape=(n, n))


def read_edge_list(path: str | Path, n: int) -> sp.csr_matrix:
    """Read an undirected edge list (two 0-based rows per line) over ``n`` consumers.

    Raises:
        ScenarioError: the file is missing, a line is not two integers, or a row is out of range
            (the message names the file and the line).
    """
    from simulator.paths import check_input_file
    from simulator.resources import EDGE_LIST_BYTES_PER_FILE_BYTE, max_input_bytes

    p = Path(path)
    problem = check_input_file(p, max_input_bytes(EDGE_LIST_BYTES_PER_FILE_BYTE))
    if problem:  # /dev/zero or a 50 GB file would otherwise be read until memory runs out
        raise ScenarioError(str(p), [("", f"edge list: {problem}")])
    try:
        lines = p.read_text().splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise ScenarioError(str(p), [("", f"cannot read the edge list: {e}")]) from None
    src: list[int] = []
    dst: list[int] = []
    for no, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].replace(",", " ").split()
        if not text:
            continue
        if len(text) != 2:
            raise ScenarioError(str(p), [(f"line {no}", "expected two consumer rows")])
        try:
            a, b = int(text[0]), int(text[1])
        except ValueError:
            raise ScenarioError(str(p), [(f"line {no}", "consumer rows must be integers")]) from None
        for x in (a, b):
            if not 0 <= x < n:
                raise ScenarioError(
                    str(p), [(f"line {no}", f"row {x} is outside the population (0 to {n - 1})")]
                )
        if a != b:
            src.append(a)
            dst.append(b)
    return _symmetric(np.array(src, np.int64), np.array(dst, np.int64), n)


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
    if spec.kind == "edge_list":
        assert spec.path is not None  # the scenario requires it
        return read_edge_list(spec.path, n)
    return complete_graph(n)


def neighbour_share(
    adj: sp.csr_matrix, degree: np.ndarray, flags: np.ndarray, rows: np.ndarray | None = None
) -> np.ndarray:
    """Share of each consumer's neighbours for whom ``flags`` is set (0 with no neighbours).

    Args:
        adj: the adjacency matrix.
        degree: number of neighbours per consumer.
        flags: one value per consumer (n,) or per consumer and firm (n, F), 0/1 or weights.
        rows: compute only these consumers' shares (default: everyone).
    """
    x = flags.astype(np.float64)
    n = adj.shape[0]
    if n > 1 and adj.nnz == n * (n - 1):
        # a complete graph: everyone's neighbours are everyone else (O(n), not O(n^2))
        total = x.sum(axis=0)
        own = x if rows is None else x[rows]
        return (total - own) * (1.0 / (n - 1))
    if rows is not None and len(rows) * 8 < adj.shape[0]:
        counts = np.asarray(adj[rows] @ x)  # few rows: copy just those
        deg = degree[rows]
    else:
        # many rows: one product over the whole matrix beats copying most of it
        counts = np.asarray(adj @ x)
        deg = degree
        if rows is not None:
            counts, deg = counts[rows], degree[rows]
    scale = np.where(deg > 0, 1.0 / np.maximum(deg, 1), 0.0)
    return counts * (scale if counts.ndim == 1 else scale[:, None])


def neighbour_share_one(
    adj: sp.csr_matrix, degree: np.ndarray, flags: np.ndarray, row: int
) -> np.ndarray | float:
    """The same for one consumer, by walking its neighbour list (the per-agent reference)."""
    nbrs = adj.indices[adj.indptr[row] : adj.indptr[row + 1]]
    deg = float(degree[row])
    if deg == 0:
        return 0.0 if flags.ndim == 1 else np.zeros(flags.shape[1])
    total = flags[nbrs].astype(np.float64).sum(axis=0)
    return total / deg if flags.ndim == 1 else total * (1.0 / deg)


def word_of_mouth(
    adj: sp.csr_matrix,
    posters: np.ndarray,
    firms: np.ndarray,
    weights: np.ndarray,
    n_firms: int,
) -> sp.csr_matrix:
    """Sum of neighbours' post weights per consumer and firm, as a sparse (n, F) matrix.

    Only the posters' rows of the (symmetric) adjacency are touched, so the cost is the number of
    posts times the degree, not the size of the population.
    """
    n = adj.shape[0]
    if len(posters) == 0:
        return sp.csr_matrix((n, n_firms))
    post = sp.csr_matrix(
        (weights.astype(np.float64), (np.arange(len(posters)), firms)), shape=(len(posters), n_firms)
    )
    # A is symmetric: A @ P = A[posters].T @ post
    return (adj[posters].T @ post).tocsr()
