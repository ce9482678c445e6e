"""The social network: kinds, the edge-list file, refusals, neighbour shares and word of mouth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from typer.testing import CliRunner

from simulator.cli import app
from simulator.market.eventlog import EventKind
from simulator.market.social import (
    build_network,
    complete_graph,
    neighbour_share,
    neighbour_share_one,
    read_edge_list,
    watts_strogatz,
    word_of_mouth,
)
from simulator.model import MarketModel
from simulator.scenario import Network, ScenarioError, parse_scenario
from tests.conftest import tiny_scenario

runner = CliRunner()


def _symmetric_01(a: sp.csr_matrix) -> None:
    assert (a != a.T).nnz == 0
    assert set(np.unique(a.data).tolist()) <= {1.0}
    assert a.diagonal().sum() == 0


@pytest.mark.parametrize("kind", ["watts_strogatz", "barabasi_albert", "complete", "none"])
def test_every_kind_is_a_simple_undirected_graph(kind: str) -> None:
    a = build_network(Network(kind=kind, k=6), 300, np.random.default_rng(1))  # type: ignore[arg-type]
    assert a.shape == (300, 300)
    _symmetric_01(a)
    deg = np.diff(a.indptr)
    expected = {"watts_strogatz": 6, "barabasi_albert": 6, "complete": 299, "none": 0}[kind]
    assert abs(deg.mean() - expected) < 0.5


def test_watts_strogatz_without_rewiring_is_a_ring_lattice() -> None:
    a = watts_strogatz(10, 4, 0.0, np.random.default_rng(0))
    assert sorted(a[0].indices.tolist()) == [1, 2, 8, 9]
    assert (np.diff(a.indptr) == 4).all()


def test_edge_list_file(tmp_path: Path) -> None:
    f = tmp_path / "links.txt"
    f.write_text("# friends\n0 1\n1,2\n2\t0  # a triangle\n\n3 3\n")
    a = read_edge_list(f, 4)
    _symmetric_01(a)
    assert sorted(a[0].indices.tolist()) == [1, 2] and a[3].nnz == 0
    s = tiny_scenario(**{"population.size": 4, "network": {"kind": "edge_list", "path": str(f)}})
    m = MarketModel(s, seed=1)
    assert (m.network != a).nnz == 0


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ("0 1\n1 2 3\n", "line 2", "two consumer rows"),
        ("0 x\n", "line 1", "integers"),
        ("0 1\n0 9\n", "line 2", "outside the population"),
    ],
)
def test_bad_edge_list_names_the_line(tmp_path: Path, text: str, where: str, words: str) -> None:
    f = tmp_path / "links.txt"
    f.write_text(text)
    with pytest.raises(ScenarioError) as e:
        read_edge_list(f, 5)
    assert e.value.lines()[0].startswith(f"{f}: {where}: ") and words in e.value.lines()[0]


def test_complete_graph_over_a_huge_population_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "s.toml"
    f.write_text('[population]\nsize = 1000000\n[network]\nkind = "complete"\n[[firms]]\nname = "A"\n')
    res = runner.invoke(app, ["check", str(f)])
    assert res.exit_code == 2
    assert f"{f}: network.kind: a complete graph over 1,000,000 consumers" in res.output
    assert "Traceback" not in res.output
    with pytest.raises(ScenarioError, match="edge_list network needs path"):
        parse_scenario({"firms": [{"name": "A"}], "network": {"kind": "edge_list"}})


def test_neighbour_share_equals_the_per_agent_walk() -> None:
    rng = np.random.default_rng(3)
    a = watts_strogatz(200, 6, 0.3, rng)
    deg = np.diff(a.indptr).astype(float)
    flags = rng.random((200, 2)) < 0.3
    rows = np.array([0, 5, 17, 199])
    fast = neighbour_share(a, deg, flags, rows)
    slow = np.array([neighbour_share_one(a, deg, flags, int(i)) for i in rows])
    np.testing.assert_allclose(fast, slow, atol=1e-12)
    assert neighbour_share(a, deg, flags[:, 0]).shape == (200,)


def test_word_of_mouth_sums_the_neighbours_posts() -> None:
    a = complete_graph(4)
    delta = word_of_mouth(a, np.array([0, 0, 2]), np.array([1, 1, 0]), np.array([0.5, -2.0, 1.0]), 2)
    dense = delta.toarray()
    # consumer 0's two posts about firm 1 reach 1, 2, 3; consumer 2's about firm 0 reach 0, 1, 3
    np.testing.assert_allclose(dense[:, 1], [0.0, -1.5, -1.5, -1.5])
    np.testing.assert_allclose(dense[:, 0], [1.0, 1.0, 0.0, 1.0])


def test_negative_posts_lower_perceived_reputation_more_than_positive_raise_it() -> None:
    s = tiny_scenario(**{"population.size": 300, "network.k": 8, "social.reputation_reversion": 0.0})
    m = MarketModel(s, seed=2)
    pop = m.population
    pop.social_media[:] = True
    start = pop.reputation.copy()
    pop.begin_day(0)
    who = np.arange(0, 300, 10)
    pop.posts_today.add(EventKind.POST_POSITIVE, who, 0)
    pop.posts_today.add(EventKind.POST_NEGATIVE, who, 1)
    pop.end_day()
    pop.begin_day(1)
    pop.social_day(1, np.array([f.reputation for f in m.firms]))
    gain = (pop.reputation[:, 0] - start[:, 0]).mean()
    loss = (start[:, 1] - pop.reputation[:, 1]).mean()
    assert gain > 0 and loss > gain
    assert loss / gain == pytest.approx(s.social.negative_weight / s.social.positive_weight, rel=1e-9)


def test_peer_share_of_recent_purchases_walks_only_the_shoppers_rows() -> None:
    m = MarketModel(tiny_scenario(), seed=3)
    m.run(12)
    pop = m.population
    who = pop.shoppers(m.day + 5)
    assert len(who) > 20
    fast = pop._recent_peer_share(who, m.day)
    slow = neighbour_share(pop.adj, pop.degree, pop._recent_flags(m.day), who)
    np.testing.assert_allclose(fast, slow, atol=1e-12)
    assert fast.sum() > 0
