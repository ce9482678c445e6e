"""Public sharing: the posts consumers make today, which their neighbours read tomorrow.

Think of a day's feed. After a delivery a consumer on social media may post about it (praise when it
came on time and whole, a complaint when it was late or defective, and unhappy customers post more
often), after giving up on an order they may complain, and when they take a stand (join a boycott or
a buycott, or buy only to support a firm) they may show their values ("meaning out"). Posts are
collected in a buffer during the day and published at its end: neighbours react to them the next
day (:func:`simulator.market.social.word_of_mouth`), so every consumer's day reads only yesterday's
public feed, which is what makes the vectorized pass and the per-agent rule agree.
"""

from __future__ import annotations

import numpy as np

from simulator.market.eventlog import EventKind
from simulator.scenario import Social

POST_KINDS = (EventKind.POST_POSITIVE, EventKind.POST_NEGATIVE, EventKind.POST_VALUES)


class PostBuffer:
    """Posts of one day as parallel lists of arrays: who posted, about which firm, what kind, sign."""

    def __init__(self) -> None:
        self._who: list[np.ndarray] = []
        self._firm: list[np.ndarray] = []
        self._kind: list[np.ndarray] = []
        self._sign: list[np.ndarray] = []

    def add(self, kind: EventKind, who: np.ndarray, firm: np.ndarray | int, sign: float = 1.0) -> None:
        """Add posts of one kind (``sign`` -1 for a protest, +1 otherwise)."""
        k = len(who)
        if k == 0:
            return
        self._who.append(np.asarray(who, np.int64))
        self._firm.append(np.broadcast_to(np.asarray(firm, np.int64), (k,)).copy())
        self._kind.append(np.full(k, int(kind), np.int8))
        self._sign.append(np.full(k, sign))

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(who, firm, kind, sign) of every post, in the order added."""
        if not self._who:
            e = np.empty(0, np.int64)
            return e, e, np.empty(0, np.int8), np.empty(0)
        return (
            np.concatenate(self._who),
            np.concatenate(self._firm),
            np.concatenate(self._kind),
            np.concatenate(self._sign),
        )

    def weights(self, social: Social) -> np.ndarray:
        """Each post's effect on a neighbour's perceived reputation (before susceptibility)."""
        _, _, kind, sign = self.arrays()
        w = np.where(
            kind == EventKind.POST_POSITIVE,
            social.positive_weight,
            np.where(kind == EventKind.POST_NEGATIVE, -social.negative_weight, 0.0),
        )
        return np.where(kind == EventKind.POST_VALUES, social.values_weight * sign, w)

    def __len__(self) -> int:
        return int(sum(len(w) for w in self._who))

    def count(self, kind: EventKind) -> int:
        """Posts of one kind."""
        return int(sum(int((k == int(kind)).sum()) for k in self._kind))
