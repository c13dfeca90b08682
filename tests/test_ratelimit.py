"""Rate limits: guessing passwords and tokens is slowed, a lock-out ends with its window, nobody can
keep a person out (only wrong passwords count, per address, and a known device is never locked out by
others), and with Redis the counts are shared by every app server."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from scheduler import ratelimit
from scheduler.services import accounts, sign_in_limits
from tests.conftest import PASSWORD, make_app
from tests.support.servers import redis_url_or_skip

ANA = "ana@example.org"
WINDOW = sign_in_limits.CLIENT_LIMIT[1]


@pytest.fixture
def ana(make_center: Callable[..., int], make_coordinator: Callable[..., None],
        monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Ana's account, with a cheap password hash (these tests check hundreds of passwords), and the
    limits' clock, which the test moves."""
    from argon2 import PasswordHasher

    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    make_center("North")
    make_coordinator(ANA, "North")
    clock = [900.0 * 10_000 + 1]  # the start of a window
    monkeypatch.setattr(ratelimit.time, "time", lambda: clock[0])
    return clock


def attempt(client: FlaskClient, password: str, address: str, email: str = ANA,
            forwarded_for: str | None = None) -> int:
    """A sign-in from ``address``; with ``forwarded_for``, ``address`` is a reverse proxy that sends
    the client's address in X-Forwarded-For."""
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for is not None else {}
    status = client.post("/sign-in", data={"email": email, "password": password}, headers=headers,
                         environ_base={"REMOTE_ADDR": address}).status_code
    if status == 302:
        client.post("/sign-out", environ_base={"REMOTE_ADDR": address})
    return status


def test_too_many_wrong_passwords_lock_the_account_for_one_window(
        app: Flask, client: FlaskClient, make_center: Callable[..., int], make_coordinator: Callable[..., None],
        monkeypatch: pytest.MonkeyPatch) -> None:
    make_center("North")
    make_coordinator("ana@example.org", "North")
    clock = [1_000_000.0]
    monkeypatch.setattr(ratelimit.time, "time", lambda: clock[0])
    for _attempt in range(10):
        assert client.post("/sign-in", data={"email": "ana@example.org", "password": "wrong guess"}).status_code == 200
    refused = client.post("/sign-in", data={"email": "ana@example.org", "password": PASSWORD})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "Too many attempts" in refused.get_data(as_text=True)
    clock[0] += 901  # the next window: the lock-out is over
    assert client.post("/sign-in", data={"email": "ana@example.org", "password": PASSWORD}).status_code == 302


def test_right_passwords_are_never_counted(app: Flask, client: FlaskClient, ana: list[float]) -> None:
    for _day in range(3 * sign_in_limits.CLIENT_LIMIT[0]):
        assert attempt(client, PASSWORD, "198.51.100.7") == 302


def test_an_attacker_at_one_address_never_keeps_the_person_out(app: Flask, ana: list[float]) -> None:
    attacker, person = app.test_client(), app.test_client()
    for _window in range(4):  # an hour of guessing, far beyond every limit, window after window
        statuses = [attempt(attacker, f"guess {n}", "203.0.113.9") for n in range(150)]
        assert statuses.count(200) == sign_in_limits.CLIENT_LIMIT[0] and statuses[-1] == 429
        # Ana, on a computer that never signed in before, from her own address: straight in.
        assert attempt(person, PASSWORD, "198.51.100.7") == 302
        person.delete_cookie(sign_in_limits.DEVICE_COOKIE, path=sign_in_limits.DEVICE_COOKIE_PATH)
        ana[0] += WINDOW


def test_guessing_from_many_addresses_holds_up_new_devices_but_never_a_known_one(
        app: Flask, ana: list[float]) -> None:
    laptop, new_phone, attacker = app.test_client(), app.test_client(), app.test_client()
    assert attempt(laptop, PASSWORD, "198.51.100.7") == 302  # the laptop becomes a known device
    limit = sign_in_limits.ACCOUNT_LIMIT[0]
    for n in range(limit):
        assert attempt(attacker, "a guess", f"10.0.{n // 250}.{n % 250}") == 200
    assert attempt(attacker, PASSWORD, "10.9.9.9") == 429  # the right password from a new address waits
    assert attempt(new_phone, PASSWORD, "198.51.100.8") == 429
    assert attempt(laptop, PASSWORD, "10.9.9.9") == 302  # the known device, from anywhere
    ana[0] += WINDOW  # and the hold ends with its window
    assert attempt(new_phone, PASSWORD, "198.51.100.8") == 302


