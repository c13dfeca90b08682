"""Many emails at once (a publish's notices, invitations to every facilitator), sent in the background.

The messages are written to the outbox in the request that decides them, with their batch, so none is
lost if the server stops; delivery then runs on an RQ ``mail`` queue when ``REDIS_URL`` is set
(``flask --app scheduler worker`` must listen to it), or on a thread of the app otherwise. A page shows
how far a batch has got. Delivering a message twice is prevented by its status: only queued messages
are picked up, so a batch restarted after a crash carries on where it stopped."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor

from flask import Flask, current_app, has_app_context
from sqlalchemy import func, select

from scheduler.extensions import db
from scheduler.models import MailBatch, MailStatus, OutboxMessage
from scheduler.models.accounts import utcnow
from scheduler.services import mail

log = logging.getLogger(__name__)

MAIL_QUEUE = "mail"
COMMIT_EVERY = 10  # progress is written this often, so the page moves without a commit per message


def create(center_id: int, title: str, messages: Iterable[tuple[str, str, str, str]]) -> MailBatch:
    """A batch of (email, name, subject, body), every message queued in the outbox (the caller commits,
    then calls :func:`start`)."""
    batch = MailBatch(center_id=center_id, title=mail.header_text(title, 300), total=0, done=0, failed=0)
    db.session.add(batch)
    db.session.flush()
    for email, name, subject, body in messages:
        message = mail.queue(center_id, email, name, subject, body)
        message.batch_id = batch.id
        batch.total += 1
    if batch.total == 0:
        batch.finished_at = utcnow()
    db.session.flush()
    return batch


def adopt(center_id: int, title: str, messages: list[OutboxMessage]) -> MailBatch:
    """A batch of messages already queued (by :func:`mail.held`); the caller commits, then starts it."""
    batch = create(center_id, title, [])
    for message in messages:
        message.batch_id = batch.id
    batch.total = len(messages)
    batch.finished_at = None if messages else batch.finished_at
    db.session.flush()
    return batch


def start(batch: MailBatch) -> None:
    """Hand a committed batch to its runner: RQ when Redis is configured, a thread otherwise. When the
    queue cannot be reached, a thread of this server sends it instead: the messages are already stored."""
    if batch.finished_at is not None:
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    url = app.config.get("REDIS_URL")
    if url:
        from redis.exceptions import RedisError
        from rq import Queue

        from scheduler.services.solving import redis_connection

        try:
            Queue(app.config.get("MAIL_QUEUE", MAIL_QUEUE), connection=redis_connection(url)).enqueue(
                run_from_rq, batch.id, job_timeout=3600, job_id=f"mail-{batch.id}-{os.urandom(4).hex()}")
            return
        except (RedisError, OSError):
            log.warning("mail batch %s: the mail queue could not be reached; sending it from this server", batch.id)
    executor: ThreadPoolExecutor = app.extensions.setdefault(
        "mail_executor", ThreadPoolExecutor(max_workers=1, thread_name_prefix="mail"))
    future = executor.submit(_run_in_app, app, batch.id)
    app.extensions.setdefault("mail_futures", []).append(future)


def wait_for_batches(app: Flask, timeout_s: float = 60.0) -> None:
    """Until every batch this server started on a thread has finished (tests, and a clean shutdown)."""
    futures: list[Future[None]] = app.extensions.get("mail_futures", [])
    for future in list(futures):
        future.result(timeout=timeout_s)
    futures.clear()


def _run_in_app(app: Flask, batch_id: int) -> None:
    with app.app_context():
        try:
            run(batch_id)
        except Exception:  # a thread's exception is otherwise lost; what was delivered stays counted
            log.exception("mail batch %s stopped", batch_id)
            db.session.rollback()
            raise
        finally:
            db.session.remove()


def run_from_rq(batch_id: int) -> None:
    """The RQ task. ``flask worker`` forks with its app context; a bare ``rq worker`` has none."""
    if has_app_context():
        run(batch_id)
        return
    from scheduler import create_app

    with create_app().app_context():
        run(batch_id)


def run(batch_id: int) -> None:
    """Deliver every queued message of the batch, counting as it goes."""
    batch = db.session.get(MailBatch, batch_id)
    if batch is None:
        return
    ids = list(db.session.scalars(select(OutboxMessage.id).where(
        OutboxMessage.batch_id == batch_id, OutboxMessage.status == MailStatus.QUEUED).order_by(OutboxMessage.id)))
    for n, message_id in enumerate(ids, start=1):
        message = db.session.get(OutboxMessage, message_id)
        if message is None or message.status != MailStatus.QUEUED:
            continue
        try:
            mail.deliver(message)
        except Exception:  # one bad message must not stop the others; it is shown as failed
            log.exception("mail batch %s: message %s could not be delivered", batch_id, message_id)
            message.status = MailStatus.FAILED
            message.error = "Unexpected error"
        if n % COMMIT_EVERY == 0:
            _count(batch)
            db.session.commit()
    _count(batch)
    batch.finished_at = utcnow()
    db.session.commit()


def _count(batch: MailBatch) -> None:
    rows = db.session.execute(select(OutboxMessage.status, func.count()).where(
        OutboxMessage.batch_id == batch.id).group_by(OutboxMessage.status))
    by_status: dict[MailStatus, int] = {status: n for status, n in rows}
    batch.failed = by_status.get(MailStatus.FAILED, 0)
    batch.done = batch.total - by_status.get(MailStatus.QUEUED, 0)


def get(center_id: int, batch_id: int) -> MailBatch | None:
    batch = db.session.get(MailBatch, batch_id)
    return batch if batch is not None and batch.center_id == center_id else None


def recent(center_id: int, limit: int = 5) -> list[MailBatch]:
    return list(db.session.scalars(select(MailBatch).where(MailBatch.center_id == center_id)
                                   .order_by(MailBatch.id.desc()).limit(limit)))
