"""Demand sensing: what a firm can learn about tomorrow's demand from what it can see today.

Picture a demand planner with two screens: the firm's own order desk (every order and support
purchase placed with it, every wait, delivery and cancellation) and a social-listening dashboard
(public posts about any firm, boycotts and buycotts announced in public). She cannot see inside
consumers' heads: who decided privately to boycott or favour a firm, who heard of a scandal, who
went without. A :class:`MarketFeed` is that pair of screens over the consumer event log: it answers
daily counts of public kinds for any firm and of the order desk's kinds for its own firm only, and
refuses every private kind. A policy gets a feed and nothing else from the market, so demand sensing
cannot touch the population even by mistake.

The sensed daily demand is a linear read of the last ``days`` days,
``intercept + sum over kinds k of weight_k x mean daily count of k``, whose weights are estimated
from the data the firm has seen (:func:`fit_weights`): a ridge regression of the mean daily orders of
the following ``days`` days on the signals' means over the preceding ``days`` days, over every day of
the history whose following days are known, shrunk toward the configured weights (the prior, worth
``PRIOR_DAYS`` days of data). Until the firm has seen one such day the prior weights are used as they
are. With the default prior (purchases 1, announced boycotts -0.5, announced buycotts 0.5) a public
boycott wave lowers the forecast at once; the regression then learns how much each announcement
really moves the firm's orders.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

import numpy as np

from simulator.policies.forecasting import Forecast

if TYPE_CHECKING:
    from simulator.firms.firm import Firm

# Kind codes of the consumer event log (simulator.market.eventlog.EventKind), by lower-case name,
# and who may see them (EventKind.visibility). Kept here as data so that policies depend on the log's
# format, not on the market's code; a test holds the two together.
KIND_CODES: dict[str, int] = {
    "purchase": 0,
    "wait": 1,
    "cancel": 2,
    "delivery": 3,
    "post_positive": 4,
    "post_negative": 5,
    "post_values": 6,
    "support_purchase": 9,
    "boycott_announce": 14,
    "buycott_announce": 15,
}
OWN_KINDS = frozenset({"purchase", "wait", "cancel", "delivery", "support_purchase"})
"""Kinds only the firm that took the order sees (its own order desk)."""
PUBLIC_KINDS = frozenset(KIND_CODES) - OWN_KINDS
"""Kinds anyone sees: posts and announced boycotts and buycotts."""
PRIVATE_KINDS = frozenset(
    {
        "boycott_join",
        "boycott_leave",
        "buycott_join",
        "buycott_leave",
        "aware",
        "went_without",
        "lost_to_quote",
    }
)
"""Kinds no firm sees: decisions and knowledge inside consumers' heads, the model's counterfactuals."""
PRIOR_DAYS = 30.0
"""Weight of the configured signal weights in the regression, in days of data (assumption)."""


class CountSource(Protocol):
    """Anything that answers daily event counts (the consumer event log does)."""

    def daily_counts(self, kind: int, firm: int | None, first_day: int, last_day: int) -> np.ndarray:
        """Events of ``kind`` for ``firm`` on each day ``first_day..last_day`` inclusive."""
        ...


class Feed(Protocol):
    """What a policy may read about the market."""

    def counts(self, kind: str, first_day: int, last_day: int, firm: int | None = None) -> np.ndarray:
        """Daily counts of ``kind`` for ``firm`` (default: the reader's own firm)."""
        ...


class MarketFeed:
    """One firm's view of the consumer event log: public kinds for anyone, private kinds for itself.

    Args:
        log: the event log (only its ``daily_counts`` is used).
        firm: index of the firm that reads.
    """

    def __init__(self, log: CountSource, firm: int) -> None:
        self._log = log
        self.firm = firm

    def counts(self, kind: str, first_day: int, last_day: int, firm: int | None = None) -> np.ndarray:
        who = self.firm if firm is None else firm
        if kind in PRIVATE_KINDS:
            raise PermissionError(f"{kind!r} events are private: no firm can see them")
        if kind not in KIND_CODES:
            raise ValueError(f"unknown event kind {kind!r}")
        if kind in OWN_KINDS and who != self.firm:
            raise PermissionError(f"firm {self.firm} cannot see {kind!r} events of firm {who}")
        return np.asarray(self._log.daily_counts(KIND_CODES[kind], who, first_day, last_day))


class OwnOrdersFeed:
    """A feed from the firm's own order book alone, for markets that keep no consumer event log.

    It knows purchases and cancellations (its own desk); public kinds read as zero.
    """

    def __init__(self, firm: Firm) -> None:
        self._firm = firm

    def counts(self, kind: str, first_day: int, last_day: int, firm: int | None = None) -> np.ndarray:
        if kind in PRIVATE_KINDS:
            raise PermissionError(f"{kind!r} events are private: no firm can see them")
        if kind not in KIND_CODES:
            raise ValueError(f"unknown event kind {kind!r}")
        n = max(last_day - first_day + 1, 0)
        out = np.zeros(n, dtype=np.int64)
        if n == 0 or (firm is not None and firm != self._firm.index):
            return out
        o = self._firm.orders
        if kind not in ("purchase", "cancel"):
            return out
        by_day = o.day_counts("placed" if kind == "purchase" else "cancelled")
        lo, hi = max(first_day, 0), min(last_day + 1, len(by_day))
        if hi > lo:
            out[lo - first_day : hi - first_day] = by_day[lo:hi]
        return out


def _window_means(x: np.ndarray, days: int) -> np.ndarray:
    """Mean of ``x`` over the ``days`` entries ending at each index (fewer at the start)."""
    c = np.concatenate([[0.0], np.cumsum(x, dtype=float)])
    i = np.arange(1, len(x) + 1)
    lo = np.maximum(i - days, 0)
    return (c[i] - c[lo]) / (i - lo)


def fit_weights(
    series: Mapping[str, np.ndarray], days: int, prior: Mapping[str, float]
) -> tuple[float, dict[str, float], int]:
    """Estimate the sensing weights from daily series of the signals (index 0 = first day).

    Regresses the mean daily purchases of the ``days`` days after each day on the signals' means over
    the ``days`` days up to it (with an intercept), by ridge regression toward ``prior`` (intercept
    prior 0) with a strength of :data:`PRIOR_DAYS` days of data, scaled by each signal's mean square.

    Returns:
        (intercept, weights by kind, number of days the fit used; 0: the prior as it is).
    """
    kinds = [k for k in prior]
    y_daily = np.asarray(series["purchase"], dtype=float)
    t = len(y_daily)
    rows = t - days  # days s with s + days <= t - 1 (the following window fully seen)
    if rows < 1:
        return 0.0, dict(prior), 0
    x = np.column_stack([_window_means(np.asarray(series[k], dtype=float), days) for k in kinds])
    future = _window_means(y_daily, days)  # mean over the window ending at each day
    xs = np.column_stack([np.ones(t), x])[:rows]
    ys = future[days : days + rows]
    b0 = np.array([0.0, *(prior[k] for k in kinds)])
    scale = np.maximum((xs**2).mean(axis=0), 1e-9)
    a = np.diag(PRIOR_DAYS * scale)
    beta = np.linalg.solve(xs.T @ xs + a, xs.T @ ys + a @ b0)
    return float(beta[0]), dict(zip(kinds, beta[1:].tolist(), strict=True)), rows


def sensed_demand(feed: Feed, day: int, days: int, weights: Mapping[str, float]) -> Forecast:
    """Daily demand sensed from the last ``days`` days up to and including ``day``, with weights
    estimated from everything the feed shows since day 0 (``weights`` is the prior)."""
    prior = {k: float(w) for k, w in weights.items() if w or k == "purchase"}
    prior.setdefault("purchase", 0.0)
    series = {k: feed.counts(k, 0, day).astype(float) for k in prior}
    intercept, fitted, used = fit_weights(series, days, prior)
    first = max(day - days + 1, 0)  # before day 0 there was no market, not a market of zero
    total = np.full(day - first + 1, intercept)
    for kind, w in fitted.items():
        total += w * series[kind][first:]
    total = np.maximum(total, 0.0)  # demand is never negative, whatever the signals say
    sd = float(total.std(ddof=1)) if len(total) > 1 else 0.0
    parts = ", ".join(f"{w:.3g} x {k}" for k, w in fitted.items() if w)
    how = f"fitted on {used} days" if used else "prior weights"
    mean = float(total.mean()) if len(total) else 0.0
    return Forecast(mean, sd, f"sensed over {len(total)} days ({parts}; {how})")
