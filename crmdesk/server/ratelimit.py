"""A token-bucket rate limiter, one bucket per API token, with an injectable clock for tests."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of one request against its bucket, with what the ``X-RateLimit-*`` headers report."""

    allowed: bool
    limit: int
    remaining: int
    #: Seconds until the bucket is full again.
    reset: int
    #: Seconds until one request is allowed again (0 when allowed).
    retry_after: int

    def headers(self) -> dict[str, str]:
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after)
        return headers


class RateLimiter:
    """``requests`` per ``seconds`` per key, refilled continuously, bursting up to ``requests``."""

    def __init__(self, requests: int, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        if requests < 1 or seconds <= 0:
            raise ValueError("requests and seconds must be positive")
        self.capacity = requests
        self.rate = requests / seconds
        self._clock = clock
        # key -> (tokens left, time of last refill)
        self._buckets: dict[str, tuple[float, float]] = {}

    def hit(self, key: str) -> Decision:
        now = self._clock()
        tokens, last = self._buckets.get(key, (float(self.capacity), now))
        tokens = min(float(self.capacity), tokens + (now - last) * self.rate)
        allowed = tokens >= 1.0
        if allowed:
            tokens -= 1.0
        self._buckets[key] = (tokens, now)
        # A tiny epsilon keeps float noise (0.9999999) from promising a retry one second too early or late.
        retry_after = 0 if allowed else max(1, math.ceil((1.0 - tokens) / self.rate - 1e-9))
        reset = max(0, math.ceil((self.capacity - tokens) / self.rate - 1e-9))
        return Decision(allowed, self.capacity, int(tokens + 1e-9), reset, retry_after)

    def idle(self) -> Decision:
        """What the headers say for a response that consumed no request (no authenticated token)."""
        return Decision(True, self.capacity, self.capacity, 0, 0)
