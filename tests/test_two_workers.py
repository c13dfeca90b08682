"""The limits hold for the whole server, and no token reaches a log in any spelling: a real gunicorn
with 2 workers, sharing a private redis-server, asked in parallel (so both workers answer), with its
access log on (the worker's pid on each line proves that both did)."""

from __future__ import annotations

import secrets
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pyotp
from flask import Flask

from scheduler.extensions import db
from scheduler.models import Participant
from scheduler.services import accounts, feed_tokens, sign_in_limits, two_factor
from tests.conftest import PASSWORD
from tests.support.servers import Browser, Server, gunicorn, redis_url

__all__ = ["gunicorn", "redis_url"]  # fixtures, used by name below


def links(app: Flask, make_center: Callable[..., int]) -> tuple[str, str]:
    """Participant p1's personal link and feed token."""
    make_center("North")
    with app.app_context():
        participant = db.session.scalars(db.select(Participant).where(Participant.code == "p1")).one()
        page, feed = accounts.issue_participant_link(participant), feed_tokens.issue(participant)
        db.session.commit()
    return page, feed


def accounts_and_links(app: Flask, make_center: Callable[..., int], make_coordinator: Callable[..., None],
                       ) -> tuple[str, str, str]:
    """Three coordinators (one with two-factor sign-in), participant p1's personal link and feed token."""
    page, feed = links(app, make_center)
    for name in ("ana", "ben", "cy"):
        make_coordinator(f"{name}@example.org", "North")
    secret = pyotp.random_base32()
    with app.app_context():
        ben = accounts.find_user("ben@example.org")
        assert ben is not None and two_factor.turn_on(ben, secret, pyotp.TOTP(secret).now())
        db.session.commit()
    return secret, page, feed


def test_every_limit_holds_exactly_with_two_workers(app: Flask, gunicorn: Server, make_center: Callable[..., int],
                                                     make_coordinator: Callable[..., None]) -> None:
    secret, page, feed = accounts_and_links(app, make_center, make_coordinator)
    port = gunicorn.port

    # Sign-in: 10 wrong passwords per address and account, then 429, the right password included.
    ana = Browser(port)
    token = ana.form_token("/sign-in")
    limit = sign_in_limits.CLIENT_LIMIT[0]
    guesses = [{"csrf_token": token, "email": "ana@example.org", "password": f"guess {n}"} for n in range(limit + 6)]
    statuses = ana.all_at_once("POST", "/sign-in", guesses)
    assert sorted(statuses) == [200] * limit + [429] * 6, statuses
    assert ana.send("POST", "/sign-in", {**guesses[0], "password": PASSWORD})[0] == 429

    # Two-factor codes: five tries, then the sign-in starts over.
    ben = Browser(port)
    token = ben.form_token("/sign-in")
    signed_in = ben.send("POST", "/sign-in", {"csrf_token": token, "email": "ben@example.org", "password": PASSWORD})
    assert signed_in[0] == 302
    token = ben.form_token("/sign-in/code")
    wrong = next(c for c in ("000000", "111111", "222222") if c != pyotp.TOTP(secret).now())
    statuses = ben.all_at_once("POST", "/sign-in/code", [{"csrf_token": token, "code": wrong}] * 8)
    assert sorted(statuses) == [200] * 5 + [302] * 3, statuses

    # The password again before a sensitive action: 10 wrong per 15 minutes, then 429.
    cy = Browser(port)
    token = cy.form_token("/sign-in")
    assert cy.send("POST", "/sign-in", {"csrf_token": token, "email": "cy@example.org", "password": PASSWORD})[0] == 302
    token = cy.form_token("/confirm-password")
    limit = sign_in_limits.CONFIRM_LIMIT[0]
    statuses = cy.all_at_once("POST", "/confirm-password",
                              [{"csrf_token": token, "password": f"guess {n}"} for n in range(limit + 3)])
    assert sorted(statuses) == [200] * limit + [429] * 3, statuses

    # Wrong personal-link, welcome-link and feed tokens: 60 a minute per address, together.
    anyone = Browser(port)
    misses = [f"/feeds/{secrets.token_urlsafe(32)}.ics" for _ in range(30)] + \
             [f"/p/{secrets.token_urlsafe(32)}" for _ in range(25)] + \
             [f"/welcome/{secrets.token_urlsafe(32)}" for _ in range(15)]
    with ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(lambda path: anyone.send("GET", path, keep=False)[0], misses))
    assert sorted(statuses) == [404] * 60 + [429] * 10, statuses
    assert anyone.send("GET", f"/p/{page}")[0] == 200  # a real link is never held up by others' misses

    # One feed: 120 requests a minute.
    with ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(lambda _n: anyone.send("GET", f"/feeds/{feed}.ics", keep=False)[0], range(125)))
    assert sorted(statuses) == [200] * 120 + [429] * 5, statuses

    pids = {line.split(" ", 1)[0] for line in gunicorn.access.read_text().splitlines()}
    assert len(pids) == 2, pids  # both workers answered


def raw_get(port: int, target: str) -> int:
    """The request line exactly as written (no client normalises it)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return int(answer.split(b" ", 2)[1])


def test_no_spelling_of_a_token_url_reaches_the_logs(app: Flask, gunicorn: Server,
                                                    make_center: Callable[..., int]) -> None:
    page, feed = links(app, make_center)
    welcome = secrets.token_urlsafe(32)
    encoded = f"{page[:5]}%{ord(page[5]):02X}{page[6:]}"
    served = {f"/%70/{page}": 200, f"/%66eeds/{feed}.ics": 200, f"/feeds/{feed}%2Eics": 200, f"/p/{encoded}": 200}
    other = [f"//p/{page}", f"/p//{page}", f"/P/{page}", f"/FEEDS/{feed}.ics", f"/%2570/{page}", f"/./p/{page}",
             f"/w%65lcome/{welcome}", f"/%57ELCOME/{welcome}", f"/sign-in?next=%252Fp%252F{page}",
             f"/p\\{page}", f"/%66eeds/{feed}.ics?x=%0A"]
    for target, status in served.items():
        assert raw_get(gunicorn.port, target) == status, target  # these spellings are served, so logged
    for target in other:
        raw_get(gunicorn.port, target)
    logs = gunicorn.logs()
    for kind, token in (("personal link", page), ("feed", feed), ("welcome link", welcome)):
        assert token not in logs, f"the {kind} token is in gunicorn's logs"
    access = gunicorn.access.read_text().splitlines()  # the proof is not an empty log: every request is there
    assert len(access) == len(served) + len(other) and all("[token]" in line for line in access), access
