"""An outside attacker's tests. Everything is done as the attackers would, through the pages, the API
and the documented command line; the database is read only to find what a mailbox would hold (the
outbox) and to check what changed. One real gunicorn with 2 workers (production settings, shared Redis)
replays the gravest finding; the rest use the test client. Tests that fail are findings; the passing
ones prove representative attacks fail (cross-center API, open redirects, erasure, registers)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import OutboxMessage
from scheduler.services import accounts
from tests.conftest import PASSWORD, sign_in
from tests.support.servers import Browser, Server, gunicorn, redis_url

__all__ = ["gunicorn", "redis_url"]  # fixtures, used by name below

SQUATTER_PASSWORD = "coordinator b typed this passphrase"
OPERATOR_PASSWORD = "the operator chose this passphrase"
LINK = re.compile(r"https?://[^/\s]+(/(?:welcome|p)/[A-Za-z0-9_\-.]+)")
FIELD = re.compile(r"<(?:input|textarea)[^>]*>")


@pytest.fixture
def fast_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap password hashes in this process (the test client): what is checked is who gets in."""
    from argon2 import PasswordHasher

    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def centers(make_center: Callable[..., int], make_coordinator: Callable[..., None]) -> tuple[int, int]:
    """Center A (North, ana@example.org) and center B (South, bo@example.org), from the same scenario:
    both have facilitators fac1..fac8 with the same addresses, and participants p1.. likewise."""
    a, b = make_center("North"), make_center("South")
    make_coordinator("ana@example.org", "North")
    make_coordinator("bo@example.org", "South")
    return a, b


def outbox_links(app: Flask, center_id: int, to: str) -> list[str]:
    with app.app_context():
        bodies = db.session.scalars(select(OutboxMessage.body).where(
            OutboxMessage.center_id == center_id, OutboxMessage.to_email == to).order_by(OutboxMessage.id)).all()
    return [m.group(1) for body in bodies for m in LINK.finditer(body)]


def account_links(app: Flask, to: str) -> list[str]:
    """Links in the mail to the account itself (no center's outbox): what only the mailbox holds."""
    with app.app_context():
        bodies = db.session.scalars(select(OutboxMessage.body).where(
            OutboxMessage.center_id.is_(None), OutboxMessage.to_email == to).order_by(OutboxMessage.id)).all()
    return [m.group(1) for body in bodies for m in LINK.finditer(body)]


