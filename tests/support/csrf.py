"""Forms with CSRF protection on (the suite turns it off elsewhere): the token a page's form carries,
and what the app answers to a form without a valid one."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

CSRF_REFUSAL = "The form had expired or came from another site."


def csrf_token(client: FlaskClient, path: str = "/sign-in") -> str:
    page = client.get(path, follow_redirects=True).get_data(as_text=True)
    field = re.search(r'<input[^>]*name="csrf_token"[^>]*>', page)
    found = re.search(r'value="([^"]+)"', field.group(0)) if field else None
    assert found, f"no CSRF token on {path}"
    return found.group(1)
