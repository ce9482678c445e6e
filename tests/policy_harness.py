"""A firm and its policy on their own SimPy clock, fed a given daily demand (no consumer market).

Tests of a policy's mechanics need its firm, plant and policy, and a demand they control exactly;
the consumer market would only add noise. :func:`drive` books ``demand[d]`` single-unit orders on
each day ``d`` in the model's order of events (completions due by the day's start, purchases, the
rest of the day in the plant, books close) and checks the firm's conservation laws every day.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import simpy

from simulator.firms.firm import DayRecord, Firm
from simulator.firms.invariants import check_firm
from simulator.policies import registry
from simulator.policies.base import PeriodicPolicy
from simulator.rng import Streams
from simulator.scenario import Firm as FirmSpec


def make_firm(
    spec: dict[str, Any], seed: int = 0, policy: PeriodicPolicy | None = None
) -> tuple[Firm, simpy.Environment]:
    """A started firm from a scenario-style firm section (``policy`` replaces the registry's)."""
    s = FirmSpec.model_validate({"name": "F", **spec})
    env = simpy.Environment()
    streams = Streams(seed)
    firm = Firm(0, s, env, streams.get("factory:F"), streams.get("supplier:F"))
    firm.policy = policy if policy is not None else registry.build(s.policy, streams.get("policy:F"))
    firm.policy.start(firm, env)
    return firm, env


def drive(
    firm: Firm,
    env: simpy.Environment,
    demand: Sequence[int] | np.ndarray,
    after_day: Callable[[int], None] | None = None,
    custom: Sequence[int] | np.ndarray | None = None,
    check_every: int = 1,
) -> list[DayRecord]:
    """Run one day per entry of ``demand`` (orders of one unit, never cancelled); the day records.

    ``custom[d]`` more orders of variant 1 (a customised variant) are booked after day d's others.
    The conservation laws are checked every ``check_every`` days and on the last day (the ledger
    check reads every order, so long runs check less often).
    """
    start = firm.env.now
    first = int(np.ceil(start))
    records = []
    for d, n in enumerate(demand, start=first):
        while env.peek() <= d:
            env.step()
        k = 0 if custom is None else int(custom[d - first])
        who = np.arange(int(n) + k, dtype=np.int64)
        variant = np.r_[np.zeros(int(n)), np.ones(k)].astype(np.int16)
        firm.book(who, variant, np.full(len(who), np.inf))
        env.run(until=d + 1)
        records.append(firm.close_day())
        if (d - first) % check_every == 0 or d - first == len(demand) - 1:
            check_firm(firm)
        if after_day is not None:
            after_day(d)
    return records
