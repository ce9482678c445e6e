"""The KPI glossary: what every number in a summary, a KPI table or a report means.

Like the legend printed under a management dashboard, each entry gives a KPI's definition, its
unit, the window it is measured over and the source practitioners cite for it. It is data, so the
README, the reports and the browser view all render the same text (:func:`markdown`,
:func:`records`), and the statistics can ask whether a KPI is a proportion (:func:`is_proportion`:
its intervals must stay in [0, 1]).

Keys are those of ``summary.json``'s per-firm and market sections. Nested KPIs are flattened the
way experiment indexes flatten them: ``costs_material_cost``, ``utilisation_assembly``,
``share_gen_z``; :func:`entry` resolves those too.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

WINDOW = "after warm-up"
WHOLE_RUN = "whole run"


@dataclass(frozen=True)
class Entry:
    """One KPI: its key, a short name, definition, unit, window and source."""

    key: str
    name: str
    group: str
    definition: str
    unit: str
    window: str = WINDOW
    source: str = ""
    proportion: bool = False
    """A share in [0, 1] (its intervals must stay inside)."""


GROUPS: dict[str, str] = {
    "profit": "Profit",
    "cost": "Cost",
    "quality": "Quality",
    "delivery": "Delivery",
    "service": "Service (make-to-stock)",
    "flow": "Flow and inventory",
    "bullwhip": "Bullwhip",
    "market": "Market",
}
"""The four KPIs teams ask for (profit, cost, quality, delivery) first, then the rest."""

HORNGREN = "Horngren, Datar & Rajan, *Cost Accounting* (accrual basis, variable costing)"
SILVER = "Silver, Pyke & Thomas, *Inventory and Production Management in Supply Chains* (2017)"
HOPP = "Hopp & Spearman, *Factory Physics* (2008)"
CHEN = "Chen, Drezner, Ryan & Simchi-Levi (2000), *Management Science* 46(3)"
ASCM = "ASCM (APICS) Dictionary; SCOR model (delivery performance to promise / to request)"

_ENTRIES: tuple[Entry, ...] = (
    # --- profit ----------------------------------------------------------------------------
    Entry(
        "profit",
        "profit (accrual)",
        "profit",
        "Revenue less every cost, with stocks (raw material, work in process, finished goods) "
        "valued at standard variable cost and their change entering profit: cash profit + "
        "change in inventory value. Running stock down is not profit.",
        "money",
        source=HORNGREN,
    ),
    Entry(
        "cash_profit",
        "cash profit",
        "profit",
        "Revenue less every cost as it is paid or charged (material on receipt, production as "
        "it is done): inventory is not capitalised, so building stock lowers it and running "
        "stock down raises it.",
        "money",
        source=HORNGREN,
    ),
    Entry(
        "revenue",
        "revenue",
        "profit",
        "Price times units of the orders shipped (gross, before refunds).",
        "money",
    ),
    Entry("net_revenue", "net revenue", "profit", "Revenue less refunds of returned units.", "money"),
    Entry(
        "operating_margin",
        "operating margin",
        "profit",
        "Accrual profit over net revenue. Consumer-goods makers run about 10-20 % "
        "(Damodaran, margins by industry: household products, food processing).",
        "share of net revenue",
        source="Damodaran, *Margins by sector* (NYU Stern data)",
    ),
    Entry(
        "contribution_margin",
        "contribution margin",
        "profit",
        "Net revenue less the variable cost of the units sold (standard material and "
        "production cost, shipping, return handling), over net revenue.",
        "share of net revenue",
        source=HORNGREN,
    ),
    Entry("units_sold", "units sold", "profit", "Units shipped to customers.", "units"),
    Entry("orders", "orders", "profit", "Orders placed with the firm.", "orders"),
    # --- cost ------------------------------------------------------------------------------
    Entry(
        "costs",
        "cost breakdown",
        "cost",
        "Every cost on the accrual basis, by item (see the cost items below); the items add up "
        "to revenue - profit.",
        "money",
        source=HORNGREN,
    ),
    Entry(
        "cost_per_unit",
        "cost per unit",
        "cost",
        "All costs on the accrual basis (revenue - profit) per unit sold.",
        "money per unit",
        source=HORNGREN,
    ),
    Entry(
        "lost_sales",
        "lost sales",
        "cost",
        "Units consumers did not buy from the firm because of its delivery quote (they bought "
        "elsewhere or went without); market runs only.",
        "units",
    ),
    Entry(
        "lost_sale_penalty",
        "lost-sale penalty",
        "cost",
        "Lost sales times the unit contribution (price - standard cost - shipping): the margin "
        "the firm forwent. Shown beside profit, not subtracted from it (the revenue is already "
        "missing).",
        "money",
        source=SILVER,
    ),
    # --- quality ---------------------------------------------------------------------------
    Entry(
        "defects_delivered",
        "defects delivered",
        "quality",
        "Units that reached customers with a defect (decided when the firm ships).",
        "units",
    ),
    Entry(
        "defect_ppm",
        "defects per million",
        "quality",
        "Defective units delivered per million units delivered.",
        "ppm",
    ),
    Entry(
        "returns",
        "returns",
        "quality",
        "Defective units returned by customers for a refund (every defective delivery).",
        "units",
    ),
    Entry(
        "complaints",
        "complaints",
        "quality",
        "Orders whose customer complained to the firm about a defect.",
        "orders",
    ),
    Entry(
        "public_complaints",
        "public complaints",
        "quality",
        "Posts complaining about the firm in public (late or defective deliveries, orders given "
        "up); market runs only.",
        "posts",
    ),
    Entry(
        "scrap_rate",
        "scrap rate (internal)",
        "quality",
        "Units scrapped in the plant over units released.",
        "share",
        WHOLE_RUN,
        proportion=True,
    ),
    Entry(
        "rework_rate",
        "rework rate (internal)",
        "quality",
        "Extra passes through reworking stages per unit finished there.",
        "passes per unit",
        WHOLE_RUN,
    ),
    # --- delivery --------------------------------------------------------------------------
    Entry(
        "mean_lead_time_days",
        "lead time, mean",
        "delivery",
        "Order to delivery, delivered orders.",
        "days",
    ),
    Entry(
        "lead_time_p95_days",
        "lead time, 95th percentile",
        "delivery",
        "95th percentile of order to delivery, delivered orders.",
        "days",
    ),
    Entry(
        "otif",
        "OTIF (promised day)",
        "delivery",
        "Orders delivered in full on or before the promised calendar day, over the orders whose "
        "promised day fell in the window (cancelled and late orders fail). For make-to-order this "
        "is the service measure.",
        "share",
        source=ASCM,
        proportion=True,
    ),
    Entry(
        "otif_requested",
        "OTIF (requested day)",
        "delivery",
        "The same against the customer's requested calendar day (standard delivery of an item "
        "in stock: order day + shipping days).",
        "share",
        source=ASCM,
        proportion=True,
    ),
    Entry(
        "quote_reliability",
        "quote reliability",
        "delivery",
        "Delivered orders that arrived on or before the promised calendar day, over delivered "
        "orders due in the window.",
        "share",
        source=ASCM,
        proportion=True,
    ),
    Entry(
        "mean_quoted_days",
        "quoted lead time, mean",
        "delivery",
        "Delivery time promised, delivered orders.",
        "days",
    ),
    Entry(
        "quote_bias_days",
        "quote bias",
        "delivery",
        "Mean quoted minus mean actual lead time, delivered orders (positive: quotes longer "
        "than it delivers; negative: promises faster than it delivers).",
        "days",
    ),
    Entry(
        "cancelled",
        "orders given up",
        "delivery",
        "Orders cancelled by customers who stopped waiting.",
        "orders",
    ),
    Entry(
        "backorders_end",
        "backorders at the end",
        "delivery",
        "Units ordered and not yet shipped when the run ends.",
        "units",
        "at the end",
    ),
    # --- service ---------------------------------------------------------------------------
    Entry(
        "make_to",
        "make to",
        "service",
        "How the policy meets demand: 'stock' (make-to-stock) or 'order' (make-to-order).",
        "-",
    ),
    Entry(
        "service_measure",
        "service measure",
        "service",
        "Which KPI is the service level: 'fill_rate' (make-to-stock), 'otif' (make-to-order in "
        "the market, where customers chose knowing the quote) or 'otif_requested' (make-to-order "
        "on a replayed demand history, where they did not).",
        "-",
    ),
    Entry(
        "service_level",
        "service level",
        "service",
        "The service measure's value: fill rate for make-to-stock, OTIF for make-to-order.",
        "share",
        proportion=True,
    ),
    Entry(
        "fill_rate",
        "fill rate (β)",
        "service",
        "Orders met at once from stock on hand (make-to-stock measure; a make-to-order firm "
        "fills few orders from stock by design).",
        "share",
        source=SILVER,
        proportion=True,
    ),
    Entry(
        "unit_fill_rate",
        "unit fill rate",
        "service",
        "Units met at once from stock on hand.",
        "share",
        source=SILVER,
        proportion=True,
    ),
    Entry(
        "cycle_service_level",
        "cycle service level (α)",
        "service",
        "Review periods (replenishment cycles) in which no order had to wait for stock.",
        "share",
        source=SILVER,
        proportion=True,
    ),
    Entry(
        "ready_rate",
        "ready rate",
        "service",
        "Days that closed with finished goods on hand.",
        "share",
        source=SILVER,
        proportion=True,
    ),
    # --- flow and inventory ----------------------------------------------------------------
    Entry(
        "mean_inventory",
        "finished goods, mean",
        "flow",
        "Finished units on hand at the close, mean over days.",
        "units",
    ),
    Entry(
        "mean_inventory_value",
        "inventory value, mean",
        "flow",
        "All stocks (raw material, work in process, finished goods) at standard variable cost, "
        "mean of the daily closing values.",
        "money",
        source=HORNGREN,
    ),
    Entry(
        "mean_value_material",
        "raw material value, mean",
        "flow",
        "Raw material on the shelf at cost, mean of the closing values.",
        "money",
    ),
    Entry(
        "mean_value_wip",
        "work-in-process value, mean",
        "flow",
        "Units in the plant at material plus the stages passed, mean of the closing values.",
        "money",
    ),
    Entry(
        "mean_value_finished",
        "finished goods value, mean",
        "flow",
        "Finished units at standard cost, mean of the closing values.",
        "money",
    ),
    Entry(
        "inventory_turns",
        "inventory turns",
        "flow",
        "Cost of goods sold a year (units sold x standard cost) over the mean value of all "
        "stocks at cost. Consumer-goods makers run about 4-12 turns a year.",
        "per year",
        source=SILVER,
    ),
    Entry(
        "days_of_supply",
        "days of supply",
        "flow",
        "Mean inventory value over the cost of goods sold a day.",
        "days",
        source=SILVER,
    ),
    Entry(
        "mean_wip",
        "work in process, mean",
        "flow",
        "Units in the plant, time average (integrated over the day).",
        "units",
        source=HOPP,
    ),
    Entry(
        "throughput_per_day", "throughput", "flow", "Units finished a day.", "units per day", source=HOPP
    ),
    Entry(
        "mean_flow_time_days",
        "flow time, mean",
        "flow",
        "Release to finished goods, work orders finished in the window, weighted by units.",
        "days",
        source=HOPP,
    ),
    Entry(
        "littles_law_gap",
        "Little's law gap",
        "flow",
        "Mean WIP / (throughput x mean flow time) - 1: near 0 on a long run.",
        "ratio",
        source=HOPP,
    ),
    Entry(
        "utilisation",
        "utilisation",
        "flow",
        "Per stage: machine time setting up or processing over machine time available.",
        "share",
        WHOLE_RUN,
        source=HOPP,
        proportion=True,
    ),
    Entry(
        "machine_shifts_per_day",
        "capacity held",
        "flow",
        "Machine-shifts held a day (machines x shifts, all stages), mean.",
        "machine-shifts",
    ),
    Entry("setups", "set-ups", "flow", "Set-ups done on all stages.", "count", WHOLE_RUN),
    Entry("failures", "machine failures", "flow", "Breakdowns on all stages.", "count", WHOLE_RUN),
    Entry(
        "supplier_down_days",
        "supplier down",
        "flow",
        "Days the supplier shipped nothing (disruptions).",
        "days",
    ),
    # --- bullwhip --------------------------------------------------------------------------
    Entry(
        "bullwhip_ratio",
        "bullwhip (per review period)",
        "bullwhip",
        "Var(units released to the plant) / Var(units ordered by customers), both summed over "
        "the policy's review periods (the bucket it decides in); whole periods after warm-up. "
        "With near-constant demand (small CV of demand) the ratio is unstable and says little.",
        "ratio",
        source=CHEN,
    ),
    Entry(
        "bullwhip_period_days",
        "review period",
        "bullwhip",
        "Days in the bucket the headline bullwhip ratio is measured on.",
        "days",
    ),
    Entry(
        "cv_orders",
        "CV of orders",
        "bullwhip",
        "Coefficient of variation (sd / mean) of units released per review period.",
        "ratio",
    ),
    Entry(
        "cv_demand",
        "CV of demand",
        "bullwhip",
        "Coefficient of variation of units ordered by customers per review period.",
        "ratio",
    ),
    Entry(
        "bullwhip_weekly",
        "bullwhip (weekly)",
        "bullwhip",
        "The ratio on 7-day buckets (starting with the first review period after warm-up), "
        "comparable across policies.",
        "ratio",
        source=CHEN,
    ),
    Entry(
        "bullwhip_daily",
        "bullwhip (daily)",
        "bullwhip",
        "The ratio on daily buckets: with weekly ordering it mostly measures the bucket.",
        "ratio",
    ),
    # --- market ----------------------------------------------------------------------------
    Entry(
        "market_share",
        "market share",
        "market",
        "The firm's consumption orders (one unit each) over all firms' consumption orders; orders "
        "placed only to support a firm are counted apart (support_orders), so the shares sum to 1.",
        "share",
        proportion=True,
    ),
    Entry(
        "support_orders",
        "support orders",
        "market",
        "Orders placed only to support the firm after a virtuous act ('sending one's soul'): "
        "no consumption, the buyer's need unchanged.",
        "orders",
    ),
    Entry(
        "support_share",
        "support share",
        "market",
        "The firm's support orders over all its orders.",
        "share",
        proportion=True,
    ),
    Entry(
        "market_share_by_generation",
        "market share by generation",
        "market",
        "The same within each generation's consumers.",
        "share",
        proportion=True,
    ),
    Entry(
        "no_purchase_share",
        "went without",
        "market",
        "Shopping occasions that ended without a purchase.",
        "share",
        proportion=True,
    ),
    Entry(
        "went_without_by_cause",
        "went without, by cause",
        "market",
        "Shopping occasions that ended without a purchase, by cause, over all occasions: boycott "
        "(the shopper would have bought from a firm they boycott), delivery (they would have bought "
        "had every firm quoted standard delivery), choice (no offer was worth its price to them); "
        "found on the shopper's own random draw.",
        "share",
        proportion=True,
    ),
    Entry(
        "meaning_out",
        "meaning out",
        "market",
        "Counts of consumers acting on their values: values posts, boycott and buycott joins "
        "(private) and announcements (public), boycott leaves, support purchases; and per firm the "
        "peak shares of consumers boycotting it (in all and in public) and the share never "
        "returning at the end.",
        "events",
    ),
)

GLOSSARY: dict[str, Entry] = {e.key: e for e in _ENTRIES}
"""Every KPI by its ``summary.json`` key."""

COST_ITEMS: dict[str, str] = {
    "refunds": "Price refunded for returned (defective) units.",
    "material_cost": "Raw material, paid on receipt (with the ethical-sourcing premium).",
    "production_cost": "Variable cost of each pass of a unit through a stage (rework included).",
    "setup_cost": "Cost of each machine set-up.",
    "holding_cost_material": "Holding rate / 365 x raw material on the shelf at cost, each day.",
    "holding_cost_wip": "Holding rate / 365 x work in process at cost, each day.",
    "holding_cost_finished": "Holding rate / 365 x finished goods at cost, each day.",
    "obsolescence_cost": "Obsolescence rate / 365 x finished goods at cost, each day.",
    "backorder_cost": "Penalty per unit waiting for stock, each day.",
    "shipping_cost": "Shipping per unit shipped.",
    "return_cost": "Handling per unit returned (on top of the refund).",
    "capacity_cost": "Fixed cost of every machine-shift held, worked or not.",
    "overtime_cost": "Premium on machine-shifts beyond a stage's planned shifts.",
    "overhead_cost": "Fixed selling, general and administrative cost a day.",
    "quality_cost": "Spend on quality improvement (a policy's decision).",
    "marketing_cost": "Marketing spend on the days the policy allows it.",
    "write_offs": "Finished goods written off at the end of their shelf life, at cost (accrual).",
    "change_in_inventories": "Decrease in the value of all stocks at cost, write-offs excluded "
    "(negative when stock was built): what turns cash into accrual profit (IAS 1's 'changes in "
    "inventories').",
}
"""Each line of the ``costs`` breakdown."""

_PREFIXES = {"costs_": "costs", "utilisation_": "utilisation", "share_": "market_share_by_generation"}


def entry(key: str) -> Entry | None:
    """The glossary entry of a KPI key, flattened keys (``costs_x``, ``share_gen_z``) included."""
    if key in GLOSSARY:
        return GLOSSARY[key]
    if key.startswith("market_"):  # the market's KPIs in an experiment index
        return GLOSSARY.get(key.removeprefix("market_"))
    for prefix, parent in _PREFIXES.items():
        if key.startswith(prefix):
            return GLOSSARY[parent]
    return None


def is_proportion(key: str) -> bool:
    """Whether a KPI is a share in [0, 1] (so its intervals must stay inside)."""
    e = entry(key)
    return e is not None and e.proportion


def records() -> list[dict[str, str | bool]]:
    """The glossary as a list of plain rows (for tables in reports and the browser view)."""
    return [{**asdict(e), "group_title": GROUPS[e.group]} for e in _ENTRIES]


def markdown() -> str:
    """The glossary as Markdown: one table per group, then the cost items."""
    lines: list[str] = []
    for group, title in GROUPS.items():
        lines += [f"**{title}**", "", "| KPI | key | definition | unit | window | source |"]
        lines.append("|---|---|---|---|---|---|")
        for e in _ENTRIES:
            if e.group == group:
                cells = [e.name, f"`{e.key}`", e.definition, e.unit, e.window, e.source or "-"]
                lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
        lines.append("")
    lines += ["**Cost items** (`costs` in the summary, each in money over the window)", ""]
    lines += ["| item | what it books |", "|---|---|"]
    lines += [f"| `{k}` | {v} |" for k, v in COST_ITEMS.items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # python -m simulator.glossary: the README's glossary section
    print(markdown(), end="")
