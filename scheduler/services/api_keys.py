"""Making, finding and revoking a center's API keys.

A key is 256 random bits, shown once; only its SHA-256 is stored, so a copy of the database yields
no working key. Looking a key up by its hash and then comparing in constant time keeps the answer
time independent of how much of a guess was right. Making, revoking and using a key go in the audit
log (using: one entry per request, naming the method and path, never the body)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import ApiKey, ApiKeyScope, Center, User
from scheduler.models.accounts import utcnow
from scheduler.services import audit

TOKEN_PREFIX = "sk_"  # says what the string is when it turns up in a file or a log
# Writing last use on every request would make every read a write; once a minute is enough to show.
LAST_USE_STEP = dt.timedelta(minutes=1)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_key(center: Center, name: str, scope: ApiKeyScope, user: User | None) -> tuple[ApiKey, str]:
    """A new key and its token (the only time the token exists outside the caller's hands)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(center_id=center.id, name=name.strip()[:100], prefix=token[:10], token_hash=_hash(token),
                 scope=scope, created_by=user)
    db.session.add(key)
    db.session.flush()
    audit.record(center.id, user, "api_key.created", f"API key {key.prefix}… {key.name}"[:200], None,
                 {"scope": scope.value})
    return key, token


def list_keys(center: Center) -> list[ApiKey]:
    return list(db.session.scalars(select(ApiKey).where(ApiKey.center_id == center.id)
                                   .order_by(ApiKey.revoked_at.is_not(None), ApiKey.created_at.desc(), ApiKey.id)))


def get_key(center: Center, key_id: int) -> ApiKey | None:
    key = db.session.get(ApiKey, key_id)
    return key if key is not None and key.center_id == center.id else None


def revoke(key: ApiKey, user: User | None) -> bool:
    """Stop a key at once; False when it had already been revoked."""
    if key.revoked_at is not None:
        return False
    key.revoked_at = utcnow()
    audit.record(key.center_id, user, "api_key.revoked", f"API key {key.prefix}… {key.name}"[:200], None, None)
    return True


def find_active(token: str) -> ApiKey | None:
    """The unrevoked key with this token, or None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    digest = _hash(token)
    key = db.session.scalar(select(ApiKey).where(ApiKey.token_hash == digest))
    if key is None or not hmac.compare_digest(key.token_hash, digest) or key.revoked_at is not None:
        return None
    return key


def record_use(key: ApiKey, method: str, path: str, status: int) -> None:
    """One audit entry per request made with the key; last use refreshed at most once a minute."""
    now = utcnow()
    last = key.last_used_at
    if last is not None and last.tzinfo is None:  # SQLite hands back naive UTC
        last = last.replace(tzinfo=dt.UTC)
    if last is None or now - last >= LAST_USE_STEP:
        key.last_used_at = now
    audit.record(key.center_id, None, "api_key.used", f"API key {key.prefix}… {key.name}"[:200], None,
                 {"method": method, "path": path[:300], "status": status})
