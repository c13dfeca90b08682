"""Every kind of form saves when the app is served over HTTPS behind the trusted proxy, from a real
browser, with the headers the app itself sends.

Over HTTPS, Flask-WTF's CSRF check also wants a Referer of this site on every POST. The token pages
(a participant's page, a welcome link) must never put their key in a Referer, so they send
``Referrer-Policy: strict-origin``: the browser sends the origin alone. With ``no-referrer`` (as
before) the browser sent none, and every participant's save was refused with 400 "The referrer
header is missing": nothing in the suite submitted a form over HTTPS. Here a small TLS-terminating
proxy (a self-signed certificate made in the test) stands in front of the app, as nginx would, with
``SCHEDULER_TRUSTED_PROXIES=1``; it records every Referer it is sent."""

from __future__ import annotations

import datetime as dt
import http.client
import ipaddress
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import Center, CenterRole, Membership, Participant, User
from scheduler.services import accounts, staff_invitations
from scheduler.services.demo import DEMO_EMAIL
from tests.browser.conftest import LiveServer
from tests.conftest import ThrowawayDatabases, make_app
from tests.support.demo import load_demo

FACILITATOR_PASSWORD = "lantern quartz walnut orbit"
NEW_PASSWORD = "amber pebbles drift slowly"
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "upgrade"}


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
                   .not_valid_after(now + dt.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                  critical=False)
                   .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


class TlsProxy:
    """HTTPS in front, plain HTTP to the app behind, adding X-Forwarded-For and X-Forwarded-Proto
    like a reverse proxy. ``seen`` keeps (method, path, Referer) of every request."""

    def __init__(self, upstream_port: int, cert: Path, key: Path):
        self.seen: list[tuple[str, str, str | None]] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                proxy.seen.append((self.command, self.path, self.headers.get("Referer")))
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in HOP_BY_HOP and not k.lower().startswith("x-forwarded-")}
                headers |= {"X-Forwarded-For": self.client_address[0], "X-Forwarded-Proto": "https"}
                upstream = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=60)
                upstream.request(self.command, self.path, body=body, headers=headers)
                answer = upstream.getresponse()
                data = answer.read()
                self.send_response(answer.status, answer.reason)
                for name, value in answer.getheaders():
                    if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(data)
                upstream.close()

            do_GET = do_POST = do_HEAD = forward

            def log_message(self, *_args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> TlsProxy:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.thread.join()
        self.server.server_close()


@pytest.fixture
def proxied_app(databases: ThrowawayDatabases, tmp_path: Path) -> Iterator[Flask]:
    """As in production behind one proxy: CSRF on, secure cookies, X-Forwarded-* trusted from one hop."""
    from flask_migrate import upgrade

    app = make_app(databases.new(), tmp_path / "instance", WTF_CSRF_ENABLED=True, TESTING=False,
                   TRUSTED_PROXIES=1, SESSION_COOKIE_SECURE=True)
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def https(proxied_app: Flask, tmp_path: Path) -> Iterator[TlsProxy]:
    cert, key = self_signed_certificate(tmp_path)
    with LiveServer(proxied_app) as server, TlsProxy(server.server.server_port, cert, key) as proxy:
        yield proxy


@pytest.fixture
def browser_page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, ignore_https_errors=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def people(app: Flask) -> dict[str, Any]:
    """The demo center, a facilitator who can sign in, a participant's link and a welcome link."""
    coordinator_password = load_demo(app)
    with app.app_context():
        center = db.session.scalars(select(Center)).one()
        facilitator = sorted(center.facilitators, key=lambda f: f.id)[0]
        user = User(email="https-facilitator@staff.example.org", password_hash=accounts.hash_password(
            FACILITATOR_PASSWORD), password_set_at=dt.datetime.now(dt.UTC))
        newcomer = User(email="https-newcomer@staff.example.org", password_hash="!")
        db.session.add_all([user, newcomer])
        db.session.flush()
        db.session.add(Membership(user_id=user.id, center_id=center.id, role=CenterRole.FACILITATOR))
        facilitator.user_id = user.id
        participant = db.session.scalars(select(Participant).where(Participant.center_id == center.id)
                                         .order_by(Participant.id)).first()
        assert participant is not None
        found = {"center_id": center.id, "coordinator_password": coordinator_password,
                 "participant_token": accounts.issue_participant_link(participant),
                 "welcome_token": staff_invitations.issue_welcome_link(newcomer)}
        db.session.commit()
        return found


def sign_in(page: Any, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def test_coordinator_facilitator_participant_and_welcome_forms_save_over_https(
        proxied_app: Flask, https: TlsProxy, browser_page: Any) -> None:
    page, base = browser_page, https.url
    world = people(proxied_app)
    center_id = world["center_id"]

    # A coordinator's form.
    sign_in(page, base, DEMO_EMAIL, world["coordinator_password"])
    page.goto(f"{base}/centers/{center_id}/answers/")
    page.get_by_label("Answers can be changed until (empty: no limit)").fill("2031-05-04")
    page.locator("form[action$='/answers/deadline']").get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    with proxied_app.app_context():
        center = db.session.get(Center, center_id)
        assert center is not None and center.answers_deadline == dt.date(2031, 5, 4)
    sign_out(page)

    # A facilitator's form.
    sign_in(page, base, "https-facilitator@staff.example.org", FACILITATOR_PASSWORD)
    page.goto(f"{base}/centers/{center_id}/me/times")
    page.get_by_role("button", name="Save my times").click()
    expect(page.get_by_text("Your times are saved")).to_be_visible()
    sign_out(page)

    # A participant's page: the link is the key, and no Referer may carry it.
    token = world["participant_token"]
    response = page.goto(f"{base}/p/{token}")
    assert response is not None and response.ok
    assert response.headers["strict-transport-security"].startswith("max-age=")
    page.get_by_role("button", name="Save my answers").click()
    expect(page.get_by_text("Your answers are saved")).to_be_visible()

    # A welcome link: the first password, then the normal sign-in.
    welcome = world["welcome_token"]
    page.goto(f"{base}/welcome/{welcome}")
    page.get_by_label("Choose a password").fill(NEW_PASSWORD)
    page.get_by_label("The same password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save my password").click()
    expect(page.get_by_text("Your password is set")).to_be_visible()

    posts = [(path, referer) for method, path, referer in https.seen if method == "POST"]
    assert any(path == f"/p/{token}" for path, _ in posts), posts
    assert any(path == f"/welcome/{welcome}" for path, _ in posts), posts
    for path, referer in posts:
        if path.startswith(("/p/", "/welcome/")):
            assert referer == f"{base}/", (path, referer)  # the origin alone: enough for the CSRF check
    carrying = [(path, referer) for _method, path, referer in https.seen
                if referer and (token in referer or welcome in referer)]
    assert not carrying, f"a Referer carried a personal key: {carrying}"
