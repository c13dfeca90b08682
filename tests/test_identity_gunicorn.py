"""The takeovers of issue 16 replayed against a real gunicorn with 2 workers (production settings,
shared Redis), over HTTP as a browser sends them: center B's coordinator types center A's
coordinator's address on a facilitator, invites it, and tries every link of B's outbox, signed in
and signed out; then a facilitator with a password is invited again. Nothing changes hands."""

from __future__ import annotations

import re
from collections.abc import Callable

import pyotp
from flask import Flask
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import CenterRole, Facilitator, OutboxMessage, User
from scheduler.services import accounts, two_factor
from tests.conftest import PASSWORD
from tests.support.servers import Browser, Server, gunicorn, redis_url

__all__ = ["gunicorn", "redis_url"]  # fixtures, used by name below

ATTACKER_PASSWORD = "the attacker chose this one"
WELCOME = re.compile(r"https?://[^/\s]+(/welcome/[A-Za-z0-9_\-.]+)")


def signed_in(port: int, email: str, password: str = PASSWORD) -> Browser:
    browser = Browser(port)
    token = browser.form_token("/sign-in")
    assert browser.send("POST", "/sign-in", {"csrf_token": token, "email": email, "password": password})[0] == 302
    return browser


def invite(browser: Browser, center_id: int, code: str) -> None:
    token = browser.form_token(f"/centers/{center_id}/answers/")
    status, _page = browser.send("POST", f"/centers/{center_id}/answers/facilitators/{code}/invite",
                                 {"csrf_token": token})
    assert status == 302


def outbox_links(app: Flask, center_id: int) -> list[str]:
    with app.app_context():
        bodies = db.session.scalars(select(OutboxMessage.body).where(OutboxMessage.center_id == center_id)).all()
    return [m.group(1) for body in bodies for m in WELCOME.finditer(body)]


def try_links(browser: Browser, links: list[str]) -> None:
    """Set a password through each link, and accept through it, with this browser's cookies."""
    for link in links:
        _status, page = browser.send("GET", link)
        found = re.search(r'name="csrf_token" value="([^"]+)"', page)
        token = found.group(1) if found else ""
        browser.send("POST", link, {"csrf_token": token, "password": ATTACKER_PASSWORD, "again": ATTACKER_PASSWORD})
        browser.send("POST", link, {"csrf_token": token, "answer": "accept"})


def account_state(app: Flask, email: str) -> tuple[str, int, str | None, set[tuple[int, CenterRole]]]:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        assert user is not None
        return user.password_hash, user.session_version, user.totp_secret, {(m.center_id, m.role)
                                                                              for m in user.memberships}


def test_no_link_from_another_center_takes_an_account_over_on_two_workers(
        app: Flask, gunicorn: Server, make_center: Callable[..., int],
        make_coordinator: Callable[..., None]) -> None:
    a, b = make_center("North"), make_center("South")
    make_coordinator("ana@example.org", "North")
    make_coordinator("bo@example.org", "South")
    secret = pyotp.random_base32()
    with app.app_context():
        ana = accounts.find_user("ana@example.org")
        assert ana is not None and two_factor.turn_on(ana, secret, pyotp.TOTP(secret).now())
        fac1 = db.session.scalar(select(Facilitator).where(Facilitator.center_id == b, Facilitator.code == "fac1"))
        assert fac1 is not None
        fac1.email = "ana@example.org"
        db.session.commit()
    before = account_state(app, "ana@example.org")

    bo = signed_in(gunicorn.port, "bo@example.org")
    invite(bo, b, "fac1")
    links = outbox_links(app, b)
    assert len(links) == 1
    try_links(bo, links)
    try_links(Browser(gunicorn.port), links)
    assert account_state(app, "ana@example.org") == before
    # Nothing the attacker typed signs in, and center A stays closed to them.
    anyone = Browser(gunicorn.port)
    token = anyone.form_token("/sign-in")
    assert anyone.send("POST", "/sign-in", {"csrf_token": token, "email": "ana@example.org",
                                            "password": ATTACKER_PASSWORD})[0] == 200
    assert bo.send("GET", f"/centers/{a}/")[0] == 404
    assert bo.send("GET", f"/centers/{a}/answers/")[0] == 404

    # Within one center: a facilitator who chose a password, invited again, gets nothing new.
    make_coordinator("cy@example.org", "North")
    cy = signed_in(gunicorn.port, "cy@example.org")
    invite(cy, a, "fac2")
    [link] = outbox_links(app, a)
    newcomer = Browser(gunicorn.port)
    token = newcomer.form_token(link)
    chosen = "violet kettles hum at dawn"
    assert newcomer.send("POST", link, {"csrf_token": token, "password": chosen, "again": chosen})[0] == 302
    theirs = signed_in(gunicorn.port, "fac2@example.org", chosen)
    before = account_state(app, "fac2@example.org")
    invite(cy, a, "fac2")
    assert outbox_links(app, a) == [link]  # no second link
    try_links(cy, [link])
    assert account_state(app, "fac2@example.org") == before
    assert theirs.send("GET", f"/centers/{a}/me/times")[0] == 200
