"""The interface language: English or Spanish, the choice kept in the session."""

from __future__ import annotations

from flask.testing import FlaskClient


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
