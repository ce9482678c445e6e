"""Stock-outs at booking: a shopper who finds the shelf empty hears a new date and chooses again.

Picture the day's shoppers reaching the order desks one after another. Each chose a firm at the
day's quote. A firm fills orders from its shelf while the shelf lasts (after the orders already
waiting); the shopper who arrives when it is empty is told the date the firm can really promise
(its quote for an order behind the queue, :meth:`~simulator.policies.base.PeriodicPolicy.quote_for`).
If that date is no later than the day's quote nothing changes: the order waits and is still on
time. Otherwise the shopper chooses again on the same random draw, with that firm's offer at the
new date: they may wait for it (a backorder with the new promise), switch to another firm (and
queue at its desk after its own shoppers), or go without. Every firm is treated the same way,
whatever its supply chain, so a make-to-stock firm that runs out loses the same shoppers a
make-to-order firm with a long quote would.

Customised variants are made to order and never on the shelf: their quote is the firm's day quote.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from simulator.market.choice import Offers

Rechoose = Callable[[np.ndarray, Offers], np.ndarray]
"""Choices (offer index or -1) of the shoppers at rows ``rows`` facing ``offers``, on their draws."""


@dataclass
class Booking:
    """The outcome of a day's booking for the shoppers (rows align with the shoppers)."""

    choice: np.ndarray
    """Offer finally chosen (-1: went without)."""
    quote: np.ndarray
    """Days promised to each buyer (the firm's day quote unless re-quoted at a stock-out)."""
    stocked_out: np.ndarray
    """(shoppers, firms): whether the shopper met a stock-out at the firm."""
    turned_away: np.ndarray
    """Per firm: shoppers who met its stock-out and did not buy from it (switched or went without)."""
    went_without: np.ndarray
    """Per firm: of those, the shoppers who bought nothing at all."""


def book_day(
    offers: Offers,
    choice: np.ndarray,
    arrival: np.ndarray,
    shelf: np.ndarray,
    requote: np.ndarray,
    rechoose: Rechoose,
) -> Booking:
    """Settle the day's choices against each firm's shelf.

    Args:
        offers: the day's offers (their ``quoted_days`` are the day quotes).
        choice: each shopper's choice at the day quotes.
        arrival: each shopper's arrival key: they reach the desks in increasing order of it.
        shelf: per firm, units of the standard variant on the shelf beyond the orders waiting.
        requote: per firm, the days it can promise an order that finds the shelf empty.
        rechoose: the choice rule on the same draws for a subset of shoppers.
    """
    n_firms = len(shelf)
    n = len(choice)
    choice = choice.copy()
    day_quote = np.zeros(n_firms)
    for f in range(n_firms):
        mine = offers.firm == f
        if mine.any():
            day_quote[f] = float(offers.quoted_days[mine][0])
    quote = np.where(choice >= 0, offers.quoted_days[np.maximum(choice, 0)], np.nan)
    stocked = np.zeros((n, n_firms), dtype=bool)
    turned = np.zeros(n_firms, dtype=np.int64)
    without = np.zeros(n_firms, dtype=np.int64)
    left = np.asarray(shelf, dtype=np.int64).copy()
    settled = np.zeros(n, dtype=bool)
    # first come, first served; switchers queue after the firm's own shoppers (next round)
    order = np.argsort(arrival, kind="stable")
    active = order
    for _ in range(n_firms + 1):
        if len(active) == 0:
            break
        c = choice[active]
        std = (c >= 0) & (offers.variant[np.maximum(c, 0)] == 0)
        settled[active[~std]] = True  # went without, or a made-to-order variant
        buyers = active[std]
        firm_of = offers.firm[choice[buyers]]
        out_rows: list[np.ndarray] = []
        for f in range(n_firms):
            rows = buyers[firm_of == f]
            if len(rows) == 0:
                continue
            k = int(min(max(left[f], 0), len(rows)))
            left[f] -= k
            settled[rows[:k]] = True
            rest = rows[k:]
            if len(rest) and requote[f] <= day_quote[f]:
                settled[rest] = True  # the order waits and the promise still holds
                continue
            if len(rest):
                stocked[rest, f] = True
                out_rows.append(rest)
        if not out_rows:
            break
        again = np.concatenate(out_rows)
        before = offers.firm[choice[again]]
        # group the shoppers by the firms they know are out, and choose again on the same draws
        keys = np.packbits(stocked[again], axis=1, bitorder="little")
        _, group = np.unique(keys, axis=0, return_inverse=True)
        new = np.empty(len(again), dtype=np.int64)
        for g in range(int(group.max()) + 1):
            sel = group == g
            q = offers.quoted_days.astype(float).copy()
            for out in np.flatnonzero(stocked[again[sel][0]]).tolist():
                q[offers.firm == out] = requote[out]
            new[sel] = rechoose(again[sel], _with_quotes(offers, q))
        choice[again] = new
        new_firm = np.where(new >= 0, offers.firm[np.maximum(new, 0)], -1)
        stays = new_firm == before
        for f in range(n_firms):
            lost = (before == f) & ~stays
            turned[f] += int(lost.sum())
            without[f] += int((lost & (new < 0)).sum())
        quote[again] = np.where(new >= 0, offers.quoted_days[np.maximum(new, 0)], np.nan)
        waits = again[stays]
        quote[waits] = requote[before[stays]]
        settled[again[stays | (new < 0)]] = True
        # a shopper who comes back to a firm they already know is out waits at its new date
        known = (new >= 0) & stocked[again, np.maximum(new_firm, 0)]
        quote[again[known]] = requote[new_firm[known]]
        settled[again[known]] = True
        active = again[~settled[again]]
    return Booking(choice, quote, stocked, turned, without)


def _with_quotes(offers: Offers, quotes: np.ndarray) -> Offers:
    from dataclasses import replace

    return replace(offers, quoted_days=quotes)
