"""Column types shared by the models."""

import enum

from sqlalchemy import Enum


def str_enum(enum_type: type[enum.StrEnum], name: str) -> Enum:
    """A portable enum column: a short VARCHAR holding the member's value, with a CHECK constraint
    (no native PostgreSQL enum type, whose changes need special migrations)."""
    return Enum(enum_type, name=name, native_enum=False, create_constraint=True, length=16,
                values_callable=lambda members: [m.value for m in members])
