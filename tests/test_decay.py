"""The forgetting curve R = exp(-Δt / (τ·S)) and what the memory service does with it."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from secondme.clock import Clock
from secondme.memory.decay import (
    DecayParams,
    days_until,
    initial_strength,
    reinforced_strength,
    retention,
    should_archive,
)
from secondme.memory.service import MemoryService

days = st.floats(min_value=0, max_value=10_000, allow_nan=False)
strengths = st.floats(min_value=0.1, max_value=1000, allow_nan=False)
taus = st.floats(min_value=0.1, max_value=365, allow_nan=False)


@given(days, strengths, taus)
def test_retention_is_a_probability(dt, s, tau):
    assert 0.0 <= retention(dt, s, tau) <= 1.0


@given(strengths, taus)
def test_retention_starts_at_one(s, tau):
    assert retention(0, s, tau) == 1.0
    assert retention(-3, s, tau) == 1.0  # a clock skew never yields R > 1


@given(days, days, strengths, taus)
def test_retention_falls_with_time(a, b, s, tau):
    lo, hi = sorted((a, b))
    assert retention(hi, s, tau) <= retention(lo, s, tau)


@given(st.floats(min_value=0.01, max_value=1000), strengths, strengths, taus)
def test_stronger_memories_fade_slower(dt, s1, s2, tau):
    weak, strong = sorted((s1, s2))
    assert retention(dt, strong, tau) >= retention(dt, weak, tau)


def test_not_memorybanks_operator_precedence_bug():
    # exp(-t / 5*S) would be exp(-t*S/5): S = 4 would fade *faster* than S = 1.
    assert retention(5, 4, 5) == pytest.approx(math.exp(-5 / 20))
    assert retention(5, 4, 5) > retention(5, 1, 5)


def test_formula_and_time_to_threshold():
    assert retention(7, 2, 7) == pytest.approx(math.exp(-0.5))
    t = days_until(0.05, 2.0, 7.0)
    assert retention(t, 2.0, 7.0) == pytest.approx(0.05)


@given(strengths, st.floats(min_value=0, max_value=1000), taus)
def test_reinforcement_strengthens_and_spacing_helps(s, gap, tau):
    after = reinforced_strength(s, gap, tau)
    assert after > s or after == 1000.0
    assert reinforced_strength(s, gap + 10, tau) >= after  # later recall → bigger gain


@given(st.floats(min_value=0, max_value=1))
def test_importance_raises_starting_strength(importance):
    assert 1.0 <= initial_strength(importance) <= 3.0
    assert initial_strength(importance) <= initial_strength(min(1.0, importance + 0.1))


def test_threshold_and_pin():
    params = DecayParams(tau_days=7, threshold=0.05)
    assert should_archive(0.04, params, pinned=False)
    assert not should_archive(0.06, params, pinned=False)
    assert not should_archive(0.0, params, pinned=True)
    with pytest.raises(ValueError):
        DecayParams(tau_days=0)
    with pytest.raises(ValueError):
        DecayParams(threshold=1.5)


# -- the service ---------------------------------------------------------------

def later(services, days_ahead: float) -> MemoryService:
    """The same bank seen from a later 'now' (what SECONDME_NOW does)."""
    clock = Clock(services.clock.now() + timedelta(days=days_ahead))
    return MemoryService(services.bank, clock, services.memory.decay)


def test_unused_memory_fades_below_threshold_and_is_archived_not_deleted(services):
    keep = services.memory.remember("I ran 5 km on the river path")
    pinned = services.memory.remember("My passport number is in the blue folder")
    fact = services.memory.remember("User lives in Lisbon", kind="fact", trust="derived")
    services.memory.pin(pinned)
    future = later(services, 60)
    assert future.retention_of(future.get(keep)) < services.memory.decay.threshold
    assert future.retention_of(future.get(pinned)) == 1.0
    assert future.retention_of(future.get(fact)) == 1.0

    counts = future.apply_decay()
    assert counts["archived"] == 1
    assert future.get(keep).state == "archived"
    assert future.get(pinned).state == "active"
    assert future.get(fact).state == "active"
    assert future.apply_decay()["archived"] == 0  # idempotent
    note = future.history(keep)[-1]
    assert note["action"] == "archive" and note["actor"] == "decay"

    restored = future.restore(keep)
    assert restored.state == "active"
    assert future.retention_of(restored) == 1.0
    assert future.history(keep)[-1]["action"] == "restore"


def test_fresh_memory_is_not_archived(services):
    memory_id = services.memory.remember("just now")
    assert services.memory.apply_decay()["archived"] == 0
    assert services.memory.get(memory_id).state == "active"


def test_reinforcement_on_use(services):
    memory_id = services.memory.remember("My sister lives in Porto")
    future = later(services, 10)
    before = future.get(memory_id)
    r_before = future.retention_of(before)
    assert future.reinforce([memory_id]) == [memory_id]
    after = future.get(memory_id)
    assert after.strength > before.strength
    assert after.recall_count == before.recall_count + 1
    assert after.last_reinforced_at == future.clock.now_iso()
    assert future.retention_of(after) == 1.0 > r_before
    # and it now fades more slowly than before
    ahead = future.clock.now() + timedelta(days=14)
    assert future.retention_of(after, ahead) > retention(14, before.strength, 7.0)
    entry = future.history(memory_id)[-1]
    assert entry["action"] == "reinforce" and entry["after"]["strength"] == after.strength


def test_past_event_fades_from_its_date(services):
    old = services.memory.remember("Ran 3 km", at=datetime(2024, 3, 1))
    assert services.memory.retention_of(services.memory.get(old)) < 0.2


def test_retention_view_projects_the_curve(services):
    memory_id = services.memory.remember("something")
    view = services.memory.retention_view(services.memory.get(memory_id))
    assert view.r_now == 1.0
    assert 1.0 > view.projected[1] > view.projected[7] > view.projected[30] > 0


def test_tau_and_theta_are_configurable(bank, clock, home, monkeypatch):
    from secondme.config import load_settings
    from secondme.services import build_services

    monkeypatch.setenv("SECONDME_TAU_DAYS", "30")
    monkeypatch.setenv("SECONDME_THETA", "0.2")
    services = build_services(load_settings(home), bank, clock)
    assert services.memory.decay == DecayParams(tau_days=30, threshold=0.2)
