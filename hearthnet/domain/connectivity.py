"""Emergency mode: normal, degraded and emergency, driven by a connectivity probe with
hysteresis, so that one lost packet does not flip a neighbourhood's dashboards."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Mode = Literal["normal", "degraded", "emergency"]


@dataclass
class ModeTracker:
    """Counts consecutive probe outcomes: degraded after `degrade_after` failures, emergency
    after `emergency_after`, and back to normal only after `recover_after` successes."""

    degrade_after: int = 2
    emergency_after: int = 4
    recover_after: int = 3
    mode: Mode = "normal"
    failures: int = 0
    successes: int = 0

    def observe(self, reachable: bool) -> Mode | None:
        """Take one probe outcome; return the new mode when it changed."""
        before = self.mode
        if reachable:
            self.successes, self.failures = self.successes + 1, 0
            if self.successes >= self.recover_after:
                self.mode = "normal"
        else:
            self.failures, self.successes = self.failures + 1, 0
            if self.failures >= self.emergency_after:
                self.mode = "emergency"
            elif self.failures >= self.degrade_after and self.mode == "normal":
                self.mode = "degraded"
        return self.mode if self.mode != before else None