def test_a_known_device_s_own_wrong_passwords_count_and_signing_out_everywhere_forgets_it(
        app: Flask, ana: list[float]) -> None:
    laptop = app.test_client()
    assert attempt(laptop, PASSWORD, "198.51.100.7") == 302
    statuses = [attempt(laptop, "oops", "198.51.100.7") for _n in range(sign_in_limits.DEVICE_LIMIT[0] + 1)]
    assert statuses[-1] == 429 and statuses.count(200) == sign_in_limits.DEVICE_LIMIT[0]
    assert attempt(laptop, PASSWORD, "198.51.100.7") == 429
    ana[0] += WINDOW
    assert laptop.post("/sign-in", data={"email": ANA, "password": PASSWORD}).status_code == 302
    laptop.post("/sign-out-everywhere")  # a lost laptop: it must not stay a trusted device
    for n in range(sign_in_limits.ACCOUNT_LIMIT[0]):
        attempt(app.test_client(), "a guess", f"10.0.{n // 250}.{n % 250}")
    assert attempt(laptop, PASSWORD, "198.51.100.7") == 429


def test_a_device_cookie_from_elsewhere_is_not_trusted(app: Flask, ana: list[float]) -> None:
    laptop = app.test_client()
    assert attempt(laptop, PASSWORD, "198.51.100.7") == 302
    cookie = laptop.get_cookie(sign_in_limits.DEVICE_COOKIE, path=sign_in_limits.DEVICE_COOKIE_PATH)
    assert cookie is not None and cookie.http_only and cookie.secure
    forged = app.test_client()
    with app.test_request_context():
        app.config["SECRET_KEY"], real = "another app's key", app.config["SECRET_KEY"]
        value = sign_in_limits.remember_device(accounts.find_user(ANA), None)  # type: ignore[arg-type]
        app.config["SECRET_KEY"] = real
    forged.set_cookie(sign_in_limits.DEVICE_COOKIE, value, path=sign_in_limits.DEVICE_COOKIE_PATH)
    for n in range(sign_in_limits.ACCOUNT_LIMIT[0]):
        attempt(app.test_client(), "a guess", f"10.0.{n // 250}.{n % 250}")
    assert attempt(forged, PASSWORD, "198.51.100.9") == 429
    assert attempt(laptop, PASSWORD, "198.51.100.9") == 302


def test_one_address_trying_many_accounts_is_slowed(app: Flask, client: FlaskClient, ana: list[float]) -> None:
    limit = sign_in_limits.ADDRESS_LIMIT[0]
    statuses = [attempt(client, "a guess", "203.0.113.9", email=f"someone{n}@example.org") for n in range(limit + 1)]
    assert statuses.count(200) == limit and statuses[-1] == 429
    assert attempt(client, PASSWORD, "203.0.113.9") == 429
    assert attempt(client, PASSWORD, "198.51.100.7") == 302  # another address is not held up


def test_guessing_tokens_is_slowed_but_real_links_keep_working(app: Flask, client: FlaskClient,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit.time, "time", lambda: 2_000_000.0)
    for n in range(60):
        assert client.get(f"/feeds/{'A' * 42}{n % 10}.ics").status_code == 404
    assert client.get(f"/feeds/{'B' * 43}.ics").status_code == 429
    assert client.get("/p/another-guess").status_code == 429


def test_with_redis_the_counts_are_shared_between_app_servers(database_url: str, tmp_path: Path) -> None:
    url = redis_url_or_skip()
    first = make_app(database_url, tmp_path / "a", REDIS_URL=url)
    second = make_app(database_url, tmp_path / "b", REDIS_URL=url)
    key = secrets.token_hex(8)
    with first.app_context():
        assert ratelimit.hit("test", key, 2, 60, now=5_000_000).allowed
        assert ratelimit.hit("test", key, 2, 60, now=5_000_000).allowed
    with second.app_context():
        assert not ratelimit.hit("test", key, 2, 60, now=5_000_000).allowed
        assert ratelimit.hit("test", key, 2, 60, now=5_000_060).allowed  # a new window
    with first.app_context():  # an attempt given back on one server is uncounted on the other
        taken = ratelimit.take("given", key, 1, 60, now=5_000_000)
        assert taken.verdict.allowed
        ratelimit.give_back(taken)
        ratelimit.give_back(taken)  # never below zero
    with second.app_context():
        assert ratelimit.take("given", key, 1, 60, now=5_000_000).verdict.allowed
        assert not ratelimit.take("given", key, 1, 60, now=5_000_000).verdict.allowed


