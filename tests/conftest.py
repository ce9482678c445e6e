"""Shared test helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.scenario import Scenario, parse_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


def tiny_scenario(**overrides: object) -> Scenario:
    """A small two-firm market (500 consumers, 40 days) with optional dotted-path overrides."""
    base = parse_scenario(
        {
            "name": "tiny",
            "run": {"days": 40, "warmup_days": 5, "seed": 3},
            "population": {"size": 500},
            "firms": [
                {
                    "name": "Push",
                    "policy": {"name": "supplier_centric", "min_lot": 20},
                    "factory": {"initial_stock": 30, "initial_material": 60},
                },
                {
                    "name": "Pull",
                    "policy": {"name": "demand_centric", "buffer": 5},
                    "factory": {"initial_stock": 10, "initial_material": 60},
                },
            ],
        }
    )
    return base.with_overrides(overrides) if overrides else base


@pytest.fixture
def tiny() -> Scenario:
    return tiny_scenario()
