"""Assembling a firm from its scenario section: the firm, its plant's and supplier's random
streams, and its policy, started on the shared clock.

Every place that puts a firm on a SimPy clock (the market model, the factory-only run, the benchmark's
naive market) builds it here, so the streams a firm draws from are named in one place and a firm gets
the same draws whichever of them runs it.
"""

from __future__ import annotations

import simpy

from simulator.firms.firm import Firm
from simulator.policies import registry
from simulator.policies.base import Policy
from simulator.rng import Streams
from simulator.scenario import Firm as FirmSpec


def build_firm(
    index: int,
    spec: FirmSpec,
    env: simpy.Environment,
    streams: Streams,
    policy: Policy | None = None,
) -> Firm:
    """A firm with its scenario policy (or ``policy``), whose reviews are scheduled on ``env``.

    Args:
        index: the firm's position in the scenario.
        spec: the firm's scenario section.
        env: the SimPy clock it runs on.
        streams: the run's named streams (``factory:NAME``, ``supplier:NAME``, ``quality:NAME``,
            ``policy:NAME``).
        policy: a policy to use instead of the scenario's (tests hand one in).
    """
    firm = Firm(
        index,
        spec,
        env,
        streams.get(f"factory:{spec.name}"),
        streams.get(f"supplier:{spec.name}"),
        quality_rng=streams.get(f"quality:{spec.name}"),
    )
    if policy is None:
        policy = registry.build(spec.policy, streams.get(f"policy:{spec.name}"))
    firm.policy = policy
    policy.start(firm, env)
    return firm
