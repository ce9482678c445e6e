r"""What theory says: the closed forms (and one exact numerical solution) the catalogue checks against.

Each function computes a textbook result from its inputs alone, never from a simulation; each names
its source. Times are in days, rates per day.

- Queues: Erlang's C formula and the M/M/c waits (Kleinrock 1975, *Queueing Systems* I, sec. 3.5;
  Gross and Harris, *Fundamentals of Queueing Theory*, sec. 2.3).
- Make-to-stock: the M/M/1 production-inventory queue with base stock S (Buzacott and Shanthikumar
  1993, *Stochastic Models of Manufacturing Systems*, sec. 4.2; Zipkin 2000, *Foundations of
  Inventory Management*, sec. 8.4): fill :math:`1 - \rho^S`, backorders
  :math:`\rho^{S+1} / (1 - \rho)`, stock :math:`S - \rho / (1 - \rho) + \rho^{S+1}/(1 - \rho)`.
- Base stock with Poisson demand and any lead time (the (S - 1, S) system; Palm's theorem: the units
  on order are Poisson with mean :math:`\lambda E[L]`; Hadley and Whitin 1963, ch. 4; Zipkin sec. 7.2).
- Periodic review order-up-to with Poisson demand booked once a day (Hadley and Whitin 1963, ch. 5;
  Silver, Pyke and Thomas 2017, sec. 6.7), in the simulator's timing (stated in
  :func:`periodic_order_up_to`).
- Bullwhip of order-up-to with a moving-average forecast, i.i.d. or AR(1) demand (Chen, Drezner,
  Ryan and Simchi-Levi 2000, *Management Science* 46(3)) and with exponential smoothing (Chen, Ryan
  and Simchi-Levi 2000, *Naval Research Logistics* 47(4)).
- The newsvendor's critical fractile, its cost and fill (Porteus 2002, *Foundations of Stochastic
  Inventory Theory*, ch. 1; the normal loss function).
- Closed lines: CONWIP's best, worst and practical-worst cases (Hopp and Spearman, *Factory
  Physics*, 3rd ed., sec. 7.3); kanban lines with exponential stations solved exactly as a Markov
  chain (:func:`kanban_line`; Buzacott and Shanthikumar 1993, ch. 5).
- Availability of a machine that fails and is repaired: MTBF / (MTBF + MTTR) (Hopp and Spearman
  sec. 8.4).
- The multinomial logit (McFadden 1974; Train 2009, *Discrete Choice Methods*, ch. 3) and the Bass
  curve (Bass 1969, *Management Science* 15(5)) with its discrete-time recursion.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy import stats

from simulator.policies.optimisation import expected_cost, fill_rate, newsvendor_level


# --- queues ---------------------------------------------------------------------------------------
def erlang_c(c: int, lam: float, mu: float) -> float:
    """Probability that an arrival waits in an M/M/c queue (Erlang's C formula)."""
    a = lam / mu
    rho = a / c
    if not 0 < rho < 1:
        raise ValueError(f"an M/M/c queue needs 0 < rho < 1, got {rho}")
    top = a**c / math.factorial(c) / (1 - rho)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def mmc(c: int, lam: float, mu: float) -> dict[str, float]:
    """M/M/c: mean wait in queue Wq, time in system W, queue length Lq, number in system L,
    utilisation rho."""
    wq = erlang_c(c, lam, mu) / (c * mu - lam)
    w = wq + 1 / mu
    return {"wq": wq, "w": w, "lq": lam * wq, "l": lam * w, "rho": lam / (c * mu)}


# --- inventory ------------------------------------------------------------------------------------
def make_to_stock_queue(lam: float, mu: float, s: int) -> dict[str, float]:
    """M/M/1 plant with base stock ``s`` and one-for-one release: fill rate, mean backorders and
    mean stock on hand (the units on order are the number in an M/M/1 queue)."""
    rho = lam / mu
    if not 0 < rho < 1:
        raise ValueError(f"needs 0 < rho < 1, got {rho}")
    backorders = rho ** (s + 1) / (1 - rho)
    return {
        "fill": 1 - rho**s,
        "backorders": backorders,
        "stock": s - rho / (1 - rho) + backorders,
    }


def _poisson_excess(mean: float, s: int) -> float:
    """E[(N - s)+] for N ~ Poisson(mean)."""
    if mean == 0:
        return 0.0
    k = np.arange(0, s + 1)
    pk = stats.poisson.pmf(k, mean)
    return float(mean - s + ((s - k) * pk).sum())


def poisson_base_stock(lam: float, lead: float, s: int) -> dict[str, float]:
    """Base stock ``s`` with Poisson demand (rate ``lam``) and one-for-one replenishment over a lead
    time of mean ``lead`` (any distribution, any number of orders in flight: Palm's theorem).

    The units on order N are Poisson(lam * lead); a demand is filled from stock when N < s
    (PASTA): fill P(N <= s - 1), backorders E[(N - s)+], stock E[(s - N)+] = s - lam lead + backorders.
    """
    m = lam * lead
    back = _poisson_excess(m, s)
    return {"fill": float(stats.poisson.cdf(s - 1, m)), "backorders": back, "stock": s - m + back}


def periodic_order_up_to(lam: float, lead: int, review: int, s: int) -> dict[str, float]:
    """Order-up-to ``s`` every ``review`` days with Poisson(``lam``) units a day booked at each day's
    start and a replenishment lead time of ``lead`` whole days.

    Timing (the simulator's, :mod:`simulator.model`): day d's orders are booked at time d, a review
    at ``k * review + 0.5`` raises the inventory position to ``s``, and what it releases arrives at
    ``k * review + 0.5 + lead``. So on day d, ``n`` days after the last review whose release has
    arrived (``n`` = lead + 1, ..., lead + review, each equally often), the orders meet the stock
    ``s`` less the demand of days ``1..n`` after that review (day d's own included). Hence

    - share of days on which every order is filled from stock:
      ``(1 / review) sum_{n = lead + 1}^{lead + review} P(Y_n <= s)``, ``Y_n ~ Poisson(lam n)``;
    - unit fill rate: ``1 - (E[(Y_{lead + review} - s)+] - E[(Y_lead - s)+]) / (lam review)``
      (Hadley and Whitin's expected shortage per cycle over the mean demand per cycle).
    """
    if lead < 0 or review < 1:
        raise ValueError("lead must be >= 0 and review >= 1 whole days")
    days = range(lead + 1, lead + review + 1)
    csl = float(np.mean([stats.poisson.cdf(s, lam * n) for n in days]))
    short = _poisson_excess(lam * (lead + review), s) - _poisson_excess(lam * lead, s)
    return {"stockout_free_days": csl, "unit_fill": 1 - short / (lam * review)}


# --- bullwhip -------------------------------------------------------------------------------------
def bullwhip_moving_average(cover: float, window: int, phi: float = 0.0) -> float:
    """Var(orders) / Var(demand) of order-up-to ``cover`` x the ``window``-period moving average,
    with AR(1) demand of autocorrelation ``phi`` (0: i.i.d.): Chen, Drezner, Ryan and Simchi-Levi
    (2000), exact without a safety-stock term: ``1 + (2L/p + 2L^2/p^2)(1 - phi^p)``."""
    el, p = cover, window
    return 1 + (2 * el / p + 2 * el**2 / p**2) * (1 - phi**p)


def bullwhip_exp_smoothing(cover: float, alpha: float) -> float:
    """The same with exponential smoothing of weight ``alpha`` and i.i.d. demand (Chen, Ryan and
    Simchi-Levi 2000): ``1 + 2 L alpha + 2 L^2 alpha^2 / (2 - alpha)``."""
    el, a = cover, alpha
    return 1 + 2 * el * a + 2 * el**2 * a**2 / (2 - a)


# --- newsvendor -----------------------------------------------------------------------------------
def newsvendor(
    mean: float, sd: float, holding: float, shortage: float, extra_sd: float = 0.0
) -> dict[str, float]:
    """Normal newsvendor: the optimal level S* (critical fractile), its expected cost per period
    ``(h + b) sd phi(z*)``, its fill rate; with ``extra_sd`` the same at S* + extra_sd x sd (a human
    override) and the override's extra cost."""
    best = newsvendor_level(mean, sd, holding, shortage)
    level = best + extra_sd * sd
    return {
        "level": level,
        "cost": expected_cost(level, mean, sd, holding, shortage),
        "fill": fill_rate(level, mean, sd),
        "optimal_level": best,
        "optimal_cost": expected_cost(best, mean, sd, holding, shortage),
        "override_cost": expected_cost(level, mean, sd, holding, shortage)
        - expected_cost(best, mean, sd, holding, shortage),
    }


# --- closed lines ---------------------------------------------------------------------------------
def conwip_practical_worst_case(stations: int, unit_time: float, wip: int) -> dict[str, float]:
    """A closed line of ``stations`` balanced single-machine stations, exponential times of mean
    ``unit_time``, ``wip`` unit jobs: TH = w / (w + M - 1) / t, CT = (w + M - 1) t (Hopp and
    Spearman's practical worst case, exact for this line)."""
    w, m, t = wip, stations, unit_time
    return {"throughput": w / (w + m - 1) / t, "cycle_time": (w + m - 1) * t, "wip": float(w)}


def conwip_best_case(stations: int, unit_time: float, wip: int) -> dict[str, float]:
    """The same line with deterministic times (Hopp and Spearman's best case): TH = min(w / (M t),
    1 / t), CT = max(M t, w t). Exact for any transfer batch that divides ``wip``, in units."""
    w, m, t = wip, stations, unit_time
    th = min(w / (m * t), 1 / t)
    return {"throughput": th, "cycle_time": w / th, "wip": float(w)}


@dataclass(frozen=True)
class KanbanLine:
    """Exact long-run figures of a kanban line (see :func:`kanban_line`)."""

    throughput: float
    fill: float
    backorders: float
    stock: float
    wip: float
    states: int


def kanban_line(
    rates: Sequence[float], cards: Sequence[int], demand: float, max_backorders: int = 400
) -> KanbanLine:
    """A kanban line of single-machine stations with exponential rates, solved as a Markov chain.

    Station i holds at most ``cards[i]`` units: in its queue or machine, or done and waiting in its
    outbound stock point for a card of station i + 1 (the last station's stock point is finished
    goods). Raw material is ample, so station 0 takes a new unit the moment a card comes back.
    Demand is Poisson(``demand``) for single units, filled from finished goods or backordered (a
    completion fills the oldest backorder at once). A unit withdrawn frees its card, which pulls a
    unit from the stock point upstream, and so on up the line. The chain's state is, per station,
    (units in process, units done and waiting), with the backorders cut at ``max_backorders`` (its
    probability is reported nowhere: choose the cut so it is negligible). Returns throughput (equal
    to the demand rate when the line keeps up), fill rate (PASTA: P(finished goods > 0)), mean
    backorders, mean finished goods, mean units in process (finished goods excluded).
    """
    m = len(rates)
    if m != len(cards) or m < 1:
        raise ValueError("one rate and one card count per station")

    def settle(q: list[int], o: list[int], b: int) -> tuple[tuple[int, ...], int]:
        # move units down wherever a card is free, from the end of the line up, then refill station 0;
        # a unit reaching finished goods fills a backorder at once
        moved = True
        while moved:
            moved = False
            if o[m - 1] > 0 and b > 0:  # finished goods meet waiting orders
                k = min(o[m - 1], b)
                o[m - 1] -= k
                b -= k
                moved = True
            for i in range(m - 2, -1, -1):
                if o[i] > 0 and q[i + 1] + o[i + 1] < cards[i + 1]:
                    q[i + 1] += 1
                    o[i] -= 1
                    moved = True
            if q[0] + o[0] < cards[0]:
                q[0] += cards[0] - q[0] - o[0]
                moved = True
        return (*q, *o), b

    start, b0 = settle([0] * m, [0] * m, 0)
    index: dict[tuple[tuple[int, ...], int], int] = {(start, b0): 0}
    frontier = [(start, b0)]
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    while frontier:
        state, b = frontier.pop()
        src = index[(state, b)]
        q, o = list(state[:m]), list(state[m:])
        moves: list[tuple[float, tuple[tuple[int, ...], int]]] = []
        for i in range(m):
            if q[i] > 0:
                q2, o2 = q.copy(), o.copy()
                q2[i] -= 1
                o2[i] += 1
                moves.append((rates[i], settle(q2, o2, b)))
        if o[m - 1] > 0:  # an order takes a unit of finished goods: its card goes back
            q2, o2 = q.copy(), o.copy()
            o2[m - 1] -= 1
            moves.append((demand, settle(q2, o2, b)))
        elif b < max_backorders:
            moves.append((demand, (state, b + 1)))
        for rate, nxt in moves:
            if nxt not in index:
                index[nxt] = len(index)
                frontier.append(nxt)
            rows.append(src)
            cols.append(index[nxt])
            vals.append(rate)
    n = len(index)
    gen = sp.coo_matrix((vals, (rows, cols)), shape=(n, n)).tocsr()
    gen = gen - sp.diags(np.asarray(gen.sum(axis=1)).ravel())
    # solve pi Q = 0 with sum(pi) = 1: replace one balance equation by the normalisation
    a = sp.vstack([sp.csr_matrix(np.ones((1, n))), gen.T.tocsr()[1:, :]])
    rhs = np.zeros(n)
    rhs[0] = 1.0
    pi = spla.spsolve(a.tocsc(), rhs)
    keys = list(index)
    fg = np.array([s[2 * m - 1] for s, _ in keys], dtype=float)
    back = np.array([b for _, b in keys], dtype=float)
    busy_last = np.array([s[m - 1] > 0 for s, _ in keys], dtype=float)
    inside = np.array([sum(s) - s[2 * m - 1] for s, _ in keys], dtype=float)
    return KanbanLine(
        throughput=float(pi @ busy_last) * rates[-1],
        fill=float(pi @ (fg > 0)),
        backorders=float(pi @ back),
        stock=float(pi @ fg),
        wip=float(pi @ inside),
        states=n,
    )


def availability(mtbf: float, mttr: float) -> float:
    """Long-run share of time a machine is up: MTBF / (MTBF + MTTR)."""
    return mtbf / (mtbf + mttr)


# --- consumers ------------------------------------------------------------------------------------
def logit_shares(utilities: Sequence[float] | np.ndarray) -> np.ndarray:
    """Choice probabilities of the options with ``utilities``, after the outside option (utility 0):
    ``[P(no purchase), P(option 1), ...]``."""
    v = np.concatenate([[0.0], np.asarray(utilities, dtype=float)])
    e = np.exp(v - v.max())
    return e / e.sum()


def bass_curve(t: np.ndarray | float, p: float, q: float) -> np.ndarray:
    """The Bass model's adopted share at time ``t``: (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t})."""
    t = np.asarray(t, dtype=float)
    e = np.exp(-(p + q) * t)
    return (1.0 - e) / (1.0 + (q / p) * e)


def bass_daily(days: int, p: float, q: float, n: int) -> np.ndarray:
    """Expected aware share after each of ``days`` daily steps of the discrete rule on a complete
    graph of ``n``: F_{d+1} = F_d + (1 - F_d)(1 - exp(-(p + q n F_d / (n - 1)))), F_0 = 0 (entry d:
    after d + 1 days). The mean-field recursion: exact for the mean up to O(1/n)."""
    f = 0.0
    out = np.empty(days)
    for d in range(days):
        f = f + (1.0 - f) * -math.expm1(-(p + q * f * n / (n - 1)))
        out[d] = f
    return out


def mixed_logit_shares(
    money: Sequence[float] | np.ndarray, beta_median: float, log_sd: float, nodes: int = 80
) -> np.ndarray:
    """Choice shares among options worth ``money`` (price units) to consumers whose logit scale is
    lognormal, beta = beta_median x exp(log_sd Z), and who always choose one of them:
    E_Z[exp(beta m_j) / sum_k exp(beta m_k)], by Gauss-Hermite quadrature with ``nodes`` nodes
    (Train 2009, ch. 6: a mixture of logits is the average of the logits, not the logit at the
    average)."""
    m = np.asarray(money, dtype=float)
    x, w = np.polynomial.hermite_e.hermegauss(nodes)  # weight exp(-x^2 / 2)
    w = w / w.sum()
    beta = beta_median * np.exp(log_sd * x)
    u = beta[:, None] * m[None, :]
    u -= u.max(axis=1, keepdims=True)
    p = np.exp(u)
    p /= p.sum(axis=1, keepdims=True)
    return (w[:, None] * p).sum(axis=0)
