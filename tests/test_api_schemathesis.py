"""Schemathesis against the API's own served OpenAPI document: generated requests to every operation
(bounded, so the run stays well under a minute), with a real key of a center holding planning data
and a published version. No answer may be a server error, and every answer must match the schema
the document gives for its status (problem details included).

Starting a build is left out: each example would start a CP-SAT solve on a background thread (one
per center at a time, several seconds each), which a bounded run cannot wait for; builds are tested
in tests/test_api.py and by the docs/api.md script test."""

from __future__ import annotations

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from scheduler.extensions import db
from scheduler.models import ApiKeyScope, Center
from scheduler.services import api_keys
from tests.conftest import make_app
from tests.support.swaps_term import SCENARIO, make_term


def _served_document() -> dict[str, object]:
    """The document exactly as the app serves it (it needs no database to build)."""
    import tempfile
    from pathlib import Path

    built = make_app("sqlite://", Path(tempfile.mkdtemp()))
    document: dict[str, object] = built.test_client().get("/api/v1/openapi.json").get_json()
    with built.app_context():
        db.engine.dispose()
    return document


schema = schemathesis.openapi.from_dict(_served_document())


@pytest.fixture
def api_client(app: Flask) -> tuple[FlaskClient, str]:
    app.config["RATELIMIT_ENABLED"] = False  # hundreds of requests a second from one test client
    with app.app_context():
        version = make_term(SCENARIO)
        center = db.session.get(Center, version.center_id)
        assert center is not None
        _key, token = api_keys.create_key(center, "schemathesis", ApiKeyScope.READ_WRITE, None)
        db.session.commit()
    return app.test_client(), token


@schema.exclude(method="POST", path="/api/v1/builds").parametrize()
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_operation_answers_as_documented(case: schemathesis.Case, api_client: tuple[FlaskClient, str]) -> None:
    client, token = api_client
    sent = case.as_transport_kwargs()
    response = client.open(sent["url"], method=sent["method"], headers={**sent.get("headers", {}),
                                                                        "Authorization": f"Bearer {token}"},
                           query_string=sent.get("params"), json=sent.get("json"))
    case.validate_response(response, checks=[not_a_server_error, status_code_conformance,
                                             response_schema_conformance])
