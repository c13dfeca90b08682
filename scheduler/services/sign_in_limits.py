"""Sign-in limits that slow password guessing without letting an attacker lock a person out.

Only wrong passwords count; a right one is never held against anybody. The limits depend on who
is trying (after OWASP's "device cookies" against online guessing):

- A *known device*: a browser that has completed a sign-in to this account carries a signed cookie
  naming the account and its session version ("sign out on every device" ends that trust). Only this
  device's own wrong passwords count against it: 10 per 15 minutes. Attackers elsewhere, from however
  many addresses, never lock a known device out.
- Any other client, per address and account: 10 wrong passwords per 15 minutes. One attacker locks
  out only their own address; the person signs in from theirs.
- All other clients of one account together: 100 wrong passwords per 15 minutes (an attack from
  many addresses). When that is used up, new devices wait for the window; known devices do not.
- Per address, over every account: 30 wrong passwords per 5 minutes (one address trying many
  accounts).
- The password asked again before a sensitive action (``/confirm-password``), per account: 10 wrong
  passwords per 15 minutes. The session is already signed in, so a stolen session cookie must not
  turn into unlimited guessing of the password that guards exports and erasure.

With Redis configured and unreachable, these limits cannot be counted for the whole server, so
``begin`` raises ``ratelimit.LimitsUnavailable`` (a 503 page that says so, with ``Retry-After``).

Every limit is a fixed window (``scheduler/ratelimit.py``, in Redis when configured), so every
lock-out ends on its own, at the latest 15 minutes after the last wrong password counted.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from scheduler import ratelimit
from scheduler.models import User
from scheduler.services.accounts import find_user, normalise_email

DEVICE_COOKIE = "known_device"
DEVICE_COOKIE_PATH = "/sign-in"  # read only by the sign-in steps, sent nowhere else
DEVICE_MAX_AGE_S = 180 * 24 * 3600
DEVICES_PER_BROWSER = 5  # a shared computer at the front desk may be known to a few accounts

DEVICE_LIMIT = (10, 900)
CLIENT_LIMIT = (10, 900)
ACCOUNT_LIMIT = (100, 900)
ADDRESS_LIMIT = (30, 300)
CONFIRM_LIMIT = (10, 900)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="sign-in-device")


def _devices(cookie: str | None) -> list[list[object]]:
    """The cookie's entries, [user id, session version, nonce]; nothing when unsigned, expired or odd."""
    if not cookie or len(cookie) > 4096:
        return []
    try:
        entries = _serializer().loads(cookie, max_age=DEVICE_MAX_AGE_S)
    except BadSignature:
        return []
    if not isinstance(entries, list):
        return []
    return [e for e in entries if isinstance(e, list) and len(e) == 3 and isinstance(e[0], int)
            and isinstance(e[1], int) and isinstance(e[2], str)]


def known_device(user: User | None, cookie: str | None) -> str | None:
    """This browser's nonce for ``user`` when it is a known device of the account, else None."""
    if user is None:
        return None
    return next((str(nonce) for user_id, version, nonce in _devices(cookie)
                 if user_id == user.id and version == user.session_version), None)


def remember_device(user: User, cookie: str | None) -> str:
    """The cookie value that makes this browser a known device of ``user`` (keeping its other accounts)."""
    nonce = known_device(user, cookie) or secrets.token_urlsafe(12)
    others = [e for e in _devices(cookie) if e[0] != user.id]
    return _serializer().dumps([[user.id, user.session_version, nonce], *others][:DEVICES_PER_BROWSER])


@dataclass
class Attempt:
    """One sign-in attempt, counted against every limit that applies until it is known to be no failure."""

    taken: list[ratelimit.Taken]
    refusal: ratelimit.Verdict | None  # the used-up limit with the longest wait; None: check the password

    def not_a_failure(self) -> None:
        """The password was right, or it was never checked: nothing is held against anybody."""
        for taken in self.taken:
            ratelimit.give_back(taken)
        self.taken = []


def begin(email: str, address: str, device_cookie: str | None) -> Attempt:
    """Count an attempt to sign in as ``email`` from ``address``; call ``not_a_failure`` unless it fails."""
    account = normalise_email(email)[:320]
    device = known_device(find_user(account), device_cookie)
    if device is not None:
        limits = [("sign-in-device", f"{account}|{device}", *DEVICE_LIMIT)]
    else:
        limits = [("sign-in-address", address, *ADDRESS_LIMIT),
                  ("sign-in-client", f"{account}|{address}", *CLIENT_LIMIT),
                  ("sign-in-account", account, *ACCOUNT_LIMIT)]
    taken = [ratelimit.take(bucket, key, limit, window) for bucket, key, limit, window in limits]
    refused = [t.verdict for t in taken if not t.verdict.allowed]
    attempt = Attempt(taken, max(refused, key=lambda v: v.retry_after_s) if refused else None)
    if attempt.refusal is not None:
        attempt.not_a_failure()  # a refused attempt checks no password, so it is nobody's failure
    return attempt


def begin_confirmation(user: User) -> Attempt:
    """Count an attempt of a signed-in ``user`` to give their password again; ``not_a_failure`` unless wrong."""
    taken = ratelimit.take("confirm-password", str(user.id), *CONFIRM_LIMIT)
    attempt = Attempt([taken], None if taken.verdict.allowed else taken.verdict)
    if attempt.refusal is not None:
        attempt.not_a_failure()
    return attempt
