"""Two-factor sign-in with time-based one-time codes (RFC 6238, through pyotp): the code an
authenticator app shows changes every 30 seconds. A code is accepted one step either side of now
(clocks drift) and never twice (the last accepted step is kept).

The shared secret is kept encrypted (AES-256-GCM) with a key that is not in the database: the
configured ``SECRETS_KEY`` (``SCHEDULER_SECRETS_KEY``), or else one derived from the app's secret key
(``instance/secret_key``). A copy of the database alone gives nobody a second factor; losing the key
means every account sets two-factor sign-in up again."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
import secrets

import pyotp
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import Center, CenterRole, Membership, User

ISSUER = "Group scheduler"
_CODE = re.compile(r"^\d{6}$")
_SEALED_PREFIX = "v1."
_ASSOCIATED = b"totp-secret"


def _key() -> bytes:
    """32 bytes for AES-256-GCM, from configuration only (never from a database row)."""
    material = current_app.config.get("SECRETS_KEY") or current_app.config["SECRET_KEY"]
    raw = material if isinstance(material, bytes) else str(material).encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"scheduler totp secrets").derive(raw)


def seal(secret: str) -> str:
    """The secret as stored: a version prefix, then base64 of a random nonce and the ciphertext."""
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(_key()).encrypt(nonce, secret.encode(), _ASSOCIATED)
    return _SEALED_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(stored: str | None) -> str | None:
    """The secret, or None when there is none or it cannot be opened with this key (another key, a
    value written straight into the database): such an account's codes are then refused."""
    if not stored or not stored.startswith(_SEALED_PREFIX):
        return None
    try:
        blob = base64.urlsafe_b64decode(stored[len(_SEALED_PREFIX):])
        return AESGCM(_key()).decrypt(blob[:12], blob[12:], _ASSOCIATED).decode()
    except (binascii.Error, InvalidTag, ValueError):
        return None


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
    secret = unseal(user.totp_secret)
    if secret is None:
        return False
    step = _accepted_step(secret, code, user.totp_last_step)
    if step is None:
        return False
    user.totp_last_step = step
    return True


def turn_on(user: User, secret: str, code: str) -> bool:
    """Keep ``secret`` for the user if ``code`` shows their app has it."""
    step = _accepted_step(secret, code, None)
    if step is None:
        return False
    user.totp_secret, user.totp_last_step = seal(secret), step
    return True


def turn_off(user: User) -> None:
    user.totp_secret = user.totp_last_step = None


def centers_requiring(user: User) -> list[Center]:
    """The centers this user coordinates that require two-factor sign-in of their coordinators."""
    return list(db.session.scalars(
        select(Center).join(Membership, Membership.center_id == Center.id)
        .where(Membership.user_id == user.id, Membership.role == CenterRole.COORDINATOR,
               Center.require_two_factor.is_(True)).order_by(Center.name)))
