"""Rate limits: fixed windows counted in Redis when ``REDIS_URL`` is set (so several app servers
share them) and in this process otherwise.

A limit is a number of attempts per key (an IP address, an account) per window. When a window is
used up the answer is 429 with ``Retry-After``; the next window starts clean, so a lock-out always
ends and an attacker cannot lock a person out for longer than one window at a time."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after_s: int


class _MemoryCounter:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: dict[str, int] = {}

    def incr(self, key: str, window_s: int) -> int:
        with self.lock:
            if len(self.counts) > 100_000:  # old windows: forget them all rather than grow forever
                self.counts.clear()
            self.counts[key] = self.counts.get(key, 0) + 1
            return self.counts[key]


class _RedisCounter:
    def __init__(self, url: str) -> None:
        from redis import Redis

        self.redis = Redis.from_url(url)

    def incr(self, key: str, window_s: int) -> int:
        pipe = self.redis.pipeline()
        pipe.incr(key)
        pipe.expire(key, window_s + 1)
        count, _ok = pipe.execute()
        return int(count)


def _counter(app: Flask) -> Any:
    counter = app.extensions.get("ratelimit")
    if counter is None:
        url = app.config.get("REDIS_URL")
        counter = _RedisCounter(url) if url else _MemoryCounter()
        app.extensions["ratelimit"] = counter
    return counter


def hit(bucket: str, key: str, limit: int, window_s: int, now: float | None = None) -> Verdict:
    """Count one attempt of ``key`` in ``bucket``; refused beyond ``limit`` per ``window_s``."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return Verdict(True, 0)
    now = time.time() if now is None else now
    window = int(now // window_s)
    count = _counter(current_app).incr(f"rl:{bucket}:{key}:{window}", window_s)
    return Verdict(count <= limit, int((window + 1) * window_s - now) + 1)
