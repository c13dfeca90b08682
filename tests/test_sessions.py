"""Sessions: signing out everywhere ends every device's session; long idleness and a long day end one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from scheduler.views import auth
from tests.conftest import PASSWORD, sign_in


@pytest.fixture
def coordinator(make_center: Callable[..., int], make_coordinator: Callable[..., None]) -> int:
    center_id = make_center("North")
    make_coordinator("ana@example.org", "North")
    return center_id


def test_signing_out_everywhere_ends_the_other_devices_sessions(app: Flask, coordinator: int) -> None:
    phone, laptop = app.test_client(), app.test_client()
    sign_in(phone, "ana@example.org")
    sign_in(laptop, "ana@example.org")
    assert phone.get(f"/centers/{coordinator}/").status_code == 200
    assert laptop.post("/sign-out-everywhere").status_code == 302
    assert phone.get(f"/centers/{coordinator}/").status_code == 302  # back to sign-in
    assert laptop.get(f"/centers/{coordinator}/").status_code == 302
    sign_in(phone, "ana@example.org")  # signing in again works
    assert phone.get(f"/centers/{coordinator}/").status_code == 200


def test_an_idle_session_ends_and_remembers_where_it_was(client: FlaskClient, coordinator: int,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1_000_000.0]
    monkeypatch.setattr(auth.time, "time", lambda: clock[0])
    sign_in(client, "ana@example.org")
    clock[0] += 7000
    assert client.get(f"/centers/{coordinator}/").status_code == 200  # still within two hours
    clock[0] += 7201
    response = client.get(f"/centers/{coordinator}/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=")
    assert client.get(f"/centers/{coordinator}/").status_code == 302  # really signed out


def test_a_session_ends_after_twelve_hours_even_when_busy(client: FlaskClient, coordinator: int,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [2_000_000.0]
    monkeypatch.setattr(auth.time, "time", lambda: clock[0])
    sign_in(client, "ana@example.org")
    for _hour in range(12):
        clock[0] += 3600
        assert client.get(f"/centers/{coordinator}/").status_code == 200
    clock[0] += 3600
    assert client.get(f"/centers/{coordinator}/").status_code == 302


def test_export_and_link_rotation_ask_for_the_password_again_after_ten_minutes(
        client: FlaskClient, coordinator: int, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [3_000_000.0]
    monkeypatch.setattr(auth.time, "time", lambda: clock[0])
    sign_in(client, "ana@example.org")
    assert client.get(f"/centers/{coordinator}/export.json").status_code == 200  # just signed in
    clock[0] += 601
    response = client.get(f"/centers/{coordinator}/export.json")
    assert response.status_code == 302 and response.headers["Location"].startswith("/confirm-password?next=")
    refused = client.post(response.headers["Location"], data={"password": "not my password"})
    assert "That is not your password." in refused.get_data(as_text=True)
    back = client.post(response.headers["Location"], data={"password": PASSWORD})
    assert back.status_code == 302 and back.headers["Location"] == f"/centers/{coordinator}/export.json"
    assert client.get(f"/centers/{coordinator}/export.json").status_code == 200
    clock[0] += 601
    rotate = client.post(f"/centers/{coordinator}/calendars/participants/p1/rotate",
                         headers={"Referer": f"http://localhost/centers/{coordinator}/calendars/participants/p1"})
    assert rotate.status_code == 302 and "/confirm-password?next=" in rotate.headers["Location"]
    assert "calendars/participants/p1" in rotate.headers["Location"]


def test_giving_a_facilitator_an_account_asks_for_the_password_again_after_ten_minutes(
        client: FlaskClient, coordinator: int, counts: Callable[[], dict[str, int]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [3_000_000.0]
    monkeypatch.setattr(auth.time, "time", lambda: clock[0])
    sign_in(client, "ana@example.org")
    clock[0] += 601
    before = counts()
    invite = client.post(f"/centers/{coordinator}/answers/facilitators/fac1/invite",
                         headers={"Referer": f"http://localhost/centers/{coordinator}/answers/"})
    assert invite.status_code == 302 and "/confirm-password?next=" in invite.headers["Location"]
    assert counts() == before  # no account, no role, no email yet
    client.post(invite.headers["Location"], data={"password": PASSWORD})
    client.post(f"/centers/{coordinator}/answers/facilitators/fac1/invite")
    assert counts() != before


# Every action that exports people's data, grants an account or a role, or replaces a secret link:
# (who does it, method, path under the center). The test below checks this list against the code.
FRESH_PASSWORD_ROUTES = {
    "editing.export": ("coordinator", "GET", "export.json"),
    "self_service.privacy_export": ("coordinator", "GET", "answers/p1/privacy/export.json"),
    "self_service.privacy_erase": ("coordinator", "POST", "answers/p1/privacy/erase"),
    "self_service.invite_facilitator": ("coordinator", "POST", "answers/facilitators/fac1/invite"),
    "self_service.invite_all_facilitators": ("coordinator", "POST", "answers/facilitators/invite-all"),
    "calendars.rotate": ("coordinator", "POST", "calendars/participants/p1/rotate"),
    "calendars.staff_link": ("coordinator", "POST", "calendars/staff/center"),
    "calendars.apply_settings": ("coordinator", "POST", "calendars/apply-settings"),
    "api_keys.create": ("coordinator", "POST", "api-keys/"),
    "two_factor.require": ("coordinator", "POST", "two-factor"),
    "two_factor.turn_on": ("coordinator", "POST", "/account/two-factor"),
    "two_factor.turn_off": ("coordinator", "POST", "/account/two-factor/off"),
    "swaps.make_calendar_link": ("facilitator", "POST", "cover/calendar"),
}


def _needs_recent_password(view: Callable[..., object]) -> bool:
    while view is not None:
        # The code's own name: functools.wraps gives the wrapper the view's __qualname__.
        if view.__code__.co_qualname == f"{auth.recent_password_required.__name__}.<locals>.wrapped":
            return True
        view = getattr(view, "__wrapped__", None)  # type: ignore[assignment]
    return False


def test_the_list_of_actions_needing_a_fresh_password_is_the_code_s(app: Flask) -> None:
    decorated = {endpoint for endpoint, view in app.view_functions.items() if _needs_recent_password(view)}
    assert decorated == set(FRESH_PASSWORD_ROUTES)


@pytest.mark.parametrize("endpoint", sorted(FRESH_PASSWORD_ROUTES))
def test_each_sensitive_action_asks_for_the_password_again_and_changes_nothing_until_then(
        endpoint: str, app: Flask, client: FlaskClient, coordinator: int, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy import select

    from scheduler.extensions import db
    from scheduler.models import CenterRole, Facilitator, Membership, User
    from scheduler.services.accounts import hash_password
    from tests import rows

    role, method, path = FRESH_PASSWORD_ROUTES[endpoint]
    email = "ana@example.org"
    if role == "facilitator":
        email = "fac1@staff.example.org"
        with app.app_context():
            fac1 = db.session.scalar(select(Facilitator).where(Facilitator.code == "fac1"))
            assert fac1 is not None
            user = User(email=email, password_hash=hash_password(PASSWORD))
            db.session.add(user)
            db.session.flush()
            db.session.add(Membership(user_id=user.id, center_id=coordinator, role=CenterRole.FACILITATOR))
            fac1.user_id = user.id
            db.session.commit()
    target = path if path.startswith("/") else f"/centers/{coordinator}/{path}"
    clock = [4_000_000.0]
    monkeypatch.setattr(auth.time, "time", lambda: clock[0])
    assert sign_in(client, email).status_code == 302
    clock[0] += auth.RECENT_PASSWORD_S + 1
    with app.app_context():
        before = rows.snapshot()
    response = client.open(target, method=method, data={"confirm_name": "Pat"},
                           headers={"Referer": f"http://localhost/centers/{coordinator}/"})
    assert response.status_code == 302 and response.headers["Location"].startswith("/confirm-password?next="), (
        endpoint, response.status_code, response.headers.get("Location"))
    with app.app_context():
        assert rows.differences(before, rows.snapshot()) == {}, endpoint
    # Within ten minutes of giving it again, the action is not stopped.
    confirmed = client.post(response.headers["Location"], data={"password": PASSWORD})
    if method == "GET":
        assert confirmed.status_code == 302
    else:  # the form the password interrupted is sent again from the page (static/js/continue.js)
        assert confirmed.status_code == 200 and f'action="{target}"' in confirmed.get_data(as_text=True), endpoint
    again = client.open(target, method=method, data={})
    assert not again.headers.get("Location", "").startswith("/confirm-password"), endpoint


def test_a_session_from_before_sign_in_is_worth_nothing_after_it(
        app: Flask, coordinator: int, database_url: str, tmp_path: Path) -> None:
    """Session fixation: an attacker gets a session cookie from the sign-in page and plants it in
    someone's browser. After that person signs in, the planted cookie still signs nobody in, what the
    attacker put in the session is gone, and the form token that came with it no longer works."""
    from tests.conftest import make_app
    from tests.support.csrf import CSRF_REFUSAL, csrf_token

    strict = make_app(database_url, tmp_path / "strict", WTF_CSRF_ENABLED=True)
    attacker = strict.test_client()
    planted_token = csrf_token(attacker)
    with attacker.session_transaction() as session:
        session["planted"] = "by the attacker"
    planted = attacker.get_cookie("session")
    assert planted is not None
    victim = strict.test_client()
    victim.set_cookie("session", planted.value)
    response = victim.post("/sign-in", data={"email": "ana@example.org", "password": PASSWORD,
                                             "csrf_token": planted_token})
    assert response.status_code == 302
    after = victim.get_cookie("session")
    assert after is not None and after.value != planted.value
    with victim.session_transaction() as session:
        assert "planted" not in session and "_user_id" in session
    assert victim.get(f"/centers/{coordinator}/").status_code == 200
    assert attacker.get(f"/centers/{coordinator}/").status_code == 302  # the planted cookie: signed out
    refused = victim.post("/sign-out", data={"csrf_token": planted_token})
    assert refused.status_code == 400 and CSRF_REFUSAL in refused.get_data(as_text=True)
    assert victim.get(f"/centers/{coordinator}/").status_code == 200  # still signed in
    assert victim.post("/sign-out", data={"csrf_token": csrf_token(victim, "/")}).status_code == 302
