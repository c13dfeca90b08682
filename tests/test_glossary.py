"""The coordinators' glossary: reachable from every signed-in page, in English and in Spanish, and it
explains the words the coordinator's pages use."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask.testing import FlaskClient

from scheduler.views.glossary import TERMS
from tests.conftest import sign_in

WORDS = {"term", "slot", "activity", "group", "meeting", "version", "draft", "pin", "cover", "waiting-list"}


def test_the_glossary_is_linked_from_the_coordinators_pages_in_both_languages(
        client: FlaskClient, make_center: Callable[..., int], make_coordinator: Callable[..., None]) -> None:
    center_id = make_center("North")
    make_coordinator("ana@example.org", "North")
    assert client.get("/glossary").status_code == 302  # signed-in people only
    sign_in(client, "ana@example.org")
    for url in (f"/centers/{center_id}/", f"/centers/{center_id}/schedule/", f"/centers/{center_id}/swaps/"):
        assert '<a href="/glossary">Glossary</a>' in client.get(url).get_data(as_text=True), url
    page = client.get("/glossary").get_data(as_text=True)
    anchors = set(re.findall(r'<div id="([\w-]+)"><dt>', page))
    assert anchors >= WORDS, WORDS - anchors
    assert "<dt>Pin</dt>" in page and "A part of a version to keep" in page
    client.post("/language", data={"locale": "es", "next": "/glossary"})
    page = client.get("/glossary").get_data(as_text=True)
    assert "<h1>Glosario</h1>" in page and "<dt>Lista de espera</dt>" in page
    assert '<a href="/glossary">Glosario</a>' in client.get(f"/centers/{center_id}/").get_data(as_text=True)
    assert len(set(re.findall(r"<dd>(.+?)</dd>", page))) == len(TERMS)  # every meaning, none left in English
