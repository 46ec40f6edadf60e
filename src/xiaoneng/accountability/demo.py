"""问责 and 明查暗访's share of the demo city (filled in below)."""

from __future__ import annotations

import random


def seed(rng: random.Random, scale: int) -> None:
    return None
