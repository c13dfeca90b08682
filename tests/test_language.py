"""The interface language: English or Spanish, the choice kept in the session."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from tests.conftest import sign_in


def test_language_choice_is_remembered_and_redirects_only_within_the_site(client: FlaskClient) -> None:
    response = client.post("/language", data={"locale": "es", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"
    page = client.get("/sign-in").get_data(as_text=True)
    assert '<html lang="es">' in page
    response = client.post("/language", data={"locale": "xx", "next": "/sign-in"})
    assert response.headers["Location"] == "/sign-in"
    assert '<html lang="es">' in client.get("/sign-in").get_data(as_text=True)  # unknown code ignored


def test_spanish_pages_are_in_spanish(client: FlaskClient) -> None:
    client.post("/language", data={"locale": "es", "next": "/sign-in"})
    page = client.get("/sign-in").get_data(as_text=True)
    assert "<h1>Iniciar sesión</h1>" in page
    assert "Correo electrónico" in page and "Contraseña" in page
    assert "Sign in" not in page


def test_the_language_survives_signing_in_and_out(client: FlaskClient, make_center: Any,
                                                 make_coordinator: Any) -> None:
    make_center("North")
    make_coordinator("ana@example.org", "North")
    client.post("/language", data={"locale": "es", "next": "/sign-in"})
    assert sign_in(client, "ana@example.org").status_code == 302
    assert '<html lang="es">' in client.get("/", follow_redirects=True).get_data(as_text=True)
    page = client.post("/sign-out", follow_redirects=True).get_data(as_text=True)
    assert '<html lang="es">' in page and "Ha cerrado la sesión" in page
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "Please log in" not in page and "Inicie sesión para ver esta página." in page
