"""Two-factor sign-in with time-based one-time codes (RFC 6238, through pyotp): the code an
authenticator app shows changes every 30 seconds. A code is accepted one step either side of now
(clocks drift) and never twice (the last accepted step is kept)."""

from __future__ import annotations

import datetime as dt
import re

import pyotp
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import Center, CenterRole, Membership, User

ISSUER = "Group scheduler"
_CODE = re.compile(r"^\d{6}$")


def new_secret() -> str:
    return pyotp.random_base32()  # 160 bits from the secrets module


def setup_uri(user: User, secret: str) -> str:
    """What the authenticator app scans: an otpauth:// URI naming the account and this service."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def _accepted_step(secret: str, code: str, after: int | None) -> int | None:
    code = re.sub(r"\s", "", code or "")
    if not _CODE.match(code):
        return None
    totp = pyotp.TOTP(secret)
    now_step = totp.timecode(dt.datetime.now(dt.UTC))
    for step in (now_step, now_step - 1, now_step + 1):
        if (after is None or step > after) and pyotp.utils.strings_equal(totp.generate_otp(step), code):
            return step
    return None


def check_code(user: User, code: str) -> bool:
    """Whether ``code`` is the user's current code; remembers its step so it cannot be used again."""
    if user.totp_secret is None:
        return False
    step = _accepted_step(user.totp_secret, code, user.totp_last_step)
    if step is None:
        return False
    user.totp_last_step = step
    return True


def turn_on(user: User, secret: str, code: str) -> bool:
    """Keep ``secret`` for the user if ``code`` shows their app has it."""
    step = _accepted_step(secret, code, None)
    if step is None:
        return False
    user.totp_secret, user.totp_last_step = secret, step
    return True


def turn_off(user: User) -> None:
    user.totp_secret = user.totp_last_step = None


def centers_requiring(user: User) -> list[Center]:
    """The centers this user coordinates that require two-factor sign-in of their coordinators."""
    return list(db.session.scalars(
        select(Center).join(Membership, Membership.center_id == Center.id)
        .where(Membership.user_id == user.id, Membership.role == CenterRole.COORDINATOR,
               Center.require_two_factor.is_(True)).order_by(Center.name)))
