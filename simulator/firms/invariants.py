"""Conservation laws a firm's books must satisfy at every moment; a breach is a bug, raised loudly.

- material: initial + received = on hand + used, and on hand >= 0;
- plant: units released = completed + in process;
- finished goods: initial stock + completed = on hand + shipped, and on hand >= 0;
- orders: booked = filled + open + cancelled, and every delivered order was filled;
- inventory position = on hand + in process - backorders.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from simulator.firms.firm import Firm


class InvariantError(AssertionError):
    """A conservation law does not hold: the simulation is wrong, not the input."""


def check_firm(firm: Firm) -> None:
    """Raise :class:`InvariantError` naming the firm and the law if any law is broken."""
    p = firm.plant
    spec = firm.spec.factory
    o = firm.orders
    filled = ~np.isnan(o.filled)
    cancelled = ~np.isnan(o.cancelled)
    shipped_units = int(o.qty[filled].sum())
    problems = []
    if spec.initial_material + p.material_received != p.material.level + p.material_used:
        problems.append(
            f"material: {spec.initial_material} + {p.material_received} received != "
            f"{p.material.level} on hand + {p.material_used} used"
        )
    if p.units_released != p.units_completed + p.units_in_process or p.units_in_process < 0:
        problems.append(f"plant: released {p.units_released} != completed + in process")
    if spec.initial_stock + p.units_completed != int(firm.on_hand.sum()) + shipped_units:
        problems.append(
            f"finished goods: {spec.initial_stock} + {p.units_completed} completed != "
            f"{int(firm.on_hand.sum())} on hand + {shipped_units} shipped"
        )
    if (firm.on_hand < 0).any() or p.material.level < 0:
        problems.append("negative stock")
    if o.n != int(filled.sum()) + o.open_count() + int(cancelled.sum()):
        problems.append(
            f"orders: {o.n} booked != {int(filled.sum())} filled + {o.open_count()} open + "
            f"{int(cancelled.sum())} cancelled"
        )
    if (filled & cancelled).any():
        problems.append("an order is both filled and cancelled")
    if (~np.isnan(o.delivered) & ~filled).any():
        problems.append("an order was delivered without being filled")
    ip = int(firm.on_hand.sum()) + p.units_in_process - firm.backorders()
    if firm.inventory_position() != ip:
        problems.append("inventory position != on hand + in process - backorders")
    if problems:
        raise InvariantError(f"firm {firm.name!r} at t={firm.env.now}: " + "; ".join(problems))
