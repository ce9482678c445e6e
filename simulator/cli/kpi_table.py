"""The KPI table that ``marketsim run`` and ``marketsim factory`` print: the four KPIs teams ask
for (profit, cost, quality, delivery), then service, inventory and bullwhip, one column per firm.

Rows are built from ``summary.json``'s per-firm KPIs (:mod:`simulator.firms.kpis`); each label is
the glossary's name (:mod:`simulator.glossary`), so the table and the README say the same thing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.table import Table

Fmt = Callable[[dict[str, Any]], str]


def _num(v: Any, digits: int = 0) -> str:
    if v is None:
        return "-"
    return f"{v:,.{digits}f}" if isinstance(v, float) else f"{v:,}"


def _pct(v: Any) -> str:
    return "-" if v is None else f"{100 * v:.1f}%"


def _key(key: str, digits: int = 0, pct: bool = False) -> Fmt:
    return lambda k: _pct(k.get(key)) if pct else _num(k.get(key), digits)


def _sum(*items: str) -> Fmt:
    return lambda k: _num(sum(k["costs"].get(i, 0.0) for i in items))


def _pair(a: str, b: str, digits: int = 2) -> Fmt:
    return lambda k: f"{_num(k.get(a), digits)} / {_num(k.get(b), digits)}"


def _service(k: dict[str, Any]) -> str:
    names = {"fill_rate": "fill", "otif": "OTIF", "otif_requested": "OTIF req."}
    what = names.get(k.get("service_measure") or "", "")
    return f"{_pct(k.get('service_level'))} ({what})" if what else _pct(k.get("service_level"))


def _bullwhip(k: dict[str, Any]) -> str:
    return f"{_num(k.get('bullwhip_ratio'), 2)} ({k.get('bullwhip_period_days', '?')} d)"


def _complaints(k: dict[str, Any]) -> str:
    public = k.get("public_complaints")
    base = _num(k.get("complaints"))
    return base if public is None else f"{base} / {_num(public)}"


ROWS: list[tuple[str, str, Fmt]] = [
    ("Profit", "profit (accrual)", _key("profit")),
    ("Profit", "cash profit", _key("cash_profit")),
    ("Profit", "revenue", _key("revenue")),
    ("Profit", "operating margin", _key("operating_margin", pct=True)),
    ("Profit", "contribution margin", _key("contribution_margin", pct=True)),
    ("Cost", "cost per unit", _key("cost_per_unit", 2)),
    ("Cost", "material+production", _sum("material_cost", "production_cost")),
    ("Cost", "capacity+overtime", _sum("capacity_cost", "overtime_cost")),
    ("Cost", "set-ups", _sum("setup_cost")),
    (
        "Cost",
        "holding raw/WIP/FG",
        _sum("holding_cost_material", "holding_cost_wip", "holding_cost_finished"),
    ),
    ("Cost", "obsolescence, write-off", _sum("obsolescence_cost", "write_offs")),
    ("Cost", "backorder penalty", _sum("backorder_cost")),
    ("Cost", "returns: refund+handle", _sum("refunds", "return_cost")),
    ("Cost", "lost-sale margin *", _key("lost_sale_penalty")),
    ("Quality", "defects delivered ppm", _key("defect_ppm")),
    ("Quality", "returns (units)", _key("returns")),
    ("Quality", "complaints firm/public", _complaints),
    ("Quality", "scrap rate (internal)", _key("scrap_rate", pct=True)),
    ("Delivery", "lead time mean/p95 d", _pair("mean_lead_time_days", "lead_time_p95_days")),
    ("Delivery", "OTIF promised day", _key("otif", pct=True)),
    ("Delivery", "OTIF requested day", _key("otif_requested", pct=True)),
    ("Delivery", "quote bias, days", _key("quote_bias_days", 2)),
    ("Service", "service level", _service),
    ("Service", "fill rate", _key("fill_rate", pct=True)),
    ("Service", "cycle service level", _key("cycle_service_level", pct=True)),
    ("Service", "backorders at end", _key("backorders_end")),
    ("Inventory", "value at cost, mean", _key("mean_inventory_value")),
    ("Inventory", "turns, all stocks", _key("inventory_turns", 1)),
    ("Bullwhip", "bullwhip per review", _bullwhip),
    ("Bullwhip", "CV orders / demand", _pair("cv_orders", "cv_demand", 3)),
    ("Bullwhip", "bullwhip weekly", _key("bullwhip_weekly", 2)),
]
"""(section, label, formatter) of each row."""
CAPTION = "* forgone margin on sales lost to the delivery quote, not subtracted from profit"


def kpi_table(firms: dict[str, dict[str, Any]], title: str, market: bool = True) -> Table:
    """The KPI table for ``firms`` (name -> KPIs); ``market`` adds market share."""
    table = Table(title=title, caption=CAPTION)
    table.add_column("")
    table.add_column("KPI", no_wrap=True)
    for name in firms:
        table.add_column(name, justify="right")
    rows = list(ROWS)
    if market:
        rows.insert(3, ("Profit", "market share", _key("market_share", pct=True)))
    section = ""
    for sec, label, fmt in rows:
        if sec != section and section:
            table.add_section()
        head = f"[bold]{sec}[/bold]" if sec != section else ""
        section = sec
        table.add_row(head, label, *[fmt(k) for k in firms.values()])
    return table
