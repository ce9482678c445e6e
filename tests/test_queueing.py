"""The plant against queueing theory: M/M/1, M/M/c (Erlang C), Little's law, breakdowns.

Each case runs independent replications (``SeedSequence(seed).spawn(n)``) of a plant fed by
generated arrivals on a bare SimPy clock (:mod:`tests.plant_harness`), cuts a warm-up, and asks
that the theoretical value lie inside the replications' 95% t interval widened by a small stated
relative error, with the interval itself tight enough to judge. The ``long`` versions run about
ten times as many events.
"""

from __future__ import annotations

import math

import pytest

from tests.plant_harness import assert_agrees, closed_plant, exp_stage, open_plant, replications

REL = 0.01
"""Relative error allowed beyond the interval (the warm-up cut and edge effects leave a little)."""


def erlang_c(c: int, lam: float, mu: float) -> float:
    """Probability that an arrival waits in an M/M/c queue (Erlang's C formula)."""
    a = lam / mu
    rho = a / c
    if rho >= 1:
        raise ValueError("unstable queue")
    top = a**c / math.factorial(c) / (1 - rho)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def mmc_wq(c: int, lam: float, mu: float) -> float:
    """Mean wait in queue of M/M/c: C(c, a) / (c mu - lambda)."""
    return erlang_c(c, lam, mu) / (c * mu - lam)


def test_erlang_c_formula() -> None:
    # c = 1 is M/M/1: C = rho, Wq = rho / (mu - lambda)
    assert erlang_c(1, 0.8, 1.0) == pytest.approx(0.8)
    assert mmc_wq(1, 0.8, 1.0) == pytest.approx(4.0)
    # a textbook value: c = 2, a = 1 gives C = 1/3
    assert erlang_c(2, 1.0, 1.0) == pytest.approx(1 / 3)


def _mm1(n: int, horizon: float) -> None:
    lam, mu = 0.8, 1.0
    runs = [open_plant([exp_stage(1, 1 / mu)], lam, horizon, 1000.0, s) for s in replications(101, n)]
    rho = lam / mu
    wq, w, ell = rho / (mu - lam), 1 / (mu - lam), rho / (1 - rho)
    # at rho = 0.8 waits are strongly autocorrelated: ~150k customers give about +/-7%
    wide = 0.08 if n < 20 else 0.03
    assert_agrees("M/M/1 Wq", [r.wq for r in runs], wq, REL, max_half=wide)
    assert_agrees("M/M/1 W", [r.w for r in runs], w, REL, max_half=wide)
    assert_agrees("M/M/1 L", [r.l_time_avg for r in runs], ell, REL, max_half=wide)
    assert_agrees("M/M/1 throughput", [r.throughput for r in runs], lam, REL, max_half=0.01)
    util = [r.plant.stages[0].utilisation() for r in runs]
    assert_agrees("M/M/1 utilisation", util, rho, REL, max_half=0.01)
    # Little's law within each run: time-average WIP = throughput x mean flow time
    for r in runs:
        assert r.l_time_avg == pytest.approx(r.throughput * r.w, rel=0.01)


def test_mm1_waits_match_theory() -> None:
    """rho = 0.8: Wq = 4, W = 5, L = 4."""
    _mm1(n=12, horizon=16_000.0)


@pytest.mark.long
def test_mm1_waits_match_theory_long() -> None:
    _mm1(n=40, horizon=60_000.0)


def _mmc(n: int, horizon: float) -> None:
    c, lam, mu = 3, 2.4, 1.0
    runs = [open_plant([exp_stage(c, 1 / mu)], lam, horizon, 500.0, s) for s in replications(202, n)]
    wq = mmc_wq(c, lam, mu)
    wide = 0.09 if n < 20 else 0.03
    assert_agrees("M/M/3 Wq", [r.wq for r in runs], wq, REL, max_half=wide)
    assert_agrees("M/M/3 W", [r.w for r in runs], wq + 1 / mu, REL, max_half=wide / 2)
    assert_agrees("M/M/3 L", [r.l_time_avg for r in runs], lam * (wq + 1 / mu), REL, max_half=wide / 2)


def test_mmc_waits_match_erlang_c() -> None:
    """c = 3, lambda = 2.4, mu = 1 (rho = 0.8): Wq = C(3, 2.4) / 0.6 = 1.0787."""
    _mmc(n=10, horizon=6_000.0)


@pytest.mark.long
def test_mmc_waits_match_erlang_c_long() -> None:
    _mmc(n=30, horizon=30_000.0)


def _breakdowns(n: int, horizon: float) -> None:
    machines, unit, mtbf, mttr = 2, 0.1, 2.0, 0.5
    stage = exp_stage(machines, unit, mtbf_days=mtbf, mttr_days={"kind": "exponential", "mean": mttr})
    # 12 jobs always in the plant: both machines always have work when they are up
    runs = [closed_plant([stage], 12, horizon, 20.0, s)[0] for s in replications(303, n)]
    availability = mtbf / (mtbf + mttr)
    assert_agrees("breakdown throughput", runs, machines / unit * availability, REL, max_half=0.02)
    # without failures the same plant makes machines / unit_time
    clean = [
        closed_plant([exp_stage(machines, unit)], 12, horizon / 4, 5.0, s)[0]
        for s in replications(304, n)
    ]
    assert_agrees("no-failure throughput", clean, machines / unit, REL, max_half=0.02)


def test_breakdowns_cut_throughput_by_availability() -> None:
    """MTBF 2, MTTR 0.5 (exponential): throughput = 2 machines x 10 units/day x 0.8 = 16."""
    _breakdowns(n=6, horizon=600.0)


@pytest.mark.long
def test_breakdowns_cut_throughput_by_availability_long() -> None:
    _breakdowns(n=30, horizon=4_000.0)


def test_little_holds_on_a_multistage_plant_with_everything() -> None:
    """Set-ups, failures, rework and scrap on three stages: L = lambda_out x W on a long run."""
    stages = [
        exp_stage(2, 0.3, name="a", setup_days=0.05, mtbf_days=5.0, defect_rate=0.1),
        {
            "name": "b",
            "machines": 1,
            "unit_time": {"kind": "gamma", "mean": 0.2, "cv": 0.5},
            "defect_rate": 0.05,
            "rework": False,
        },
        {"name": "c", "unit_time": {"kind": "lognormal", "mean": 0.1, "cv": 1.5}, "shifts": 3},
    ]
    r = open_plant(stages, 2.0, 3000.0, 100.0, 9)
    p = r.plant
    assert p.units_scrapped > 0 and p.setups > 0 and sum(s.failures for s in p.stages) > 0
    t = p.env.now
    exits = p.units_completed + p.units_scrapped
    # sample path (exact): WIP area = time spent by units gone + age of units inside
    assert p.wip_area_now() == pytest.approx(p.exited_time + p.inside_age_now(), rel=1e-9)
    # Little's law with edge effects: time-average WIP vs exit rate x mean time in the plant
    time_avg_wip = p.wip_area_now() / t
    assert time_avg_wip == pytest.approx((exits / t) * (p.exited_time / exits), rel=0.01)
    # and in the long run the exit rate is the arrival rate
    assert exits / t == pytest.approx(2.0, rel=0.03)
