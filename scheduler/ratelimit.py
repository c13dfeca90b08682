"""Rate limits: fixed windows counted in Redis when ``REDIS_URL`` is set (so several app servers
share them) and in this process otherwise.

A limit is a number of attempts per key (an IP address, an account) per window. When a window is
used up the answer is 429 with ``Retry-After``; the next window starts clean, so a lock-out always
ends. ``hit`` counts every attempt (token guessing, feed polling). ``take`` and ``give_back`` count
only attempts that fail: an attempt is taken before it is checked (so a burst of parallel guesses
cannot slip past the limit) and given back when it succeeds or is refused (sign-in, in
``services/sign_in_limits.py``).

Redis holds counts, never anything a page needs to show, and it may be down or hang. Every Redis
call has a short timeout; after a failure Redis is left alone for ``REDIS_RETRY_S`` and the outage is
logged once, not once per request. Meanwhile the limits on token guessing and feed polling
(``LOCAL_FALLBACK_BUCKETS``) count in this process, so feeds and personal pages keep answering from
the database; every other limit (passwords, two-factor codes) raises ``LimitsUnavailable``, which
answers 503 with ``Retry-After``: a password limit that silently multiplied by the number of server
processes would no longer be the limit the security page promises."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

from flask import Flask, current_app

log = logging.getLogger(__name__)

# Token and API-key guesses hit 256-bit secrets; a feed poll is a subscriber's phone, an API call a
# center's own program. They may count per process while Redis is away. Every other bucket guards a
# password or a code.
LOCAL_FALLBACK_BUCKETS = frozenset({"token-miss", "feed", "api-key-miss", "api-key"})
REDIS_TIMEOUT_S = 0.3  # per call: a hanging Redis costs a request this much, once per retry period
REDIS_RETRY_S = 5.0


class LimitsUnavailable(Exception):
    """The shared counts cannot be read, and this limit must not be counted anywhere else."""

    retry_after_s = int(REDIS_RETRY_S) + 5


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after_s: int


class Counter(Protocol):
    def incr(self, key: str, window_s: int) -> int: ...
    def decr(self, key: str) -> None: ...


def _now() -> float:
    """The limits' clock (a test moves it, also inside a real server's worker processes)."""
    return time.time()


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


class _RedisDown(Exception):
    pass


class _RedisCounter:
    def __init__(self, url: str) -> None:
        from redis import Redis

        self.redis = Redis.from_url(url, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S,
                                    retry_on_timeout=False)
        self.lock = threading.Lock()
        self.down_since: float | None = None
        self.retry_at = 0.0

    def _call(self, work: Any) -> Any:
        from redis.exceptions import RedisError

        if self.down_since is not None and time.monotonic() < self.retry_at:
            raise _RedisDown
        try:
            result = work()
        except (RedisError, OSError) as error:
            with self.lock:
                self.retry_at = time.monotonic() + REDIS_RETRY_S
                if self.down_since is None:
                    self.down_since = time.monotonic()
                    # One line per outage: a traceback per request would bury everything else.
                    log.error("Redis unreachable for the rate limits (%s: %s); token and feed limits count "
                              "in this process, sign-in answers 503 until it is back",
                              type(error).__name__, error)
            raise _RedisDown from error
        if self.down_since is not None:
            with self.lock:
                if self.down_since is not None:
                    log.warning("Redis reachable again after %.0f s; the rate limits are shared again",
                                time.monotonic() - self.down_since)
                    self.down_since = None
        return result

    def incr(self, key: str, window_s: int) -> int:
        def work() -> int:
            pipe = self.redis.pipeline()
            pipe.incr(key)
            pipe.expire(key, window_s + 1)
            count, _ok = pipe.execute()
            return int(count)

        return int(self._call(work))

    def decr(self, key: str) -> None:
        # Never below zero: a window that expired in between must not start in debt.
        self._call(lambda: self.redis.eval(
            "if (tonumber(redis.call('GET', KEYS[1]) or '0') > 0) then redis.call('DECR', KEYS[1]) end", 1, key))


@dataclass
class _Counters:
    shared: Counter
    local: _MemoryCounter  # the process's own counts, for the buckets that may fall back to them


def _counters(app: Flask) -> _Counters:
    counters = app.extensions.get("ratelimit")
    if counters is None:
        url = app.config.get("REDIS_URL")
        local = _MemoryCounter()
        counters = _Counters(_RedisCounter(url) if url else local, local)
        app.extensions["ratelimit"] = counters
    return counters


def hit(bucket: str, key: str, limit: int, window_s: int, now: float | None = None) -> Verdict:
    """Count one attempt of ``key`` in ``bucket``; refused beyond ``limit`` per ``window_s``."""
    return take(bucket, key, limit, window_s, now).verdict


@dataclass(frozen=True)
class Taken:
    """One attempt counted, and where, so that it can be given back to the same window."""

    verdict: Verdict
    counter_key: str | None  # None when rate limits are off
    local: bool = False  # counted in this process while Redis was away


def take(bucket: str, key: str, limit: int, window_s: int, now: float | None = None) -> Taken:
    """Count one attempt of ``key`` in ``bucket``; refused beyond ``limit`` per ``window_s``.

    Raises ``LimitsUnavailable`` when the shared counts cannot be reached and ``bucket`` may not
    fall back to this process's own."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return Taken(Verdict(True, 0), None)
    now = _now() if now is None else now
    window = int(now // window_s)
    counter_key = f"rl:{bucket}:{key}:{window}"
    counters = _counters(current_app)
    local = False
    try:
        count = counters.shared.incr(counter_key, window_s)
    except _RedisDown:
        if bucket not in LOCAL_FALLBACK_BUCKETS:
            raise LimitsUnavailable from None
        count, local = counters.local.incr(counter_key, window_s), True
    return Taken(Verdict(count <= limit, int((window + 1) * window_s - now) + 1), counter_key, local)


def give_back(taken: Taken) -> None:
    """Uncount an attempt that turned out not to be a failure."""
    if taken.counter_key is None:
        return
    counters = _counters(current_app)
    # Redis away: the attempt stays counted, a stricter limit for one window, never a looser one.
    with contextlib.suppress(_RedisDown):
        (counters.local if taken.local else counters.shared).decr(taken.counter_key)
