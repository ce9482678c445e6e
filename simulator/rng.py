"""Randomness: one root seed per run, named child streams.

Like dealing several decks from one shuffled shoe, a run's root :class:`numpy.random.SeedSequence`
gives each part of the model its own generator, identified by name. The stream of a name depends only
on the root entropy and the name, never on which other streams were asked for or in what order, so
adding a firm does not change the consumers' draws, and two policies compared on the same seed see
the same consumers and shocks (common random numbers).
"""

from __future__ import annotations

import hashlib

import numpy as np


def _name_key(name: str) -> list[int]:
    digest = hashlib.blake2b(name.encode(), digest_size=16).digest()
    return [int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4)]


class Streams:
    """Named, independent :class:`numpy.random.Generator` streams from one root seed.

    Args:
        seed: an integer or a :class:`numpy.random.SeedSequence` (such as one spawned for a
            replication).
    """

    def __init__(self, seed: int | np.random.SeedSequence) -> None:
        self.root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        self._cache: dict[str, np.random.Generator] = {}

    def seed_sequence(self, name: str) -> np.random.SeedSequence:
        """The child seed sequence of ``name``."""
        return np.random.SeedSequence(
            entropy=self.root.entropy,
            spawn_key=(*self.root.spawn_key, *_name_key(name)),
        )

    def get(self, name: str) -> np.random.Generator:
        """The generator of ``name`` (the same object on every call)."""
        if name not in self._cache:
            self._cache[name] = np.random.Generator(np.random.PCG64(self.seed_sequence(name)))
        return self._cache[name]

    def entropy(self) -> dict[str, object]:
        """What reproduces the root: entropy and spawn key (for the run manifest)."""
        return {"entropy": str(self.root.entropy), "spawn_key": list(self.root.spawn_key)}


def replication_seeds(seed: int, n: int) -> list[np.random.SeedSequence]:
    """The seeds of ``n`` replications: ``SeedSequence(seed).spawn(n)``."""
    return np.random.SeedSequence(seed).spawn(n)
