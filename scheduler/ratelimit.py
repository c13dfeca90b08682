"""Rate limits: fixed windows counted in Redis when ``REDIS_URL`` is set (so several app servers
share them) and in this process otherwise.

A limit is a number of attempts per key (an IP address, an account) per window. When a window is
used up the answer is 429 with ``Retry-After``; the next window starts clean, so a lock-out always
ends. ``hit`` counts every attempt (token guessing, feed polling). ``take`` and ``give_back`` count
only attempts that fail: an attempt is taken before it is checked (so a burst of parallel guesses
cannot slip past the limit) and given back when it succeeds or is refused (sign-in, in
``services/sign_in_limits.py``)."""

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

    def decr(self, key: str) -> None:
        with self.lock:
            if self.counts.get(key, 0) > 0:
                self.counts[key] -= 1


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

    def decr(self, key: str) -> None:
        # Never below zero: a window that expired in between must not start in debt.
        self.redis.eval("if (tonumber(redis.call('GET', KEYS[1]) or '0') > 0) then redis.call('DECR', KEYS[1]) end",
                        1, key)


def _counter(app: Flask) -> Any:
    counter = app.extensions.get("ratelimit")
    if counter is None:
        url = app.config.get("REDIS_URL")
        counter = _RedisCounter(url) if url else _MemoryCounter()
        app.extensions["ratelimit"] = counter
    return counter


def hit(bucket: str, key: str, limit: int, window_s: int, now: float | None = None) -> Verdict:
    """Count one attempt of ``key`` in ``bucket``; refused beyond ``limit`` per ``window_s``."""
    return take(bucket, key, limit, window_s, now).verdict


@dataclass(frozen=True)
class Taken:
    """One attempt counted, and where, so that it can be given back to the same window."""

    verdict: Verdict
    counter_key: str | None  # None when rate limits are off


def take(bucket: str, key: str, limit: int, window_s: int, now: float | None = None) -> Taken:
    """Count one attempt of ``key`` in ``bucket``; refused beyond ``limit`` per ``window_s``."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return Taken(Verdict(True, 0), None)
    now = time.time() if now is None else now
    window = int(now // window_s)
    counter_key = f"rl:{bucket}:{key}:{window}"
    count = _counter(current_app).incr(counter_key, window_s)
    return Taken(Verdict(count <= limit, int((window + 1) * window_s - now) + 1), counter_key)


def give_back(taken: Taken) -> None:
    """Uncount an attempt that turned out not to be a failure."""
    if taken.counter_key is not None:
        _counter(current_app).decr(taken.counter_key)
