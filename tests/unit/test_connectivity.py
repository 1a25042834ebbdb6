"""Emergency mode's hysteresis: one failure changes nothing, a run of failures degrades and then
declares an emergency, and only a run of successes brings the node back."""

from __future__ import annotations

from hearthnet.domain.connectivity import ModeTracker


def test_modes_follow_runs_of_outcomes_not_single_ones() -> None:
    tracker = ModeTracker()
    seen = [tracker.observe(ok) for ok in (False, True, False, False, False, False)]
    assert seen == [None, None, None, "degraded", None, "emergency"]
    assert [tracker.observe(ok) for ok in (True, True, False, True, True)] == [None] * 5
    assert tracker.observe(True) == "normal"


def test_flapping_never_leaves_normal() -> None:
    tracker = ModeTracker()
    assert all(tracker.observe(i % 2 == 0) is None for i in range(100))
    assert tracker.mode == "normal"
