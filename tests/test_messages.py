"""Messages: the outbox's links can be opened and copied, greetings use the whole name, bulk sends go
out in the background with a progress page, and giving the password again finishes the action it
interrupted."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import MailBatch, MailStatus, OutboxMessage
from scheduler.services import mail, mail_batches
from scheduler.views import auth
from tests.conftest import PASSWORD, sign_in


@pytest.fixture
def center_id(make_center: Callable[..., int], make_coordinator: Callable[..., None]) -> int:
    cid = make_center("North")
    make_coordinator("ana@example.org", "North")
    return cid


def test_the_outbox_makes_links_clickable_and_copyable_and_greets_by_the_whole_name(
        app: Flask, client: FlaskClient, center_id: int) -> None:
    sign_in(client, "ana@example.org")
    client.post(f"/centers/{center_id}/answers/p1/invite")
    html = client.get(f"/centers/{center_id}/outbox").get_data(as_text=True)
    link = re.search(r'<a href="(http://localhost/p/[^"]+)" rel="noreferrer noopener">', html)
    assert link is not None, "the personal link is clickable"
    assert "Hello Participant 1,\n" in html  # not "Hello Participant,"
    assert "Copy the link" in html and "Copy the message" in html
    assert f">{link.group(1)}</span>" in html  # what the Copy button copies


def test_inviting_every_facilitator_sends_in_the_background_with_progress(
        app: Flask, client: FlaskClient, center_id: int) -> None:
    sign_in(client, "ana@example.org")
    response = client.post(f"/centers/{center_id}/answers/facilitators/invite-all")
    assert "/outbox/batches/" in response.headers["Location"]
    mail_batches.wait_for_batches(app)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Invitations to facilitators" in page and "Done: 8 emails sent or kept in the outbox." in page
    with app.app_context():
        batch = db.session.scalar(select(MailBatch))
        assert batch is not None and (batch.total, batch.done) == (8, 8)
        statuses = {m.status for m in db.session.scalars(select(OutboxMessage))}
        assert statuses == {MailStatus.OUTBOX}


def test_a_batch_of_another_center_is_not_found(app: Flask, client: FlaskClient, center_id: int,
                                               make_center: Callable[..., int]) -> None:
    other = make_center("South")
    with app.app_context():
        batch = mail_batches.create(other, "Theirs", [("x@example.org", "X", "Hi", "Body")])
        db.session.commit()
        batch_id = batch.id
    sign_in(client, "ana@example.org")
    assert client.get(f"/centers/{center_id}/outbox/batches/{batch_id}").status_code == 404


def test_giving_the_password_again_finishes_the_interrupted_action(
        app: Flask, client: FlaskClient, center_id: int, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [4_000_000.0]
    monkeypatch.setattr(auth.time, "time", lambda: clock[0])
    sign_in(client, "ana@example.org")
    clock[0] += auth.RECENT_PASSWORD_S + 1
    target = f"/centers/{center_id}/answers/facilitators/invite-all"
    response = client.post(target, headers={"Referer": f"http://localhost/centers/{center_id}/answers/"})
    assert response.headers["Location"].startswith("/confirm-password?next=")
    with app.app_context():
        assert db.session.query(OutboxMessage).count() == 0  # nothing done yet
    page = client.post(response.headers["Location"], data={"password": PASSWORD}).get_data(as_text=True)
    assert f'<form method="post" action="{target}" id="continue-form"' in page
    assert "js/continue.js" in page and "Finish what I asked for" in page
    # What static/js/continue.js sends (the browser test runs the script itself).
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))
    done = client.post(target, data=fields)
    assert "/outbox/batches/" in done.headers["Location"]
    mail_batches.wait_for_batches(app)
    with app.app_context():
        assert db.session.query(OutboxMessage).count() == 8


def test_a_wrong_password_keeps_the_action_for_the_next_try(
        app: Flask, client: FlaskClient, center_id: int, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [4_000_000.0]
    monkeypatch.setattr(auth.time, "time", lambda: clock[0])
    sign_in(client, "ana@example.org")
    clock[0] += auth.RECENT_PASSWORD_S + 1
    target = f"/centers/{center_id}/answers/facilitators/invite-all"
    confirm = client.post(target).headers["Location"]
    assert "That is not your password." in client.post(confirm, data={"password": "wrong"}).get_data(as_text=True)
    page = client.post(confirm, data={"password": PASSWORD}).get_data(as_text=True)
    assert f'action="{target}"' in page


def test_the_outbox_shows_pages_of_50_newest_first_and_finds_by_name_address_or_subject(
        app: Flask, client: FlaskClient, center_id: int) -> None:
    with app.app_context():
        for n in range(1, 121):
            mail.queue(center_id, f"person{n}@example.org", f"Person {n}", f"North: notice {n}", "Body")
        mail.queue(center_id, "odd%_@example.org", "Zoë Percent", "North: your group", "Body")
        db.session.commit()
    sign_in(client, "ana@example.org")
    first = client.get(f"/centers/{center_id}/outbox").get_data(as_text=True)
    assert "121 messages in all." in first and "Page 1 of 3, newest first." in first
    assert len(re.findall(r'<article class="card outbox-message">', first)) == 50
    assert "Zoë Percent" in first and "North: notice 72<" in first and "North: notice 71<" not in first
    assert "Newer messages" not in first
    older = re.search(r'href="([^"]*page=2[^"]*)" rel="next">Older messages', first)
    assert older is not None
    last = client.get(f"/centers/{center_id}/outbox?page=3").get_data(as_text=True)
    assert len(re.findall(r'<article class="card outbox-message">', last)) == 21
    assert "North: notice 1<" in last and "Older messages" not in last and "Newer messages" in last
    # The search keeps to the paging, and finds by any part of a name, an address or a subject.
    found = client.get(f"/centers/{center_id}/outbox?q=person11").get_data(as_text=True)
    assert "11 messages match" in found  # person11, person110 … person119
    assert "Older messages" not in found
    assert "1 message matches" in client.get(f"/centers/{center_id}/outbox?q=zoë").get_data(as_text=True)
    assert "1 message matches" in client.get(f"/centers/{center_id}/outbox?q=%25_").get_data(as_text=True)
    assert "1 message matches" in client.get(f"/centers/{center_id}/outbox?q=your+group").get_data(as_text=True)
    assert "0 messages match" in client.get(f"/centers/{center_id}/outbox?q=nobody").get_data(as_text=True)
    paged = client.get(f"/centers/{center_id}/outbox?q=North&page=2").get_data(as_text=True)
    assert "q=North&amp;page=3" in paged and "q=North&amp;page=1" in paged
    for nonsense in ("0", "-3", "x", "99999999999"):
        assert client.get(f"/centers/{center_id}/outbox?page={nonsense}").status_code == 200


def test_the_progress_page_follows_by_script_with_a_refresh_link_and_never_refreshes_itself(
        app: Flask, client: FlaskClient, center_id: int) -> None:
    with app.app_context():
        batch = mail_batches.create(center_id, "Notices", [("x@example.org", "X", "Hi", "Body")])
        db.session.commit()
        batch_id = batch.id
    sign_in(client, "ana@example.org")
    page = client.get(f"/centers/{center_id}/outbox/batches/{batch_id}").get_data(as_text=True)
    assert "http-equiv" not in page
    assert "js/batch-progress.js" in page and 'id="batch-state"' in page
    assert ">Refresh</a>" in page or "Done:" in page  # the link only while it is still going out
