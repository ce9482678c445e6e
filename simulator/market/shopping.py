"""What a shopper would have done otherwise: why a consumer went without, and sales lost to quotes.

Picture a shop assistant who, after each customer leaves empty-handed, asks "what would have made
you buy?". Because every choice is drawn by inverting the choice probabilities with the consumer's
own uniform draw (:mod:`simulator.market.choice`), the model can ask exactly that: the same consumer,
on the same draw, facing a changed market. The differences are counts of consumers, not estimates:

- **why a shopper went without** (the cause recorded with each WENT_WITHOUT event, tried in this
  order): ``boycott`` if they would have bought had they not been boycotting (or shunning) a firm;
  ``delivery`` if they would have bought had every firm quoted standard delivery (a quote beyond
  their tolerance; a stock-out turning shoppers away counts here too); otherwise ``choice`` (no
  offer was worth its price to them today);
- **sales a firm lost to its quote**: shoppers who would have bought from the firm had it (alone)
  quoted standard delivery, but bought from another firm or went without. The supply side can charge
  the margin of these lost sales to the firm's quoting (KPI glossary: lost sales).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from simulator.market.choice import (
    ChoiceParams,
    Chooser,
    Offers,
    choose,
    choose_offers,
    nested_probabilities,
    utility_terms,
)

CHOICE, DELIVERY, BOYCOTT = 0, 1, 2
"""Codes of :data:`simulator.market.eventlog.WENT_WITHOUT_CAUSES`."""


def went_without_cause(
    offers: Offers, params: ChoiceParams, c: Chooser, u: np.ndarray, choice: np.ndarray
) -> np.ndarray:
    """The cause code of each consumer in ``c`` who chose nothing (``choice`` -1; others get -1)."""
    cause = np.full(len(choice), -1, dtype=np.int8)
    none = np.flatnonzero(choice < 0)
    if len(none) == 0:
        return cause
    cause[none] = CHOICE
    sub = _rows(c, none)
    if sub.excluded is not None and sub.excluded.any():
        free = choose_offers(offers, params, replace(sub, excluded=None), u[none])
        cause[none[free >= 0]] = BOYCOTT
    rest = none[cause[none] == CHOICE]
    late = offers.quoted_days > params.standard_delivery_days
    if len(rest) and late.any():
        fast = offers.with_quote(None, params.standard_delivery_days)
        cf = choose_offers(fast, params, _rows(c, rest), u[rest])
        cause[rest[cf >= 0]] = DELIVERY
    return cause


def lost_to_quote(
    offers: Offers, params: ChoiceParams, c: Chooser, u: np.ndarray, choice: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Sales lost to each firm's quote: (row in ``c``, firm) of every shopper who would have bought
    from the firm had it alone quoted standard delivery, but did not buy from it."""
    actual = np.where(choice >= 0, offers.firm[np.maximum(choice, 0)], -1)
    rows, firms = [], []
    d0 = params.standard_delivery_days
    for f in np.unique(offers.firm[offers.quoted_days > d0]).tolist():
        cf = choose_offers(offers.with_quote(f, d0), params, c, u)
        cf_firm = np.where(cf >= 0, offers.firm[np.maximum(cf, 0)], -1)
        lost = np.flatnonzero((cf_firm == f) & (actual != f))
        rows.append(lost)
        firms.append(np.full(len(lost), f, np.int64))
    if not rows:
        e = np.empty(0, np.int64)
        return e, e
    return np.concatenate(rows), np.concatenate(firms)


def shop_day(
    offers: Offers, params: ChoiceParams, c: Chooser, u: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The day's choices and what the shoppers would have done otherwise, from one utility pass.

    Returns:
        (offer chosen or -1, cause code of going without or -1, rows of the sales lost to quotes,
        the firm each was lost by): the same as :func:`choose_offers`, :func:`went_without_cause`
        and :func:`lost_to_quote`.
    """
    terms = utility_terms(offers, params, c)

    def pick(v: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        uu = u if rows is None else u[rows]
        vv = v if rows is None else v[rows]
        return choose(nested_probabilities(vv, offers.firm, params.variant_scale), uu)

    choice = pick(terms.utilities())
    cause = np.full(len(choice), -1, dtype=np.int8)
    none = np.flatnonzero(choice < 0)
    cause[none] = CHOICE
    d0 = params.standard_delivery_days
    late = offers.quoted_days > d0
    if len(none) and terms.excluded is not None and terms.excluded[none].any():
        free = pick(terms.utilities(boycotts=False), none)
        cause[none[free >= 0]] = BOYCOTT
    rest = none[cause[none] == CHOICE]
    if len(rest) and late.any():
        cf = pick(terms.utilities(fast=late), rest)
        cause[rest[cf >= 0]] = DELIVERY
    actual = np.where(choice >= 0, offers.firm[np.maximum(choice, 0)], -1)
    rows, firms = [], []
    for f in np.unique(offers.firm[late]).tolist():
        cf = pick(terms.utilities(fast=late & (offers.firm == f)))
        cf_firm = np.where(cf >= 0, offers.firm[np.maximum(cf, 0)], -1)
        lost = np.flatnonzero((cf_firm == f) & (actual != f))
        rows.append(lost)
        firms.append(np.full(len(lost), f, np.int64))
    e = np.empty(0, np.int64)
    lost_rows = np.concatenate(rows) if rows else e
    lost_firms = np.concatenate(firms) if firms else e
    return choice, cause, lost_rows, lost_firms


def _rows(c: Chooser, rows: np.ndarray) -> Chooser:
    """The chooser restricted to ``rows``."""
    kw: dict[str, Any] = {k: (None if v is None else v[rows]) for k, v in c.__dict__.items()}
    return replace(c, **kw)
