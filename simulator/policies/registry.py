"""The fixed registry of policies: a name in a scenario maps to a parameter model and a class."""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel

from simulator.policies.base import Policy
from simulator.policies.demand_centric import DemandCentric
from simulator.policies.params import DemandCentricParams, SupplierCentricParams
from simulator.policies.supplier_centric import SupplierCentric

_REGISTRY: dict[str, tuple[type[BaseModel], type]] = {
    "supplier_centric": (SupplierCentricParams, SupplierCentric),
    "demand_centric": (DemandCentricParams, DemandCentric),
}


def names() -> tuple[str, ...]:
    """Registered policy names."""
    return tuple(_REGISTRY)


def params_model(name: str) -> type[BaseModel]:
    """The parameter model of a policy."""
    return _REGISTRY[name][0]


def build(params: BaseModel, rng: np.random.Generator) -> Policy:
    """A policy object from its validated parameters (their ``name`` picks the class)."""
    name = params.name  # type: ignore[attr-defined]
    return _REGISTRY[name][1](params, rng)
