"""Release control: when work may enter the plant, and how much of it.

Picture the dispatcher at the plant's door. The planner has set a stock level for the finished-goods
buffer (on inventory position: on hand + in the plant - backorders); the dispatcher decides when a
job goes in. Hopp and Spearman (*Factory Physics*, 3rd ed., ch. 4 and 10) name three ways, and a
pull policy (:mod:`simulator.policies.demand_centric`) uses one of them:

- **base stock** (one for one): release whatever brings the inventory position back to the level,
  with no cap on work in process. Reviewed continuously, each order releases a job of its own size
  the moment it comes, so the units outstanding at the plant are exactly those of a queue fed by the
  demand (the make-to-stock queue; with a plant of ample machines, the (S - 1, S) system).
- **CONWIP** (constant work in process): the same signal, but a job of ``transfer_batch`` units is
  released only while the units in the plant stay within ``wip_limit``; a job leaving the line makes
  room for the next. With a backlog that never empties the line is closed: ``wip_limit`` units
  circulate, the case of Hopp and Spearman's best, worst and practical-worst-case laws.
- **kanban**: cards at every stage (:mod:`simulator.firms.kanban`); the last stage's cards are the
  level (finished goods plus the units at the last stage), each earlier stage holds ``kanban_cards``.
  A unit enters the plant when the first stage has a card free, moves on only with a card of the
  next stage, and a finished unit's card comes back when an order takes it.

A control is asked to :meth:`Control.release` at each review (periodic) or at each order, completion
and scrap (continuous); it releases at once and says what it did. The level it is handed may change
from one call to the next (the planner re-plans); :meth:`Control.set_level` tells it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from simulator.policies.base import position_of

if TYPE_CHECKING:
    from simulator.firms.firm import Firm
    from simulator.policies.params import DemandCentricParams

VARIANT = 0
"""The variant the buffer holds (the standard one); customised variants are made to order."""


@dataclass(frozen=True)
class Released:
    """What one call released: units, jobs (work orders), and the numbers behind it in words."""

    units: int
    jobs: int
    how: str


class Control(Protocol):
    """A release rule for the buffered variant."""

    name: str

    def install(self, firm: Firm, level: int) -> None:
        """Prepare the firm's plant (before any release)."""

    def set_level(self, firm: Firm, level: int) -> None:
        """The planner's new stock level."""

    def release(self, firm: Firm, level: int) -> Released:
        """Release what the rule allows now and say what was done."""
        ...


class BaseStock:
    """One-for-one base stock: release ``level - inventory position`` as one job, no WIP cap."""

    name = "base_stock"

    def install(self, firm: Firm, level: int) -> None:
        return None

    def set_level(self, firm: Firm, level: int) -> None:
        return None

    def release(self, firm: Firm, level: int) -> Released:
        position = position_of(firm, VARIANT)
        qty = max(level - position, 0)
        if qty:
            firm.release(VARIANT, qty)
        return Released(qty, int(qty > 0), f"base stock: level {level} - position {position}")


class Conwip:
    """CONWIP: jobs of ``batch`` units while the buffer needs work and the plant holds at most ``cap``.

    The cap counts every unit in the plant (customised variants made to order included): it is the
    line's work in process that CONWIP holds constant.
    """

    name = "conwip"

    def __init__(self, cap: int, batch: int) -> None:
        self.cap = cap
        self.batch = batch

    def install(self, firm: Firm, level: int) -> None:
        return None

    def set_level(self, firm: Firm, level: int) -> None:
        return None

    def release(self, firm: Firm, level: int) -> Released:
        position = position_of(firm, VARIANT)
        wip = firm.plant.units_in_process
        need = level - position
        room = self.cap - wip
        jobs = min(math.ceil(need / self.batch), room // self.batch) if need > 0 else 0
        jobs = max(jobs, 0)
        for _ in range(jobs):
            firm.release(VARIANT, self.batch)
        how = (
            f"CONWIP: level {level} - position {position}, cap {self.cap} - wip {wip}, "
            f"jobs of {self.batch}"
        )
        return Released(jobs * self.batch, jobs, how)


class Kanban:
    """Kanban: ``cards`` at each stage before the last, the level's cards at the last.

    A unit job is released for each card free at the first stage (it takes the card at once).
    """

    name = "kanban"

    def __init__(self, cards: int | list[int]) -> None:
        self.cards = cards

    def _counts(self, firm: Firm, level: int) -> list[int]:
        before_last = len(firm.plant.stages) - 1
        cards = self.cards if isinstance(self.cards, list) else [self.cards] * before_last
        return [*cards, max(level, 1)]

    def install(self, firm: Firm, level: int) -> None:
        firm.plant.install_kanban(
            self._counts(firm, level), VARIANT, finished=int(firm.on_hand[VARIANT])
        )

    def set_level(self, firm: Firm, level: int) -> None:
        plant = firm.plant
        plant.set_cards(len(plant.stages) - 1, max(level, 1))

    def release(self, firm: Firm, level: int) -> Released:
        plant = firm.plant
        free = plant.free_cards(0)
        for _ in range(free):
            firm.release(VARIANT, 1)
        on_hand = int(firm.on_hand[VARIANT])
        how = (
            f"kanban: {free} card(s) free at the first stage; cards {self._counts(firm, level)}, "
            f"on hand {on_hand}, in process {plant.units_in_process}"
        )
        return Released(free, free, how)


def make_control(params: DemandCentricParams) -> Control:
    """The control a pull policy's parameters name."""
    if params.control == "conwip":
        return Conwip(params.wip_limit, params.transfer_batch)
    if params.control == "kanban":
        return Kanban(params.kanban_cards)
    return BaseStock()
