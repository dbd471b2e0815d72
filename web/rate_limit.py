"""Messages per client address: at most ``limit`` in any ``window`` seconds (a sliding log per address)."""
from __future__ import annotations

import math
import time
from collections import deque
from typing import Callable, Deque, Dict


class RateLimiter:
    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic):
        if limit < 1 or window <= 0:
            raise ValueError("the rate limit needs a positive count and window")
        self.limit, self.window, self.clock = limit, window, clock
        self.seen: Dict[str, Deque[float]] = {}

    def retry_after(self, address: str) -> int:
        """0 and the message counts, or the whole seconds until this address may send again."""
        now = self.clock()
        times = self.seen.setdefault(address, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) >= self.limit:
            return max(1, math.ceil(times[0] + self.window - now))
        times.append(now)
        if len(self.seen) > 10_000:
            self._forget_idle(now)
        return 0

    def _forget_idle(self, now: float) -> None:
        for address in [a for a, t in self.seen.items() if not t or t[-1] <= now - self.window]:
            del self.seen[address]
