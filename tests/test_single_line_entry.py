"""Names and labels are single-line at every entry (scenario file, forms, CSV), refused with a
message naming the field; odd JSON in an upload (a number of 4 301 digits, NaN, a lone surrogate,
huge counts) gets a message, never a 500."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import Center, Participant
from solver.scenario import ScenarioError, parse_scenario_bytes, validate_scenario
from tests.conftest import scenario_path, sign_in

EMAIL = "coordinator@example.org"
HOSTILE = ["Ana\nRuiz", "Ana\r\nBCC: x@evil.example", "Ana\u2028Ruiz", "Ana\x00", "Ana\x1b[31m", "Ana\u0085"]


def small() -> dict:
    return json.loads(scenario_path("small").read_text())


@pytest.mark.parametrize("value", HOSTILE)
def test_the_validator_refuses_a_line_break_or_control_character_naming_the_field(value: str) -> None:
    data = small()
    data["participants"][2]["name"] = value
    data["rooms"][0]["features"].append(value)
    data["center"]["name"] = value
    paths = {p.path for p in validate_scenario(data)}
    assert {"participants[2].name", "center.name", f"rooms[0].features[{len(data['rooms'][0]['features']) - 1}]"} \
        <= paths


def test_ordinary_names_with_accents_and_apostrophes_are_accepted() -> None:
    data = small()
    data["participants"][2]["name"] = "Zoë O'Brien-Núñez 李"
    assert validate_scenario(data) == []


@pytest.mark.parametrize("raw, words", [
    (b'{"format": "sociotherapy-scenario/1", "rooms": [{"capacity": ' + b"9" * 4301 + b"}]}", "too long"),
    (b'{"format": NaN}', "must be"),
    (b'[' * 100_000, "nested too deeply"),
])
def test_odd_json_is_a_problem_not_a_crash(raw: bytes, words: str) -> None:
    with pytest.raises(ScenarioError) as error:
        parse_scenario_bytes(raw)
    assert words in str(error.value)


def test_huge_counts_and_lone_surrogates_are_named() -> None:
    data = small()
    data["rooms"][0]["capacity"] = 10 ** 40
    data["participants"][0]["name"] = "\ud800"
    text = json.dumps(data)  # ensure_ascii keeps the lone surrogate as \ud800 in the file
    with pytest.raises(ScenarioError) as error:
        parse_scenario_bytes(text.encode())
    messages = {p.path: p.message for p in error.value.problems}
    assert "a number of 41 digits" in messages["rooms[0].capacity"]
    assert "invalid character" in messages["participants[0].name"]


@pytest.fixture
def center_id(make_center: Callable[..., int], make_coordinator: Callable[..., None]) -> int:
    cid = make_center("North")
    make_coordinator(EMAIL, "North")
    return cid


def _code(app: Flask, cid: int) -> str:
    with app.app_context():
        return db.session.scalars(select(Participant.code).where(Participant.center_id == cid)).first() or ""


def test_the_participant_form_refuses_a_line_break_on_the_name_field(
        app: Flask, client: FlaskClient, center_id: int) -> None:
    app.config["WTF_CSRF_ENABLED"] = False
    sign_in(client, EMAIL)
    code = _code(app, center_id)
    response = client.post(f"/centers/{center_id}/participants/{code}/edit",
                           data={"name": "Ana\r\nRuiz", "email": "", "max_groups": "1"})
    assert response.status_code == 200
    assert 'id="name-error"' in response.get_data(as_text=True)
    assert "single line" in response.get_data(as_text=True)
    with app.app_context():
        assert "\n" not in db.session.scalars(select(Participant.name).where(Participant.code == code)).one()


def test_the_settings_form_refuses_a_center_name_with_a_line_break(
        app: Flask, client: FlaskClient, center_id: int) -> None:
    app.config["WTF_CSRF_ENABLED"] = False
    sign_in(client, EMAIL)
    response = client.post(f"/centers/{center_id}/settings",
                           data={"name": "North\nSouth", "timezone": "Europe/Madrid", "term_start": "2026-01-12",
                                 "term_end": "2026-03-27", "holidays": ""})
    assert response.status_code == 200 and "single line" in response.get_data(as_text=True)
    with app.app_context():
        center = db.session.get(Center, center_id)
        assert center is not None and center.name == "North"


def test_a_csv_name_with_a_line_break_names_row_and_column(app: Flask, client: FlaskClient, center_id: int) -> None:
    app.config["WTF_CSRF_ENABLED"] = False
    sign_in(client, EMAIL)
    body = b'id,name,max_groups\nnew1,"Ana\nRuiz",1\n'
    response = client.post(f"/centers/{center_id}/import/participants",
                           data={"file": (io.BytesIO(body), "people.csv")})
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "row 2, column name" in text and "single line" in text


def test_an_upload_with_a_4301_digit_number_gets_a_message(app: Flask, client: FlaskClient, center_id: int) -> None:
    app.config["WTF_CSRF_ENABLED"] = False
    sign_in(client, EMAIL)
    raw = json.dumps(small()).replace('"capacity": ', '"capacity": ' + "9" * 4301 + ", \"x\": ", 1).encode()
    response = client.post(f"/centers/{center_id}/import/scenario",
                           data={"file": (io.BytesIO(raw), "big.json"), "confirm": "y"})
    assert response.status_code == 200 and "too long" in response.get_data(as_text=True)