def text_of(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def form_fields(page: str) -> dict[str, str]:
    """The values a browser would send back from a page's inputs (language switcher left out)."""
    fields = {}
    for tag in FIELD.findall(page):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name and name.group(1) not in ("next", "locale", "csrf_token"):
            fields[name.group(1)] = html.unescape(value.group(1)) if value else ""
    return fields


def retype_facilitator_email(client: FlaskClient, center_id: int, code: str, email: str) -> None:
    page = client.get(f"/centers/{center_id}/facilitators/{code}/edit").get_data(as_text=True)
    answer = client.post(f"/centers/{center_id}/facilitators/{code}/edit",
                         data={**form_fields(page), "email": email})
    assert answer.status_code == 302, text_of(answer.get_data(as_text=True))[:500]


def squat(app: Flask, client: FlaskClient, center_id: int, code: str, email: str) -> None:
    """B's coordinator puts `email` on one of B's facilitators, invites them, reads the welcome link
    in B's own outbox and chooses the password: an account in someone else's name."""
    retype_facilitator_email(client, center_id, code, email)
    assert client.post(f"/centers/{center_id}/answers/facilitators/{code}/invite").status_code == 302
    [welcome] = outbox_links(app, center_id, email)
    stranger = app.test_client()
    answer = stranger.post(welcome, data={"password": SQUATTER_PASSWORD, "again": SQUATTER_PASSWORD})
    assert answer.status_code == 302, text_of(answer.get_data(as_text=True))[:500]


# ---------------------------------------------------------------- findings (these fail today)

def test_an_address_squatted_by_b_s_coordinator_never_becomes_a_coordinator_of_a_with_their_password(
        app: Flask, gunicorn: Server, make_center: Callable[..., int],
        make_coordinator: Callable[..., None]) -> None:
    """FINDING (critical). B's coordinator, over HTTP on the 2-worker server, makes an account for
    newboss@north.example (A's coordinator-to-be) through a welcome link read in B's outbox. The
    operator then runs the documented `flask create-coordinator newboss@north.example --center North
    --password ...`: it says "now coordinates" but keeps the squatter's password and ignores the
    operator's, so B's coordinator signs in as A's coordinator and reads A's participants."""
    a, b = make_center("North"), make_center("South")
    make_coordinator("bo@example.org", "South")
    bo = Browser(gunicorn.port)
    bo.send("POST", "/sign-in", {"csrf_token": bo.form_token("/sign-in"), "email": "bo@example.org",
                                 "password": PASSWORD})
    edit = f"/centers/{b}/facilitators/fac4/edit"
    _status, page = bo.send("GET", edit)
    token = bo.form_token(edit)
    assert bo.send("POST", edit, {**form_fields(page), "csrf_token": token,
                                  "email": "newboss@north.example"})[0] == 302
    token = bo.form_token(f"/centers/{b}/answers/")
    assert bo.send("POST", f"/centers/{b}/answers/facilitators/fac4/invite", {"csrf_token": token})[0] == 302
    [welcome] = outbox_links(app, b, "newboss@north.example")
    anyone = Browser(gunicorn.port)
    assert anyone.send("POST", welcome, {"csrf_token": anyone.form_token(welcome), "password": SQUATTER_PASSWORD,
                                         "again": SQUATTER_PASSWORD})[0] == 302

    done = app.test_cli_runner().invoke(args=["create-coordinator", "newboss@north.example", "--center", "North",
                                              "--password", OPERATOR_PASSWORD])
    assert done.exit_code == 0, done.output

    squatter = Browser(gunicorn.port)
    squatter.send("POST", "/sign-in", {"csrf_token": squatter.form_token("/sign-in"),
                                       "email": "newboss@north.example", "password": SQUATTER_PASSWORD})
    status, page = squatter.send("GET", f"/centers/{a}/answers/")
    assert status != 200 and "Participant 1" not in page, (
        "B's coordinator, with the password they chose, is now A's coordinator and reads A's participants")


def test_b_s_coordinator_cannot_lock_a_s_facilitator_out_of_their_own_account(
        app: Flask, client: FlaskClient, centers: tuple[int, int], fast_passwords: None) -> None:
    """FINDING (medium). Both centers have a facilitator fac1@example.org. B's coordinator invites theirs
    first and chooses the password through the welcome link in B's outbox. When A invites its
    facilitator, the owner gets only 'sign in with your own password and accept', a password they
    never had, and there is no reset: A's facilitator can never get in."""
    a, b = centers
    sign_in(client, "bo@example.org")
    squat(app, client, b, "fac1", "fac1@example.org")
    ana = app.test_client()
    sign_in(ana, "ana@example.org")
    assert ana.post(f"/centers/{a}/answers/facilitators/fac1/invite").status_code == 302
    owner = app.test_client()
    # A's outbox gets no link that sets the password of an existing account (docs/security.md, "One
    # person, one account"): A's coordinator reads it, and the account may hold roles elsewhere.
    assert not [link for link in outbox_links(app, a, "fac1@example.org")
                if 'name="again"' in owner.get(link).get_data(as_text=True)]
    # The owner's way in: "Forgotten your password?", whose link goes to the account's own mail (no
    # center's outbox, so neither B's coordinator nor A's reads it).
    assert "/password-reset" in owner.get("/sign-in").get_data(as_text=True)
    in_centers = outbox_links(app, a, "fac1@example.org") + outbox_links(app, b, "fac1@example.org")
    assert owner.post("/password-reset", data={"email": "fac1@example.org"}).status_code == 302
    assert outbox_links(app, a, "fac1@example.org") + outbox_links(app, b, "fac1@example.org") == in_centers
    usable = [link for link in account_links(app, "fac1@example.org")
              if 'name="again"' in owner.get(link).get_data(as_text=True)]
    assert usable, "A's facilitator has no link to choose a password: the account stays B's coordinator's"
    assert owner.post(usable[0], data={"password": OPERATOR_PASSWORD, "again": OPERATOR_PASSWORD}).status_code == 302
    squatter = app.test_client()
    refused = sign_in(squatter, "fac1@example.org", SQUATTER_PASSWORD).get_data(as_text=True)
    assert "That email and password do not match" in refused


def test_the_squatted_account_is_not_told_which_other_centers_invite_the_person(
        app: Flask, client: FlaskClient, centers: tuple[int, int], fast_passwords: None) -> None:
    """FINDING (low). Same squat; B's coordinator, signed in as fac1@example.org, is shown on every page
    'North invites you to join as a facilitator': which other center works with this person."""
    a, b = centers
    sign_in(client, "bo@example.org")
    squat(app, client, b, "fac1", "fac1@example.org")
    ana = app.test_client()
    sign_in(ana, "ana@example.org")
    assert ana.post(f"/centers/{a}/answers/facilitators/fac1/invite").status_code == 302
    squatter = app.test_client()
    sign_in(squatter, "fac1@example.org", SQUATTER_PASSWORD)
    page = squatter.get("/", follow_redirects=True).get_data(as_text=True)
    assert "North" not in text_of(page), "the squatter is told that A invited this person"


# ---------------------------------------------------------------- attacks that fail (these pass)

def make_key(client: FlaskClient, center_id: int, scope: str) -> str:
    page = client.post(f"/centers/{center_id}/api-keys/", data={"name": f"attacker {scope}", "scope": scope})
    found = re.search(r"sk_[A-Za-z0-9_\-]{20,}", page.get_data(as_text=True))
    assert found, text_of(page.get_data(as_text=True))[:500]
    return found.group(0)


def test_b_s_api_key_and_a_read_key_change_nothing_of_a(
        app: Flask, client: FlaskClient, centers: tuple[int, int], fast_passwords: None) -> None:
    a, b = centers
    sign_in(client, "ana@example.org")
    a_read = make_key(client, a, "read")
    bo = app.test_client()
    sign_in(bo, "bo@example.org")
    b_key = make_key(bo, b, "read_write")
    api = app.test_client()

    def call(method: str, path: str, key: str, **kwargs: object) -> tuple[int, str, dict[str, str]]:
        answer = api.open(f"/api/v1{path}", method=method, headers={"Authorization": f"Bearer {key}",
                                                                   **kwargs.pop("headers", {})}, **kwargs)
        return answer.status_code, answer.get_data(as_text=True), dict(answer.headers)

    status, body, headers = call("GET", "/participants/p1", a_read)
    assert status == 200 and "p1@example.org" in body
    a_etag = headers["ETag"]
    # A's read key: no change of any kind.
    assert call("POST", "/participants/bulk", a_read, json={"items": [{"id": "p1", "name": "Changed"}]})[0] == 403
    assert call("PATCH", "/participants/p1", a_read, json={"name": "Changed"}, headers={"If-Match": a_etag})[0] == 403
    assert call("POST", "/builds", a_read, json={"time_limit_s": 5})[0] == 403
    # B's key with A's ETag changes B's own p1 or nothing, never A's.
    call("PATCH", "/participants/p1", b_key, json={"name": "Taken over"}, headers={"If-Match": a_etag})
    call("POST", "/participants/bulk", b_key, json={"items": [{"id": "p1", "name": "Taken over"}]})
    for path in ("/versions/1", "/versions/1/schedule", "/builds/1", "/participants/p1/groups?version=1"):
        assert call("GET", path, b_key)[0] == 404, path
    assert call("POST", "/versions/1/publish", b_key)[0] == 404
    status, body, _headers = call("GET", "/participants/p1", a_read)
    assert status == 200 and "Taken over" not in body and "Changed" not in body


def test_next_never_leaves_the_site(app: Flask, client: FlaskClient, centers: tuple[int, int],
                                    fast_passwords: None) -> None:
    for target in ("https://evil.example/", "//evil.example/", "///evil.example", "\\\\evil.example",
                   "/\\evil.example", "https:evil.example", "\t//evil.example", "javascript:alert(1)"):
        signed = client.post("/sign-in", query_string={"next": target},
                             data={"email": "ana@example.org", "password": PASSWORD, "next": target})
        language = client.post("/language", data={"locale": "en", "next": target})
        confirm = client.post("/confirm-password", query_string={"next": target},
                              data={"password": PASSWORD, "next": target})
        for answer in (signed, language, confirm):
            location = answer.headers.get("Location", "")
            assert urlsplit(location).netloc in ("", "localhost"), (target, location)
            assert location.startswith("/") and not location.startswith(("//", "/\\")), (target, location)
        client.post("/sign-out")


def test_b_erasing_someone_with_a_s_participant_s_address_touches_nothing_of_a(
        app: Flask, client: FlaskClient, centers: tuple[int, int], fast_passwords: None) -> None:
    a, b = centers
    sign_in(client, "ana@example.org")
    assert client.post(f"/centers/{a}/answers/p1/invite").status_code == 302
    [a_link] = outbox_links(app, a, "p1@example.org")
    bo = app.test_client()
    sign_in(bo, "bo@example.org")
    page = bo.get(f"/centers/{b}/participants/p5/edit").get_data(as_text=True)
    assert bo.post(f"/centers/{b}/participants/p5/edit",
                   data={**form_fields(page), "email": "p1@example.org"}).status_code == 302
    export = bo.get(f"/centers/{b}/answers/p5/privacy/export.json").get_json()
    assert export["emails"] == [] and export["personal_links"] == []
    assert bo.post(f"/centers/{b}/answers/p5/privacy/erase",
                   data={"confirm_name": "Participant 5"}).status_code == 302
    assert outbox_links(app, a, "p1@example.org") == [a_link]
    assert app.test_client().get(a_link).status_code == 200  # A's participant keeps their page


def test_a_facilitator_reaches_no_other_facilitator_s_register_or_the_coordinator_s_attendance(
        app: Flask, client: FlaskClient, fast_passwords: None) -> None:
    """The demo center with its past term (attendance taken): facilitator fac1 asks for fac3's registers
    and the coordinator's attendance pages, spelled a few ways, and posts marks to them."""
    runner = app.test_cli_runner()
    loaded = runner.invoke(args=["load-demo"])
    assert loaded.exit_code == 0, loaded.output
    password = re.search(r"password:\s*(\S+)", loaded.output)
    assert password and runner.invoke(args=["load-demo-past-term"]).exit_code == 0
    sign_in(client, "coordinator@demo.example", password.group(1))
    home = re.search(r"/centers/(\d+)/", client.get("/").headers["Location"])
    assert home
    center = int(home.group(1))
    facilitators = {}
    for code, chosen in (("fac1", "amber kites drift over quiet hills"), ("fac3", "seven lanterns hum by the river")):
        assert client.post(f"/centers/{center}/answers/facilitators/{code}/invite").status_code == 302
        [welcome] = outbox_links(app, center, f"{code}@example.org")
        assert app.test_client().post(welcome, data={"password": chosen, "again": chosen}).status_code == 302
        browser = app.test_client()
        sign_in(browser, f"{code}@example.org", chosen)
        facilitators[code] = browser
    registers = {code: sorted(set(re.findall(rf'href="(/centers/{center}/register/[^"]+)"',
                                              browser.get(f"/centers/{center}/register/").get_data(as_text=True))))
                 for code, browser in facilitators.items()}
    assert registers["fac1"] and registers["fac3"]
    theirs = registers["fac3"][0]
    fac1, own = facilitators["fac1"], registers["fac1"][0]
    mine = set(re.findall(r'name="status-(p\d+)"', fac1.get(own).get_data(as_text=True)))
    members = [m for m in re.findall(r'name="status-(p\d+)"', facilitators["fac3"].get(theirs).get_data(as_text=True))
               if m not in mine]
    assert members
    before = client.get(f"/centers/{center}/answers/{members[0]}/privacy/export.json").get_json()["attendance"]
    _, _, _, group, slot, day = theirs.strip("/").split("/")
    for path in (theirs, theirs.replace(group, group.upper()), theirs + "/",
                 theirs.replace("/register/", "/attendance/"),
                 f"/centers/{center}/register/{group}/{slot}/{day[:5]}{int(day[5:7])}-{day[8:]}",
                 f"/centers/{center}/attendance/", f"/centers/{center}/follow-up/"):
        assert fac1.get(path).status_code == 404, path
        assert fac1.post(path, data={f"status-{m}": "no_show" for m in members}).status_code in (404, 405), path
    fac1.post(own, data={f"status-{m}": "no_show" for m in members})  # marks for another group's members
    after = client.get(f"/centers/{center}/answers/{members[0]}/privacy/export.json").get_json()["attendance"]
    assert after == before