def test_with_redis_wrong_passwords_on_one_server_count_on_the_other(
        database_url: str, tmp_path: Path, make_center: Callable[..., int], make_coordinator: Callable[..., None],
        monkeypatch: pytest.MonkeyPatch) -> None:
    url = redis_url_or_skip()
    make_center("North")
    make_coordinator(ANA, "North")
    email = ANA
    # A window of its own, so that earlier runs against the same Redis do not count here.
    clock = [float(secrets.randbelow(10**6) * WINDOW + 10**9)]
    monkeypatch.setattr(ratelimit.time, "time", lambda: clock[0])
    first = make_app(database_url, tmp_path / "a", REDIS_URL=url).test_client()
    second = make_app(database_url, tmp_path / "b", REDIS_URL=url).test_client()
    for n in range(sign_in_limits.CLIENT_LIMIT[0]):
        assert attempt(first if n % 2 else second, "a guess", "203.0.113.9", email) == 200
    assert attempt(first, PASSWORD, "203.0.113.9", email) == 429
    assert attempt(second, PASSWORD, "203.0.113.9", email) == 429
    assert attempt(second, PASSWORD, "198.51.100.7", email) == 302  # right passwords count nowhere


PROXY = "192.0.2.1"


def forwarded(client: FlaskClient, password: str, forwarded_for: str) -> int:
    """A sign-in through a reverse proxy at PROXY, which adds the client's address to the header."""
    return attempt(client, password, PROXY, forwarded_for=forwarded_for)


def test_without_a_trusted_proxy_a_forwarded_address_does_not_escape_the_limit(app: Flask,
                                                                             ana: list[float]) -> None:
    limit = sign_in_limits.CLIENT_LIMIT[0]
    statuses = [forwarded(app.test_client(), "a guess", f"10.1.0.{n}") for n in range(limit + 1)]
    assert statuses[-1] == 429  # the header is the client's own words: every guess counts against PROXY


def test_behind_a_trusted_proxy_each_client_is_counted_at_its_own_address(
        database_url: str, tmp_path: Path, ana: list[float]) -> None:
    behind_proxy = make_app(database_url, tmp_path / "proxied", TRUSTED_PROXIES=1)
    limit = sign_in_limits.CLIENT_LIMIT[0]
    # The guesser writes an address of its own in front; the proxy appends the one it saw, which counts.
    statuses = [forwarded(behind_proxy.test_client(), "a guess", f"10.1.0.{n}, 203.0.113.9") for n in range(limit + 1)]
    assert statuses[-1] == 429
    assert forwarded(behind_proxy.test_client(), PASSWORD, "203.0.113.9") == 429
    assert forwarded(behind_proxy.test_client(), PASSWORD, "198.51.100.7") == 302  # another client is not held up


@pytest.mark.parametrize("value", [-1, 11, "one", 1.5, True])
def test_a_wrong_number_of_trusted_proxies_is_refused_by_name(database_url: str, tmp_path: Path, value: object) -> None:
    with pytest.raises(ValueError, match=r"SCHEDULER_TRUSTED_PROXIES must be the number of reverse proxies"):
        make_app(database_url, tmp_path / "bad", TRUSTED_PROXIES=value)


def test_giving_the_password_again_is_limited_like_signing_in(app: Flask, client: FlaskClient,
                                                              ana: list[float]) -> None:
    """A stolen session must not turn into unlimited guessing of the password that guards exports."""
    assert attempt(client, PASSWORD, "198.51.100.7") != 429
    client.post("/sign-in", data={"email": ANA, "password": PASSWORD})
    limit = sign_in_limits.CONFIRM_LIMIT[0]
    statuses = [client.post("/confirm-password", data={"password": f"guess {n}"}).status_code
                for n in range(limit + 3)]
    assert statuses.count(200) == limit and statuses[limit:] == [429] * 3
    refused = client.post("/confirm-password", data={"password": PASSWORD})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    ana[0] += sign_in_limits.CONFIRM_LIMIT[1]
    assert client.post("/confirm-password", data={"password": PASSWORD}).status_code == 302
    for _again in range(limit + 3):  # a right password is never counted
        assert client.post("/confirm-password", data={"password": PASSWORD}).status_code == 302
