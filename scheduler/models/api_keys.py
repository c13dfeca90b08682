"""API keys: a center's systems call ``/api/v1`` with one of these as a bearer token.

Only the SHA-256 of a key is kept; the key itself is shown once, when it is made. ``prefix`` (the
key's first characters, which carry no secret worth having) lets a coordinator tell keys apart."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduler.extensions import db
from scheduler.models.accounts import utcnow
from scheduler.models.types import str_enum

if TYPE_CHECKING:
    from scheduler.models.accounts import User
    from scheduler.models.centers import Center


class ApiKeyScope(enum.StrEnum):
    READ = "read"
    READ_WRITE = "read_write"


class ApiKey(db.Model):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[ApiKeyScope] = mapped_column(str_enum(ApiKeyScope, "api_key_scope"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    center: Mapped[Center] = relationship()
    created_by: Mapped[User | None] = relationship()

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def can_write(self) -> bool:
        return self.scope == ApiKeyScope.READ_WRITE
