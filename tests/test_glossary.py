"""The KPI glossary covers every KPI a run reports, and the README prints it as it is."""

from __future__ import annotations

from pathlib import Path

from simulator.experiments.run import run_once
from simulator.glossary import COST_ITEMS, GLOSSARY, entry, is_proportion, markdown, records
from simulator.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]


def test_every_kpi_of_a_run_has_a_glossary_entry() -> None:
    spec = load_scenario(ROOT / "scenarios" / "small.toml")
    summary = run_once(spec, days=30).summary
    for firm in summary["firms"].values():
        missing = [k for k in firm if entry(k) is None]
        assert not missing, f"KPIs without a glossary entry: {missing}"
        assert set(firm["costs"]) == set(COST_ITEMS)
    market = [k for k in summary["market"] if k not in ("consumers", "days", "warmup_days")]
    assert all(entry(k) is not None for k in market)


def test_entries_are_complete_and_flattened_keys_resolve() -> None:
    for e in GLOSSARY.values():
        assert e.definition and e.unit and e.window, e.key
        assert e.proportion == (e.unit == "share"), e.key
    assert entry("costs_material_cost") is GLOSSARY["costs"]
    assert entry("share_gen_z") is GLOSSARY["market_share_by_generation"]
    assert entry("market_no_purchase_share") is GLOSSARY["no_purchase_share"]
    assert is_proportion("otif") and is_proportion("utilisation_make")
    assert not is_proportion("profit") and not is_proportion("no_such_kpi")
    assert {r["key"] for r in records()} == set(GLOSSARY)


def test_readme_prints_the_glossary() -> None:
    """Regenerate with ``python -m simulator.glossary`` when an entry changes."""
    readme = (ROOT / "README.md").read_text()
    assert markdown() in readme
