"""The forgetting curve, as pure functions.

R = exp(-Δt / (τ·S)): Δt in days since the memory was last reinforced, S its
strength, τ the base time constant. (MemoryBank's code writes exp(-t / 5*S),
which Python reads as exp(-t·S/5): stronger memories would fade faster. Here the
parentheses are where the paper puts them, and a test checks the direction.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MIN_STRENGTH = 0.1
MAX_STRENGTH = 1000.0


@dataclass(frozen=True)
class DecayParams:
    tau_days: float = 7.0
    threshold: float = 0.05

    def __post_init__(self) -> None:
        if self.tau_days <= 0:
            raise ValueError("tau_days must be positive")
        if not 0 < self.threshold < 1:
            raise ValueError("threshold must be in (0, 1)")


def retention(delta_days: float, strength: float, tau_days: float) -> float:
    """In [0, 1]; 1 at Δt = 0; falls with Δt; falls more slowly for larger S."""
    if strength <= 0:
        raise ValueError("strength must be positive")
    if delta_days <= 0:
        return 1.0
    return math.exp(-delta_days / (tau_days * strength))


def initial_strength(importance: float) -> float:
    """Important memories start stronger: S0 = 1 + 2·importance, importance clamped to [0, 1]."""
    return 1.0 + 2.0 * min(1.0, max(0.0, importance))


def reinforced_strength(strength: float, delta_days: float, tau_days: float) -> float:
    """Spacing effect: recalling a half-faded memory strengthens it more than a fresh one.

    S' = S + 1 + S·(1 − R): immediately after learning (R = 1) S grows by 1;
    recalled near the edge of forgetting (R → 0) it roughly doubles.
    """
    r = retention(delta_days, strength, tau_days)
    return min(MAX_STRENGTH, max(MIN_STRENGTH, strength + 1.0 + strength * (1.0 - r)))


def days_until(threshold: float, strength: float, tau_days: float) -> float:
    """How long until R drops to `threshold` without reinforcement."""
    return -math.log(threshold) * tau_days * strength


def should_archive(r: float, params: DecayParams, pinned: bool) -> bool:
    return not pinned and r < params.threshold
