"""Feed URLs: issuing, showing again, rotating and resolving the secret token in each person's feed.

A token is HMAC-SHA256(app secret, a random per-token nonce), 256 bits, URL-safe. Only its
SHA-256 is stored, for the lookup; the final comparison is constant-time."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets

from flask import current_app, url_for
from sqlalchemy import ColumnElement, insert, literal, select

from scheduler.extensions import db
from scheduler.models import Facilitator, FeedSeries, FeedToken, Participant
from scheduler.models.accounts import utcnow
from scheduler.services.term import TermState

TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")


def _token(nonce: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, b"feed-token:" + nonce.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


Person = Participant | Facilitator


def _owner_filter(person: Person) -> ColumnElement[bool]:
    if isinstance(person, Participant):
        return FeedToken.participant_id == person.id
    return FeedToken.facilitator_id == person.id


def live_token(person: Person) -> FeedToken | None:
    return db.session.scalar(select(FeedToken).where(_owner_filter(person), FeedToken.revoked_at.is_(None))
                             .order_by(FeedToken.id.desc()).limit(1))


def issue(person: Person) -> str:
    """A new token for ``person``; any earlier one stops working now. The caller commits."""
    previous = db.session.scalar(select(FeedToken).where(_owner_filter(person))
                                 .order_by(FeedToken.id.desc()).limit(1))
    revoke(person)
    nonce = secrets.token_hex(16)
    token = _token(nonce)
    row = FeedToken(center_id=person.center_id, nonce=nonce, token_hash=_hash(token))
    if isinstance(person, Participant):
        row.participant_id = person.id
    else:
        row.facilitator_id = person.id
    db.session.add(row)
    db.session.flush()
    _carry_revisions(previous, row)
    return token


def _carry_revisions(previous: FeedToken | None, new: FeedToken) -> None:
    """A new link shows the same events as the old one (same UIDs): it carries on their SEQUENCE and
    LAST-MODIFIED, so a calendar that re-subscribes is never handed an event older than it holds."""
    if previous is None:
        return
    db.session.execute(insert(FeedSeries).from_select(
        ["token_id", "uid", "fingerprint", "sequence", "modified_at"],
        select(literal(new.id), FeedSeries.uid, FeedSeries.fingerprint, FeedSeries.sequence, FeedSeries.modified_at)
        .where(FeedSeries.token_id == previous.id)))


def revoke(person: Person) -> int:
    rows = list(db.session.scalars(select(FeedToken).where(_owner_filter(person), FeedToken.revoked_at.is_(None))))
    for row in rows:
        row.revoked_at = utcnow()
    return len(rows)


def revoke_if_in_no_group(participant: Participant, state: TermState, day: dt.date) -> int:
    """Someone who has left their last group loses their calendar link at once (it would go on
    showing, to whoever holds the link, which group they were in). A later group gives them a new link
    from their page. Their page, not the calendar, lists any meeting left before ``day``."""
    if any(participant.code in m.members for m in state.meetings if m.date >= day):
        return 0
    return revoke(participant)


def token_for(person: Person, *, create: bool = False) -> str | None:
    """The person's current token, re-derived from its nonce; with ``create``, issue one if none."""
    row = live_token(person)
    if row is not None:
        return _token(row.nonce)
    return issue(person) if create else None


def resolve(token: str) -> FeedToken | None:
    """The live token row for ``token``; malformed, unknown and revoked tokens all give None."""
    if not TOKEN_SHAPE.match(token or ""):
        return None
    digest = _hash(token)
    row = db.session.scalar(select(FeedToken).where(FeedToken.token_hash == digest))
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.token_hash, digest):
        return None
    return row


def feed_urls(token: str) -> tuple[str, str]:
    """The https:// (or http:// in development) and webcal:// forms of one feed URL."""
    https = url_for("feeds.feed", token=token, _external=True)
    return https, "webcal://" + https.split("://", 1)[1]


def feed_url_for_participant(participant: Participant, create: bool = True) -> tuple[str, str] | None:
    """For the participant's own page: their feed URLs, creating a token the first time."""
    token = token_for(participant, create=create)
    return feed_urls(token) if token else None


# Staff calendars: a whole center, one group, or one room (they name no participant).
SCOPES = ("center", "group", "room")


def _scope_filter(center_id: int, scope: str, subject: str | None) -> list[ColumnElement[bool]]:
    return [FeedToken.center_id == center_id, FeedToken.scope == scope,
            FeedToken.subject.is_(None) if subject is None else FeedToken.subject == subject,
            FeedToken.revoked_at.is_(None)]


def scoped_token(center_id: int, scope: str, subject: str | None) -> str | None:
    row = db.session.scalar(select(FeedToken).where(*_scope_filter(center_id, scope, subject))
                            .order_by(FeedToken.id.desc()).limit(1))
    return _token(row.nonce) if row is not None else None


def issue_scoped(center_id: int, scope: str, subject: str | None) -> str:
    """A new staff-calendar token (the old one stops working now). The caller commits."""
    assert scope in SCOPES and (subject is None) == (scope == "center")
    previous = None
    for row in db.session.scalars(select(FeedToken).where(*_scope_filter(center_id, scope, subject))
                                  .order_by(FeedToken.id)):
        row.revoked_at = utcnow()
        previous = row
    nonce = secrets.token_hex(16)
    token = _token(nonce)
    new = FeedToken(center_id=center_id, scope=scope, subject=subject, nonce=nonce, token_hash=_hash(token))
    db.session.add(new)
    db.session.flush()
    _carry_revisions(previous, new)
    return token
