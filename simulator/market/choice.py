r"""Consumer choice: a random-utility choice among every firm's offers and not buying, vectorized.

An offer is one variant of one firm's product. Consumer :math:`i` values offer :math:`j` of firm
:math:`f = f(j)` at :math:`m_{ij}` *in price units* (shares of the reference price :math:`p_{ref}`):

.. math::

    m_{ij} = -\Big(\frac{p_j}{p_{ref}} - 1\Big) + w_i\, a_{if} + t_{if}
             + \gamma_q (q_j - \tfrac12) + \gamma_r (r_{if} - \tfrac12) + \gamma_s s_{if}
             + \lambda_i \mathbb{1}[f = \ell_i] + b\, B_{if} + \varsigma_i x_j
             - \kappa \max\big(0,\ d_f - d_0 - \tau_{if}\big)

and its systematic utility is :math:`V_{ij} = c + \beta_i m_{ij} + g_j` against :math:`V_{i0} = 0` for
not buying. The terms:

- :math:`a_{if}` **value alignment against a reference**: with the consumer's weighted ethics score of
  the firm :math:`e_{if} = \omega_i \cdot e_f` and the reference score :math:`r` of a conventional
  product, :math:`a = (e - r) / (1 - r)` above the reference and :math:`(e - r) / r` below it, so
  :math:`a \in [-1, 1]`: a conventional firm earns no share of anyone's willingness to pay
  :math:`w_i` (the premium the consumer pays for an exemplary firm, as the surveys ask it), and a firm
  below the conventional one loses up to :math:`w_i`;
- :math:`t_{if}` the consumer's lasting taste for the firm's brand (horizontal differentiation);
- :math:`q_j` quality, :math:`r_{if}` the firm's reputation as the consumer perceives it,
  :math:`s_{if}` the share of the consumer's neighbours who bought from the firm recently,
  :math:`\lambda_i` loyalty to :math:`\ell_i`, the firm of a satisfying last purchase,
  :math:`B_{if}` whether the consumer is buycotting the firm (premium :math:`b`),
  :math:`x_j \in [0, 1]` how customised the variant is (valued at :math:`\varsigma_i`);
- **waiting for values**: :math:`d_f` is the firm's quoted delivery days, :math:`d_0` standard
  delivery, and the consumer's tolerance for extra days rises with what they would pay for the firm's
  values: :math:`\tau_{if} = \tau_i + \delta\, w_i \max(a_{if}, 0)` (:math:`\delta` days per unit of
  premium); each day beyond it costs :math:`\kappa`;
- :math:`\beta_i` the logit scale (the price coefficient), :math:`c` the utility of buying a
  middling (quality and reputation 1/2), conventional product at the reference price, :math:`g_j`
  the offer's appeal (for example its firm's advertising goodwill, in utility units).

An offer of a firm the consumer boycotts (or will never buy from again) is not in their choice set.
Because every term but :math:`c` and :math:`g_j` sits inside the bracket :math:`\beta_i` multiplies,
the consumer's willingness to pay for any of them is the term itself times :math:`p_{ref}`: raising a
price by it cancels its effect.

**Firm, then variant.** A firm's variants are close substitutes, so the choice is nested: the consumer
chooses a firm by the logit over the firms' inclusive values :math:`I_{if} = \mu \ln \sum_{j \in f}
e^{V_{ij}/\mu}` and then a variant within the firm with probabilities :math:`e^{V_{ij}/\mu} / \sum_{k
\in f} e^{V_{ik}/\mu}` (McFadden's nested logit). With the default :math:`\mu = 0` (the limit) a firm is
worth its best variant to the consumer and the consumer takes that variant (ties split evenly), so a
duplicate variant adds no share; :math:`\mu = 1` is the plain logit over every offer.

A choice is drawn by inverting the cumulative offer probabilities (grouped by firm) with one
uniform draw per consumer, which the vectorized pass and the per-consumer rule share, so both give the
same choice on the same draws, and a counterfactual (another quote, no boycott) on the same draw
shows what the consumer would have done.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from simulator.market.generations import calibration


def _utility_constant(name: str) -> float:
    return float(calibration()["utility"][name])


QUALITY_WEIGHT = _utility_constant("quality")
"""Value of quality (0-1 scale) in price units (``simulator/data/generations.toml``)."""
REPUTATION_WEIGHT = _utility_constant("reputation")
"""Value of perceived reputation (0-1 scale) in price units (``simulator/data/generations.toml``)."""
MIDDLE = 0.5
"""Quality and reputation are valued from the middle of their 0-1 scales, so the purchase constant
is the utility of buying a middling product at the reference price."""


@dataclass(frozen=True)
class Offers:
    """What the market sees today, one entry per offer (a firm's variant), grouped by firm."""

    price: np.ndarray
    ethics: np.ndarray  # (J, 3)
    quality: np.ndarray
    quoted_days: np.ndarray
    available: np.ndarray  # bool: an offer on sale today (False: e.g. closed)
    firm: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    """Firm index of each offer (default: offer j is firm j); a firm's offers are contiguous."""
    variant: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    """Variant index within the firm (default 0)."""
    customisation: np.ndarray = field(default_factory=lambda: np.empty(0))
    """How customised each offer is, 0 (standard) to 1 (made to measure); default 0."""
    appeal: np.ndarray = field(default_factory=lambda: np.empty(0))
    """Utility every consumer adds to the offer beyond the terms below (for example its firm's
    advertising goodwill); default 0."""

    def __post_init__(self) -> None:
        j = len(self.price)
        if len(self.firm) == 0:
            object.__setattr__(self, "firm", np.arange(j, dtype=np.int64))
        if len(self.variant) == 0:
            object.__setattr__(self, "variant", np.zeros(j, dtype=np.int64))
        if len(self.customisation) == 0:
            object.__setattr__(self, "customisation", np.zeros(j))
        if len(self.appeal) == 0:
            object.__setattr__(self, "appeal", np.zeros(j))
        if j > 1 and (np.diff(self.firm) < 0).any():
            raise ValueError("a firm's offers must be contiguous and firms in order")

    def __len__(self) -> int:
        return len(self.price)

    def with_quote(self, firm: int | None, days: float) -> Offers:
        """The same offers with ``firm``'s quote (every firm's if None) set to ``days``."""
        q = self.quoted_days.astype(float).copy()
        if firm is None:
            q[:] = days
        else:
            q[self.firm == firm] = days
        return replace(self, quoted_days=q)


@dataclass(frozen=True)
class ChoiceParams:
    """Market-wide constants of the utility."""

    reference_price: float
    purchase_constant: float
    standard_delivery_days: float
    delay_penalty: float
    buycott_premium: float = 0.0
    peer_weight: float = 0.0
    reference_ethics: float = 0.4
    """Ethics score of the conventional product alignment is measured against."""
    days_per_premium: float = 0.0
    """Extra days of delay tolerance per unit of the premium the consumer pays for the firm's values."""
    quality_weight: float = QUALITY_WEIGHT
    reputation_weight: float = REPUTATION_WEIGHT
    variant_scale: float = 0.0
    """Nested-logit scale of the choice among a firm's variants (0: the best variant; 1: plain logit)."""


@dataclass(frozen=True)
class Chooser:
    """The consumer-side columns of the utility for a group of consumers (rows align).

    Per-firm columns (``reputation``, ``taste``, ``peer_share``, ``buycott``, ``excluded``) have one
    column per firm; ``loyal_firm`` is the firm of a satisfying last purchase (-1: none).
    """

    wtp: np.ndarray
    beta: np.ndarray
    weights: np.ndarray
    tolerance: np.ndarray
    reputation: np.ndarray
    customisation: np.ndarray | None = None
    loyalty: np.ndarray | None = None
    loyal_firm: np.ndarray | None = None
    peer_share: np.ndarray | None = None
    buycott: np.ndarray | None = None
    excluded: np.ndarray | None = None
    taste: np.ndarray | None = None


def alignment(score: np.ndarray | float, reference: float) -> np.ndarray:
    """Alignment in [-1, 1] of weighted ethics scores with the conventional product's ``reference``."""
    e = np.asarray(score, dtype=float)
    return np.where(e >= reference, (e - reference) / (1.0 - reference), (e - reference) / reference)


def alignment_one(score: float, reference: float) -> float:
    """The same for one score (per-consumer reference)."""
    if score >= reference:
        return (score - reference) / (1.0 - reference)
    return (score - reference) / reference


def firm_alignment(weights: np.ndarray, ethics: np.ndarray, reference: float) -> np.ndarray:
    """Alignment of each consumer (rows of ``weights``) with each ethics profile (rows of ``ethics``)."""
    return alignment(weights @ np.atleast_2d(ethics).T, reference)


def tolerance_for(
    params: ChoiceParams, tolerance: np.ndarray, wtp: np.ndarray, align: np.ndarray
) -> np.ndarray:
    """Delay tolerance (extra days) toward firms of alignment ``align`` (shape (n,) or (n, J))."""
    premium = (wtp if align.ndim == 1 else wtp[:, None]) * np.maximum(align, 0.0)
    base = tolerance if align.ndim == 1 else tolerance[:, None]
    return base + params.days_per_premium * premium


@dataclass(frozen=True)
class UtilityTerms:
    """The utilities of a group of consumers split so that counterfactuals cost no recomputation."""

    v: np.ndarray
    """Systematic utilities (consumers, offers), ignoring who may choose what."""
    delay: np.ndarray
    """The utility each offer's quote costs beyond the consumer's tolerance (>= 0)."""
    available: np.ndarray
    """Offers on sale (broadcast to the shape of ``v``)."""
    excluded: np.ndarray | None
    """Offers of firms the consumer boycotts or shuns (None: nobody does)."""

    def utilities(self, *, boycotts: bool = True, fast: np.ndarray | None = None) -> np.ndarray:
        """Utilities with -inf outside the choice set; ``boycotts=False`` lifts the exclusions,
        ``fast`` (bool per offer) quotes standard delivery on those offers."""
        v = self.v if fast is None else self.v + np.where(fast[None, :], self.delay, 0.0)
        ok = self.available
        if boycotts and self.excluded is not None:
            ok = ok & ~self.excluded
        return np.where(ok, v, -np.inf)


def utility_terms(offers: Offers, params: ChoiceParams, c: Chooser) -> UtilityTerms:
    """The utilities of consumers ``c`` for ``offers``, split into their parts."""
    f = offers.firm
    align = firm_alignment(c.weights, offers.ethics, params.reference_ethics)  # (n, J)
    tol = tolerance_for(params, c.tolerance, c.wtp, align)
    excess = np.maximum(0.0, offers.quoted_days[None, :] - params.standard_delivery_days - tol)
    money = (
        -(offers.price[None, :] / params.reference_price - 1.0)
        + c.wtp[:, None] * align
        + params.quality_weight * (offers.quality[None, :] - MIDDLE)
        + params.reputation_weight * (c.reputation[:, f] - MIDDLE)
        - params.delay_penalty * excess
    )
    if c.taste is not None:
        money = money + c.taste[:, f]
    if c.customisation is not None:
        money = money + c.customisation[:, None] * offers.customisation[None, :]
    if c.buycott is not None and params.buycott_premium:
        money = money + params.buycott_premium * c.buycott[:, f]
    if c.peer_share is not None and params.peer_weight:
        money = money + params.peer_weight * c.peer_share[:, f]
    if c.loyalty is not None and c.loyal_firm is not None:
        money = money + np.where(c.loyal_firm[:, None] == f[None, :], c.loyalty[:, None], 0.0)
    v = params.purchase_constant + c.beta[:, None] * money + offers.appeal[None, :]
    delay = c.beta[:, None] * (params.delay_penalty * excess)
    available = np.broadcast_to(offers.available[None, :], v.shape)
    excluded = c.excluded[:, f] if c.excluded is not None else None
    return UtilityTerms(v, delay, available, excluded)


def utilities(offers: Offers, params: ChoiceParams, c: Chooser) -> np.ndarray:
    """Systematic utilities ``V`` of shape (consumers, offers); not buying is 0; -inf: not on offer."""
    return utility_terms(offers, params, c).utilities()


def probabilities(v: np.ndarray) -> np.ndarray:
    """Plain logit probabilities with an outside option of utility 0 in column 0: shape (n, J + 1)."""
    full = np.concatenate([np.zeros((v.shape[0], 1)), v], axis=1)
    full -= full.max(axis=1, keepdims=True)
    e = np.exp(full)
    return e / e.sum(axis=1, keepdims=True)


def nested_probabilities(v: np.ndarray, firm: np.ndarray, scale: float = 0.0) -> np.ndarray:
    """Offer probabilities of the nested choice (firm, then variant), outside option in column 0.

    Args:
        v: utilities (n, J); -inf marks an offer not in the choice set.
        firm: the firm of each offer (contiguous groups).
        scale: the nest scale mu in [0, 1]; 0 takes the best variant (ties split evenly).
    """
    n, j = v.shape
    groups = _groups(firm)
    incl = np.empty((n, len(groups)))
    within = np.zeros((n, j))
    for g, (lo, hi) in enumerate(groups):
        vf = v[:, lo:hi]
        top = vf.max(axis=1)
        ok = np.isfinite(top)
        safe = np.where(ok, top, 0.0)[:, None]
        if scale > 0.0:
            z = np.where(np.isfinite(vf), np.exp((vf - safe) / scale), 0.0)
            total = z.sum(axis=1)
            incl[:, g] = np.where(ok, top + scale * np.log(np.where(ok, total, 1.0)), -np.inf)
        else:
            z = (vf == safe) & np.isfinite(vf)
            total = z.sum(axis=1)
            incl[:, g] = top
        within[:, lo:hi] = np.where(ok[:, None], z / np.maximum(total, 1)[:, None], 0.0)
    pf = probabilities(incl)
    out = np.empty((n, j + 1))
    out[:, 0] = pf[:, 0]
    for g, (lo, hi) in enumerate(groups):
        out[:, 1 + lo : 1 + hi] = pf[:, 1 + g, None] * within[:, lo:hi]
    return out


def _groups(firm: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of each run of equal firm indices."""
    if len(firm) == 0:
        return []
    cut = np.flatnonzero(np.diff(firm)) + 1
    starts = np.concatenate([[0], cut])
    stops = np.concatenate([cut, [len(firm)]])
    return list(zip(starts.tolist(), stops.tolist(), strict=True))


def choose(p: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Offer index chosen by each consumer (-1: not buying), from probabilities and uniforms."""
    cum = np.cumsum(p, axis=1)
    idx = (cum < u[:, None]).sum(axis=1)
    idx = np.minimum(idx, p.shape[1] - 1)  # guard against rounding in the last cumulative sum
    return idx - 1


def choose_offers(offers: Offers, params: ChoiceParams, c: Chooser, u: np.ndarray) -> np.ndarray:
    """The whole rule: utilities, nested probabilities, and the choice on uniforms ``u``."""
    v = utilities(offers, params, c)
    return choose(nested_probabilities(v, offers.firm, params.variant_scale), u)


def choose_one(offers: Offers, params: ChoiceParams, c: Chooser, row: int, u: float) -> int:
    """The same rule for consumer ``row`` of ``c``, written plainly (the reference for tests)."""
    w = c.weights[row]
    wtp = float(c.wtp[row])
    vs: list[float] = []
    for j in range(len(offers)):
        f = int(offers.firm[j])
        if not offers.available[j] or (c.excluded is not None and c.excluded[row, f]):
            vs.append(-math.inf)
            continue
        score = sum(float(w[k]) * float(offers.ethics[j, k]) for k in range(len(w)))
        a = alignment_one(score, params.reference_ethics)
        tol = float(c.tolerance[row]) + params.days_per_premium * wtp * max(a, 0.0)
        excess = max(0.0, float(offers.quoted_days[j]) - params.standard_delivery_days - tol)
        money = -(float(offers.price[j]) / params.reference_price - 1.0) + wtp * a
        money += params.quality_weight * (float(offers.quality[j]) - MIDDLE)
        money += params.reputation_weight * (float(c.reputation[row, f]) - MIDDLE)
        money -= params.delay_penalty * excess
        if c.taste is not None:
            money += float(c.taste[row, f])
        if c.customisation is not None:
            money += float(c.customisation[row]) * float(offers.customisation[j])
        if c.buycott is not None and params.buycott_premium:
            money += params.buycott_premium * float(c.buycott[row, f])
        if c.peer_share is not None and params.peer_weight:
            money += params.peer_weight * float(c.peer_share[row, f])
        if c.loyalty is not None and c.loyal_firm is not None and int(c.loyal_firm[row]) == f:
            money += float(c.loyalty[row])
        vs.append(params.purchase_constant + float(c.beta[row]) * money + float(offers.appeal[j]))
    probs = nested_one(vs, [int(x) for x in offers.firm], params.variant_scale)
    acc = 0.0
    for k, pk in enumerate(probs):
        acc += pk
        if acc >= u:
            return k - 1
    return len(probs) - 2


def nested_one(vs: list[float], firm: list[int], scale: float) -> list[float]:
    """Probabilities (outside option first) of the nested choice for one consumer, plainly."""
    groups: dict[int, list[int]] = {}
    for j, f in enumerate(firm):
        groups.setdefault(f, []).append(j)
    incl: dict[int, float] = {}
    within = [0.0] * len(vs)
    for f, js in groups.items():
        top = max(vs[j] for j in js)
        if top == -math.inf:
            incl[f] = -math.inf
            continue
        if scale > 0.0:
            zs = [math.exp((vs[j] - top) / scale) if vs[j] > -math.inf else 0.0 for j in js]
            total = sum(zs)
            incl[f] = top + scale * math.log(total)
            for j, z in zip(js, zs, strict=True):
                within[j] = z / total
        else:
            best = [j for j in js if vs[j] == top]
            incl[f] = top
            for j in best:
                within[j] = 1.0 / len(best)
    m = max([0.0, *incl.values()])
    e0 = math.exp(-m)
    ef = {f: (math.exp(x - m) if x > -math.inf else 0.0) for f, x in incl.items()}
    total = e0 + sum(ef.values())
    return [e0 / total] + [ef[firm[j]] / total * within[j] for j in range(len(vs))]
