"""The population: every consumer's traits and state as numpy columns, and agents as views on them.

Think of a spreadsheet with one row per consumer. The day's decisions for everyone are computed on
whole columns at once (:meth:`Population.day`), which is what lets one machine hold a million
consumers. Each row is also a :class:`Consumer` (a :class:`mesa.Agent`), so ``model.agents``,
``AgentSet`` and the browser view work as Mesa users expect; an agent holds no state of its own, it
reads and writes its row. :meth:`Consumer.step` applies the same decision rule to one consumer in
plain Python: the reference the vectorized pass is tested against.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa
import numpy as np

from simulator.market.choice import (
    ChoiceParams,
    Offers,
    choose,
    choose_one,
    probabilities,
    utilities,
)
from simulator.market.generations import calibration, draw_generations, draw_traits
from simulator.scenario import GENERATIONS
from simulator.scenario import Population as PopulationSpec

if TYPE_CHECKING:
    from simulator.model import MarketModel


@dataclass
class DayChoices:
    """The outcome of one day's shopping: who looked, who bought from whom."""

    shoppers: np.ndarray  # consumer ids who needed the product today
    choice: np.ndarray  # offer index per shopper, -1 = went without
    uniforms: np.ndarray  # the uniform draw each shopper's choice used


class Population:
    """Consumer traits and state as columns.

    Args:
        spec: the population section of the scenario.
        n_firms: number of firms (columns of perceived reputation).
        reputation: each firm's starting reputation.
        rng: the consumers' random stream.
    """

    def __init__(
        self,
        spec: PopulationSpec,
        n_firms: int,
        reputation: np.ndarray,
        rng: np.random.Generator,
    ) -> None:
        self.spec = spec
        self.rng = rng
        n = spec.size
        self.n = n
        self.generation = draw_generations(n, spec.mix.as_tuple(), rng)
        traits = draw_traits(self.generation, rng, spec.value_intensity)
        self.wtp_values = traits.wtp_values
        self.price_sensitivity = traits.price_sensitivity
        self.value_weights = traits.value_weights
        self.delay_tolerance = traits.delay_tolerance
        # state
        self.next_need = rng.uniform(0.0, spec.mean_need_interval_days, n)
        self.waiting = np.zeros(n, dtype=bool)  # an order is open (not yet delivered/cancelled)
        self.last_firm = np.full(n, -1, dtype=np.int16)
        self.purchases = np.zeros(n, dtype=np.int32)
        self.reputation = np.tile(np.asarray(reputation, dtype=np.float32), (n, 1))
        self.need_rate = 1.0  # demand-shift events scale how often needs arise
        dt = calibration()["delay_tolerance"]
        self.choice_params = ChoiceParams(
            reference_price=spec.reference_price,
            purchase_constant=spec.purchase_constant,
            standard_delivery_days=2.0,
            delay_penalty=float(dt["delay_penalty"]),
        )

    def shoppers(self, day: int) -> np.ndarray:
        """Consumers whose need falls due by ``day`` and who are not waiting for an order."""
        return np.flatnonzero((self.next_need <= day) & ~self.waiting)

    def draw_day(self, day: int) -> tuple[np.ndarray, np.ndarray]:
        """Who shops today and the uniform draw each one's choice uses."""
        who = self.shoppers(day)
        return who, self.rng.random(len(who))

    def choose(self, who: np.ndarray, u: np.ndarray, offers: Offers) -> np.ndarray:
        """Vectorized choice for consumers ``who`` with uniforms ``u``."""
        v = utilities(
            offers,
            self.choice_params,
            self.wtp_values[who],
            self.price_sensitivity[who],
            self.value_weights[who],
            self.delay_tolerance[who],
            self.reputation[who],
        )
        return choose(probabilities(v), u)

    def after_choice(self, day: int, who: np.ndarray, choice: np.ndarray) -> None:
        """Update state after shopping: buyers wait for delivery, others look again later."""
        bought = choice >= 0
        buyers = who[bought]
        self.waiting[buyers] = True
        self.last_firm[buyers] = choice[bought]
        self.purchases[buyers] += 1
        skip = who[~bought]
        self.next_need[skip] = day + self.rng.exponential(self.spec.retry_days, len(skip))

    def delivered(self, day: int, consumers: np.ndarray) -> None:
        """Orders arrived: the consumers' next need is drawn from the need interval."""
        self.waiting[consumers] = False
        mean = self.spec.mean_need_interval_days / self.need_rate
        self.next_need[consumers] = day + self.rng.exponential(mean, len(consumers))

    def cancelled(self, day: int, consumers: np.ndarray) -> None:
        """Orders given up: the consumers shop again today."""
        self.waiting[consumers] = False
        self.next_need[consumers] = day

    def share_by_generation(self, choice: np.ndarray, who: np.ndarray, n_firms: int) -> np.ndarray:
        """Counts of purchases (generation x firm) from a day's choices."""
        bought = choice >= 0
        out = np.zeros((len(GENERATIONS), n_firms), dtype=np.int64)
        np.add.at(out, (self.generation[who[bought]], choice[bought]), 1)
        return out


class Consumer(mesa.Agent):
    """One consumer: a view on row ``row`` of the model's :class:`Population`."""

    def __init__(self, model: MarketModel, row: int) -> None:
        super().__init__(model)
        self.row = row

    @property
    def _pop(self) -> Population:
        return self.model.population

    @property
    def generation(self) -> str:
        """The consumer's generation name."""
        return GENERATIONS[int(self._pop.generation[self.row])]

    @property
    def wtp_values(self) -> float:
        """Premium (share of reference price) the consumer pays for a perfectly aligned firm."""
        return float(self._pop.wtp_values[self.row])

    @property
    def delay_tolerance(self) -> float:
        """Extra delivery days the consumer accepts."""
        return float(self._pop.delay_tolerance[self.row])

    @property
    def last_firm(self) -> int:
        """Index of the firm of the last purchase (-1: none yet)."""
        return int(self._pop.last_firm[self.row])

    @property
    def waiting(self) -> bool:
        """Whether an order of this consumer is open."""
        return bool(self._pop.waiting[self.row])

    def decide(self, offers: Offers, u: float) -> int:
        """The consumer's choice with uniform ``u``, by the plain per-agent rule."""
        p = self._pop
        i = self.row
        return choose_one(
            offers,
            p.choice_params,
            float(p.wtp_values[i]),
            float(p.price_sensitivity[i]),
            p.value_weights[i],
            float(p.delay_tolerance[i]),
            p.reputation[i],
            u,
        )
