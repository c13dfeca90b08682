"""The JSON API (/api/v1): keys, planning data with ETag / If-Match, problem details, builds and
versions, and the committed OpenAPI document."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import ApiKey, ApiKeyScope, AuditEntry, Center
from scheduler.services import api_keys
from scheduler.views.api import openapi_document

ROOT = Path(__file__).resolve().parents[1]


def make_key(app: Flask, center_id: int, scope: ApiKeyScope = ApiKeyScope.READ_WRITE) -> str:
    with app.app_context():
        center = db.session.get(Center, center_id)
        assert center is not None
        _key, token = api_keys.create_key(center, "tests", scope, None)
        db.session.commit()
        return token


def auth(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


@pytest.fixture
def center_key(app: Flask, make_center: Callable[..., int]) -> tuple[int, str]:
    center_id = make_center("API A")
    return center_id, make_key(app, center_id)


def test_the_committed_openapi_document_is_the_served_one(client: FlaskClient, app: Flask) -> None:
    served = client.get("/api/v1/openapi.json")
    assert served.status_code == 200
    assert served.get_json()["openapi"].startswith("3.1")
    committed = json.loads((ROOT / "docs" / "openapi.json").read_text())
    assert committed == served.get_json(), "run: .venv/bin/flask --app scheduler api-spec -o docs/openapi.json"
    assert committed == json.loads(json.dumps(openapi_document(app)))


def test_without_a_valid_key_nothing_is_answered(client: FlaskClient, center_key: tuple[int, str]) -> None:
    for headers in ({}, {"Authorization": "Bearer sk_wrong"}, {"Authorization": "Basic abc"}):
        response = client.get("/api/v1/participants", headers=headers)
        assert response.status_code == 401
        assert response.mimetype == "application/problem+json"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert "Set-Cookie" not in response.headers


def test_a_path_or_method_the_api_does_not_have_is_a_problem(client: FlaskClient,
                                                              center_key: tuple[int, str]) -> None:
    _center_id, token = center_key
    missing = client.get("/api/v1/no-such-thing", headers=auth(token))
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    assert missing.get_json()["status"] == 404 and missing.get_json()["instance"] == "/api/v1/no-such-thing"
    wrong_method = client.put("/api/v1/participants", headers=auth(token))
    assert wrong_method.status_code == 405 and wrong_method.mimetype == "application/problem+json"
    assert "GET" in wrong_method.headers["Allow"]
    assert client.get("/no-such-page").mimetype == "text/html"  # pages keep their own error page


def test_list_get_and_filter(client: FlaskClient, center_key: tuple[int, str]) -> None:
    _center, token = center_key
    listed = client.get("/api/v1/participants?per_page=2&page=1", headers=auth(token))
    assert listed.status_code == 200, listed.get_data(as_text=True)
    body = listed.get_json()
    assert body["per_page"] == 2 and len(body["items"]) == 2 and body["total"] > 2
    first = body["items"][0]
    one = client.get(f"/api/v1/participants/{first['id']}", headers=auth(token))
    assert one.get_json() == first and one.headers["ETag"]
    filtered = client.get(f"/api/v1/participants?q={first['name'][:4]}", headers=auth(token)).get_json()
    assert first in filtered["items"]
    assert client.get("/api/v1/participants/nobody", headers=auth(token)).status_code == 404


def data_counts(counts: Callable[[], dict[str, int]]) -> dict[str, int]:
    """Rows per table but the audit log, where every request made with a key leaves an entry."""
    return {table: n for table, n in counts().items() if table != "audit_entries"}


def participant(code: str = "new1", **fields: Any) -> dict[str, Any]:
    return {"id": code, "name": "Nuria Nueva", "email": "", "max_groups": 1, "available": [],
            "preferences": [], **fields}


def test_create_then_change_with_if_match(client: FlaskClient, center_key: tuple[int, str]) -> None:
    _center, token = center_key
    made = client.post("/api/v1/participants", json=participant(), headers=auth(token))
    assert made.status_code == 201, made.get_data(as_text=True)
    assert made.headers["Location"].endswith("/api/v1/participants/new1")
    etag = made.headers["ETag"]
    assert client.get("/api/v1/participants/new1", headers=auth(token)).headers["ETag"] == etag

    without = client.patch("/api/v1/participants/new1", json={"name": "Nuria N."}, headers=auth(token))
    assert without.status_code == 428 and without.mimetype == "application/problem+json"
    changed = client.patch("/api/v1/participants/new1", json={"name": "Nuria N."},
                           headers=auth(token, **{"If-Match": etag}))
    assert changed.status_code == 200 and changed.get_json()["name"] == "Nuria N."
    assert changed.headers["ETag"] != etag
    stale = client.patch("/api/v1/participants/new1", json={"name": "Lost update"},
                         headers=auth(token, **{"If-Match": etag}))
    assert stale.status_code == 412
    assert client.get("/api/v1/participants/new1", headers=auth(token)).get_json()["name"] == "Nuria N."

    gone = client.delete("/api/v1/participants/new1", headers=auth(token, **{"If-Match": etag}))
    assert gone.status_code == 412
    gone = client.delete("/api/v1/participants/new1", headers=auth(token, **{"If-Match": changed.headers["ETag"]}))
    assert gone.status_code == 204
    assert client.get("/api/v1/participants/new1", headers=auth(token)).status_code == 404


def test_refusals_name_each_field_by_json_pointer_and_write_nothing(
        client: FlaskClient, center_key: tuple[int, str], counts: Callable[[], dict[str, int]]) -> None:
    _center, token = center_key
    before = data_counts(counts)
    typed = client.post("/api/v1/participants", json=participant(max_groups="two", extra=1), headers=auth(token))
    assert typed.status_code == 422 and typed.mimetype == "application/problem+json"
    pointers = {e["pointer"] for e in typed.get_json()["errors"]}
    assert {"/max_groups", "/extra"} <= pointers
    # The same rules and messages as the forms: an unknown slot and a negative number.
    ruled = client.post("/api/v1/participants", json=participant(max_groups=-1, available=["NO-SUCH"]),
                        headers=auth(token))
    assert ruled.status_code == 422, ruled.get_data(as_text=True)
    errors = ruled.get_json()["errors"]
    assert any(e["pointer"] == "/max_groups" for e in errors), errors
    assert any(e["pointer"].startswith("/available") and "NO-SUCH" in e["detail"] for e in errors), errors
    assert data_counts(counts) == before


def test_bulk_upsert_is_all_or_nothing(client: FlaskClient, center_key: tuple[int, str],
                                       counts: Callable[[], dict[str, int]]) -> None:
    _center, token = center_key
    existing = client.get("/api/v1/participants?per_page=1", headers=auth(token)).get_json()["items"][0]
    before = data_counts(counts)
    refused = client.post("/api/v1/participants/bulk", headers=auth(token), json={"items": [
        participant("bulk1"), {"id": existing["id"], "email": "new@example.org"},
        participant("bulk2", preferences=["no-such-activity"])]})
    assert refused.status_code == 422, refused.get_data(as_text=True)
    assert [e["pointer"] for e in refused.get_json()["errors"]] == ["/items/2/preferences/0"]
    assert data_counts(counts) == before
    done = client.post("/api/v1/participants/bulk", headers=auth(token), json={"items": [
        participant("bulk1"), {"id": existing["id"], "email": "new@example.org"}]})
    assert done.status_code == 200 and done.get_json() == {"added": 1, "updated": 1}
    again = client.get(f"/api/v1/participants/{existing['id']}", headers=auth(token)).get_json()
    assert again == {**existing, "email": "new@example.org"}  # what was not sent was kept


def test_a_read_only_key_reads_but_changes_nothing(app: Flask, client: FlaskClient, center_key: tuple[int, str],
                                                    counts: Callable[[], dict[str, int]]) -> None:
    center_id, _token = center_key
    reader = make_key(app, center_id, ApiKeyScope.READ)
    assert client.get("/api/v1/rooms", headers=auth(reader)).status_code == 200
    before = data_counts(counts)
    refused = client.post("/api/v1/participants", json=participant(), headers=auth(reader))
    assert refused.status_code == 403
    assert data_counts(counts) == before


def test_keys_are_stored_hashed_revocable_and_every_use_is_logged(app: Flask, client: FlaskClient,
                                                                   center_key: tuple[int, str]) -> None:
    center_id, token = center_key
    assert client.get("/api/v1/rooms", headers=auth(token)).status_code == 200
    with app.app_context():
        key = db.session.scalar(select(ApiKey).where(ApiKey.center_id == center_id))
        assert key is not None and key.last_used_at is not None
        assert token not in str([key.token_hash, key.prefix, key.name]) and len(key.token_hash) == 64
        actions = [e.action for e in db.session.scalars(select(AuditEntry).where(AuditEntry.center_id == center_id))]
        assert "api_key.created" in actions and "api_key.used" in actions
        api_keys.revoke(key, None)
        db.session.commit()
    assert client.get("/api/v1/rooms", headers=auth(token)).status_code == 401
    with app.app_context():
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "api_key.revoked")) is not None


def test_guessing_keys_is_slowed(app: Flask, client: FlaskClient, center_key: tuple[int, str]) -> None:
    _center, token = center_key
    answers = [client.get("/api/v1/rooms", headers=auth(f"sk_guess{i}")).status_code for i in range(61)]
    assert answers[:60] == [401] * 60 and answers[60] == 429
    limited = client.get("/api/v1/rooms", headers=auth("sk_guess"))
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    # A right key at the same address is never held against it.
    assert client.get("/api/v1/rooms", headers=auth(token)).status_code == 200


def test_the_keys_page_shows_a_new_key_once_and_revokes(app: Flask, client: FlaskClient,
                                                         make_center: Callable[..., int],
                                                         make_coordinator: Callable[..., None]) -> None:
    from tests.conftest import sign_in

    center_id = make_center("Keys")
    make_coordinator("keys@example.org", "Keys")
    sign_in(client, "keys@example.org")
    made = client.post(f"/centers/{center_id}/api-keys/", data={"name": "case system", "scope": "read"})
    assert made.status_code == 200
    page = made.get_data(as_text=True)
    token = page.split('<code id="new-key">', 1)[1].split("</code>", 1)[0]
    assert token.startswith("sk_") and client.get("/api/v1/rooms", headers=auth(token)).status_code == 200
    assert token not in client.get(f"/centers/{center_id}/api-keys/").get_data(as_text=True)
    with app.app_context():
        key = db.session.scalar(select(ApiKey).where(ApiKey.center_id == center_id))
        assert key is not None and key.scope == ApiKeyScope.READ
        key_id = key.id
    client.post(f"/centers/{center_id}/api-keys/{key_id}/revoke")
    assert client.get("/api/v1/rooms", headers=auth(token)).status_code == 401


def test_api_key_command_makes_a_working_key(app: Flask, client: FlaskClient, make_center: Callable[..., int]) -> None:
    make_center("Command")
    result = app.test_cli_runner().invoke(args=["api-key", "create", "--center", "Command", "--read-only"])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert client.get("/api/v1/slots", headers=auth(token)).status_code == 200
    assert client.post("/api/v1/slots/bulk", json={"items": []}, headers=auth(token)).status_code == 403
    missing = app.test_cli_runner().invoke(args=["api-key", "create", "--center", "Nowhere"])
    assert missing.exit_code != 0


def test_versions_publish_compare_and_a_participants_groups(app: Flask, client: FlaskClient) -> None:
    from tests.support.swaps_term import SCENARIO, make_term

    with app.app_context():
        version = make_term(SCENARIO)
        center_id, member = version.center_id, version.schedule["groups"][0]["members"][0]
    token = make_key(app, center_id)
    listed = client.get("/api/v1/versions", headers=auth(token)).get_json()
    assert [v["number"] for v in listed] == [1] and listed[0]["status"] == "published"
    schedule = client.get("/api/v1/versions/1/schedule", headers=auth(token)).get_json()
    assert schedule["groups"] and schedule["format"]
    again = client.post("/api/v1/versions/1/publish", headers=auth(token))
    assert again.status_code == 409 and again.get_json()["detail"]
    compared = client.get("/api/v1/versions/compare?a=1&b=1", headers=auth(token)).get_json()
    assert compared["moved"] == [] and compared["groups_changed"] == []
    groups = client.get(f"/api/v1/participants/{member}/groups", headers=auth(token)).get_json()
    assert groups["version"] == 1 and all(member in g["members"] for g in groups["groups"]) and groups["groups"]
    assert client.get("/api/v1/versions/2", headers=auth(token)).status_code == 404


@pytest.mark.slow
def test_a_build_starts_reports_progress_and_makes_a_version(app: Flask, client: FlaskClient,
                                                             center_key: tuple[int, str]) -> None:
    _center, token = center_key
    bad = client.post("/api/v1/builds", json={"time_limit_s": 1}, headers=auth(token))
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["pointer"] == "/time_limit_s"
    started = client.post("/api/v1/builds", json={"time_limit_s": 5}, headers=auth(token))
    assert started.status_code == 202, started.get_data(as_text=True)
    location = started.headers["Location"]
    second = client.post("/api/v1/builds", json={"time_limit_s": 5}, headers=auth(token))
    assert second.status_code == 409
    app.extensions["solve_executor"].submit(lambda: None).result(timeout=120)
    finished = client.get(location, headers=auth(token)).get_json()
    assert finished["status"] == "finished" and finished["version_number"] == 1
    assert client.post(f"{location}/cancel", headers=auth(token)).status_code == 409
    published = client.post("/api/v1/versions/1/publish", headers=auth(token))
    assert published.status_code == 200 and published.get_json()["status"] == "published"


def test_a_build_takes_the_weights_it_is_given(app: Flask, client: FlaskClient, center_key: tuple[int, str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The score's weights reach the solver; a bad weight is refused by its JSON pointer, nothing started."""
    from solver.objective import Weights

    solve_module = importlib.import_module("solver.solve")  # the package's `solve` is the function

    seen: list[Weights] = []
    real_solve = solve_module.solve

    def spy(scenario: Any, params: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(params.weights)
        return real_solve(scenario, params, *args, **kwargs)

    monkeypatch.setattr(solve_module, "solve", spy)
    _center, token = center_key
    bad = client.post("/api/v1/builds", json={"time_limit_s": 5, "weights": {"coverage": -1}}, headers=auth(token))
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["pointer"] == "/weights/coverage"
    started = client.post("/api/v1/builds", headers=auth(token), json={
        "time_limit_s": 5, "weights": {"coverage": 50, "rank_points": [9, 4], "facilitator_load": 3}})
    assert started.status_code == 202, started.get_data(as_text=True)
    app.extensions["solve_executor"].submit(lambda: None).result(timeout=120)
    assert seen == [Weights(coverage=50, rank_points=(9, 4), facilitator_load=3)]
    assert client.get(started.headers["Location"], headers=auth(token)).get_json()["status"] == "finished"


def test_the_api_refuses_with_the_forms_own_messages(client: FlaskClient, make_center: Callable[..., int],
                                                     make_coordinator: Callable[..., None], app: Flask) -> None:
    from html import unescape

    from tests.conftest import sign_in

    center_id = make_center("Same words")
    token = make_key(app, center_id)
    api = client.post("/api/v1/rooms", json={"id": "big", "name": "Big room", "capacity": 0}, headers=auth(token))
    assert api.status_code == 422
    [detail] = [e["detail"] for e in api.get_json()["errors"] if e["pointer"] == "/capacity"]
    make_coordinator("words@example.org", "Same words")
    sign_in(client, "words@example.org")
    form = client.post(f"/centers/{center_id}/rooms/new", data={"id": "big", "name": "Big room", "capacity": "0"})
    assert detail in unescape(form.get_data(as_text=True))
