"""One writer at a time per center: every gateway write takes the center's lock before it reads.

A gateway write reads the whole center, checks the edited item is as the form or ETag read it,
validates the whole changed center and syncs the difference. Checking one item's version is not
enough to make that safe: a save is validated against every other item (pairs, capacities,
references), and two saves that each check first and write afterwards can both pass the check.
So the unit of serialisation is the center, and the lock is taken before the read, so the check,
the validation and the write all see the latest committed data and nobody else can write between.

The lock is a no-op UPDATE of the center's row, held until the caller commits or rolls back. On
PostgreSQL it is that row's lock (other centers are not held up; a second save of this center
waits, then reads what the first committed). On SQLite it is the database's write lock: the
driver opens the transaction at its first write, so this statement starts it, with nothing read
before it in that transaction, and a second writer waits (busy_timeout) instead of reading a
snapshot it could not write from. One statement for both databases, and no extra column to keep.
"""

from __future__ import annotations

from sqlalchemy import update

from scheduler.extensions import db
from scheduler.models import Center


def lock_center(center: Center) -> None:
    """Hold the center's write lock until the transaction ends, then forget what the session had
    loaded, so what is read next is what is committed now (another save may just have committed)."""
    db.session.flush()  # so expiring below loses no pending change
    db.session.execute(update(Center).where(Center.id == center.id).values(timezone=Center.timezone)
                       .execution_options(synchronize_session=False))
    db.session.expire_all()
