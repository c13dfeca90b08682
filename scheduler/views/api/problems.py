"""Errors as RFC 9457 problem details (``application/problem+json``).

Every refusal names what is wrong: a field of the request body by its JSON pointer (RFC 6901), a
query parameter or header by its name. A webargs validation error, an HTTP error raised anywhere in
the API, and a refused change all take this shape."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import marshmallow as ma
from flask import Response, json, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from scheduler.extensions import db

PROBLEM_TYPE = "application/problem+json"


class ProblemErrorSchema(ma.Schema):
    pointer = ma.fields.String(metadata={"description": "JSON pointer (RFC 6901) into the request body"})
    parameter = ma.fields.String(metadata={"description": "Name of the query parameter or header at fault"})
    detail = ma.fields.String(required=True)


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details, with ``errors`` listing each field at fault."""

    type = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String()
    instance = ma.fields.String()
    errors = ma.fields.List(ma.fields.Nested(ProblemErrorSchema))


def pointer(*parts: str | int) -> str:
    """``pointer("items", 3, "a/b")`` -> ``/items/3/a~1b``."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def problem(status: int, title: str, detail: str | None = None, errors: list[dict[str, str]] | None = None,
            headers: Mapping[str, str] | None = None) -> Response:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "instance": request.path}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _flatten(messages: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            yield from _flatten(value, (*path, key))
    elif isinstance(messages, list | tuple):
        for message in messages:
            yield from _flatten(message, path)
    else:
        yield path, str(messages)


def validation_errors(messages: Mapping[str, Any]) -> list[dict[str, str]]:
    """webargs' ``{"json": {"name": ["..."]}, "query": {...}}`` as problem ``errors``."""
    errors = []
    for location, found in messages.items():
        for path, message in _flatten(found):
            if location == "json":
                # Marshmallow files errors about the body as a whole under "_schema".
                parts = tuple(p for p in path if p != "_schema")
                errors.append({"pointer": pointer(*parts), "detail": message})
            else:
                errors.append({"parameter": str(path[0]) if path else location, "detail": message})
    return errors


def from_http_exception(error: HTTPException) -> Response:
    """Any HTTP error inside the API, webargs' 422 included, as a problem."""
    db.session.rollback()  # nothing half-written: whatever the request had flushed goes
    code = error.code or 500
    data = getattr(error, "data", None) or {}
    if code == 422 and "messages" in data:
        return problem(422, _("The request has invalid fields."), errors=validation_errors(data["messages"]),
                       headers=data.get("headers"))
    titles = {404: _("Not found"), 405: _("Method not allowed"), 413: _("Request too large"),
              400: _("Bad request")}
    detail = data.get("message") or {404: _("There is nothing here, or it is not yours to see.")}.get(code)
    response = problem(code, titles.get(code, error.name), detail, headers=data.get("headers"))
    if code == 405 and error.get_response().headers.get("Allow"):
        response.headers["Allow"] = error.get_response().headers["Allow"]
    return response
