"""Fault injection and latency shared by every emulator: the flaky network the tool must survive.

Faults are drawn from a seeded RNG so a failing reliability run can be replayed. Control endpoints
(``/_emulator/...``) are never faulted: a test must always be able to inspect and steer the emulator; nor are
requests sent with ``X-Emulator-Fault: off`` (the simulated people, whose edits come through the Sheets UI).
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field

from .http import EmuRequest, EmuResponse, json_response

# The answers a real Google or platform front end gives under load, weighted roughly as seen in practice.
FAULT_KINDS = ("429", "500", "503", "drop")
# A caller that stands for a person in the Sheets UI (tests and the demo) is not on the tool's flaky network.
NO_FAULT_HEADER = "X-Emulator-Fault"


@dataclass
class FaultInjector:
    """Answers a fraction of requests with 429/500/503 or a dropped connection, and adds latency."""

    rate: float = 0.0
    latency_s: float = 0.0
    seed: int | None = None
    kinds: tuple[str, ...] = FAULT_KINDS
    injected: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"fault rate must be between 0 and 1, got {self.rate}")
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()

    def maybe_fault(self, request: EmuRequest, error_body: dict | None = None) -> EmuResponse | None:
        """A faulty answer for this request, or None to let the core answer."""
        if "/_emulator/" in request.path or request.header(NO_FAULT_HEADER) == "off":
            return None
        if self.latency_s:
            time.sleep(self.latency_s)
        with self._lock:
            if self.rate <= 0 or self._rng.random() >= self.rate:
                return None
            kind = self._rng.choice(self.kinds)
            self.injected[kind] = self.injected.get(kind, 0) + 1
        if kind == "drop":
            return EmuResponse(status=0, drop=True)
        code = int(kind)
        status = {429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}[code]
        body = error_body or {
            "error": {"code": code, "message": f"Injected fault ({code}).", "status": status}
        }
        return json_response(code, body)

    @property
    def total(self) -> int:
        """How many faults were injected so far."""
        return sum(self.injected.values())
