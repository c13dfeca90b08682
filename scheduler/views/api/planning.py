"""Planning data over the API: slots, rooms, activities, facilitators and participants (with their
availability and ranked preferences). List, get, create, replace, delete, and bulk upsert by code.

Writes go through the planning gateway (``services.planning``), like the coordinator's forms: the
whole center is validated with the change applied, with the same messages, and written in one
transaction or not at all. An update or delete must name the version it read (``If-Match`` with the
item's ``ETag``, the gateway's item version): without it 428, with a stale one 412, so two clients
cannot overwrite each other."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import marshmallow as ma
from flask import Response, request, url_for
from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint

from scheduler.extensions import db
from scheduler.models import Center
from scheduler.services import planning
from scheduler.views.api import schemas
from scheduler.views.api.auth import current_center
from scheduler.views.api.problems import pointer, problem

SECTIONS = ("slots", "rooms", "activities", "facilitators", "participants")
_PATH = re.compile(r"^(\w+)\[(\d+)\](.*)$")
_STEP = re.compile(r"\.([^.\[]+)|\[(\d+)\]")

IF_MATCH = {"in": "header", "name": "If-Match", "required": True, "schema": {"type": "string"},
            "description": "The item's ETag, as a GET returned it (428 without, 412 when it has changed since)."}
ETAG_HEADER = {"ETag": {"schema": {"type": "string"}, "description": "The item's version, for If-Match"}}


def _items(center: Center, section: str) -> list[dict[str, Any]]:
    """The section's items in the interchange format (optional keys at their default left out)."""
    items: list[dict[str, Any]] = planning.read_center(center).to_dict()[section]
    return items


def _item(center: Center, section: str, code: str) -> dict[str, Any] | None:
    return next((i for i in _items(center, section) if i["id"] == code), None)


def _quoted(version: str) -> str:
    return f'"{version}"'


def _not_found() -> Response:
    return problem(404, _("Not found"), _("There is nothing here, or it is not yours to see."))


def _expected_version(center: Center, section: str, code: str) -> str | Response | None:
    """The version If-Match names (None for "*"), or the refusal: 428 without it, 412 when stale."""
    sent = request.headers.get("If-Match")
    if not sent:
        return problem(428, _("Precondition required"),
                       _("Send If-Match with the ETag of the item as you read it."),
                       errors=[{"parameter": "If-Match", "detail": _("is missing")}])
    tags = [t.strip().removeprefix("W/") for t in sent.split(",")]
    if "*" in tags:
        return None
    current = planning.item_version(center, section, code)
    if current is None or _quoted(current) not in tags:
        return _stale()
    return current


def _stale(lines: list[str] | None = None) -> Response:
    return problem(412, _("Precondition failed"),
                   " ".join(lines) if lines else
                   _("The item has changed since you read it. Read it again and repeat your change."),
                   errors=[{"parameter": "If-Match", "detail": _("does not match the current ETag")}])


def _refused(result: planning.EditResult,
             root: Callable[[int], tuple[str | int, ...] | None] = lambda _i: None,
             section: str = "") -> Response:
    """A refused edit: 412 when stale, otherwise 422 with each problem by its JSON pointer: the
    item's own fields by name, other problems inside an item of the request by their path in it,
    and the rest (an item the change broke) with their path in the center's data."""
    db.session.rollback()
    if result.stale:
        return _stale(result.stale)
    errors = [{"pointer": "" if name == "__item__" else pointer(name), "detail": message}
              for name, messages in result.field_problems.items() for message in messages]
    for found in result.other_problems:
        match = _PATH.match(found.path)
        base = root(int(match.group(2))) if match and match.group(1) == section else None
        if match is None or base is None:
            errors.append({"pointer": "", "detail": str(found)})
            continue
        steps = [name if name else int(index) for name, index in _STEP.findall(match.group(3))]
        errors.append({"pointer": pointer(*base, *steps), "detail": found.message})
    return problem(422, _("Nothing was saved: please correct the problems shown."), errors=errors)


def _load(section: str, body: Any, *, partial: bool) -> dict[str, Any] | list[dict[str, str]]:
    try:
        loaded: dict[str, Any] = schemas.ITEM_SCHEMAS[section]().load(body, partial=partial)
    except ma.ValidationError as error:
        return [{"pointer": pointer(*p), "detail": m} for p, m in _flatten(error.messages)]
    return loaded


def _flatten(messages: Any, path: tuple[str | int, ...] = ()) -> list[tuple[tuple[str | int, ...], str]]:
    if isinstance(messages, dict):
        return [pair for key, value in messages.items()
                for pair in _flatten(value, path if key == "_schema" else (*path, key))]
    if isinstance(messages, list):
        return [pair for value in messages for pair in _flatten(value, path)]
    return [(path, str(messages))]


def _with_etag(center: Center, section: str, code: str, status: int = 200) -> Response:
    item = _item(center, section, code)
    version = planning.item_version(center, section, code)
    if item is None or version is None:
        return _not_found()
    response = Response(json.dumps(item), status=status, mimetype="application/json")
    response.headers["ETag"] = _quoted(version)
    return response


def _matches(section: str, item: dict[str, Any], args: dict[str, Any]) -> bool:
    q = (args.get("q") or "").casefold()
    if q and q not in item["id"].casefold() and q not in str(item.get("name", "")).casefold():
        return False
    if section == "slots" and args.get("day") and item["day"] != args["day"]:
        return False
    if section == "participants" and args.get("activity") and args["activity"] not in item.get("preferences", []):
        return False
    return not (section == "facilitators" and args.get("skill") and args["skill"] not in item.get("skills", []))


def _register(blp: Blueprint, section: str) -> None:
    item_schema = schemas.ITEM_SCHEMAS[section]
    update_schema = schemas.update_schema(item_schema)
    noun = item_schema.__name__.removesuffix("Schema").lower()

    class Collection(MethodView):
        @blp.arguments(schemas.ARGS_SCHEMAS[section], location="query")
        @blp.response(200, schemas.page_schema(item_schema))
        @blp.doc(summary=f"List {section}", security=[{"bearer": []}])
        def get(self, args: dict[str, Any]) -> dict[str, Any]:
            found = [i for i in _items(current_center(), section) if _matches(section, i, args)]
            start = (args["page"] - 1) * args["per_page"]
            return {"items": found[start:start + args["per_page"]], "page": args["page"],
                    "per_page": args["per_page"], "total": len(found)}

        @blp.arguments(item_schema)
        @blp.response(201, item_schema, headers=ETAG_HEADER)
        @blp.doc(summary=f"Create a {noun}", security=[{"bearer": []}])
        def post(self, item: dict[str, Any]) -> Response:
            center = current_center()
            if _item(center, section, item["id"]) is not None:
                return problem(409, _("Conflict"), _("An item with this id exists already."),
                               errors=[{"pointer": "/id", "detail": _("is taken")}])
            result = planning.save_item(center, section, None, item)
            if not result.ok:
                return _refused(result)
            db.session.commit()
            response = _with_etag(center, section, item["id"], 201)
            response.headers["Location"] = url_for(f"api_planning.{section}_item", code=item["id"])
            return response

    class Item(MethodView):
        @blp.response(200, item_schema, headers=ETAG_HEADER)
        @blp.doc(summary=f"Get a {noun}", security=[{"bearer": []}])
        def get(self, code: str) -> Response:
            return _with_etag(current_center(), section, code)

        @blp.arguments(update_schema)
        @blp.response(200, item_schema, headers=ETAG_HEADER)
        @blp.doc(summary=f"Change a {noun}: the fields given change, the others keep their value",
                 security=[{"bearer": []}], parameters=[IF_MATCH])
        def patch(self, fields: dict[str, Any], code: str) -> Response:
            center = current_center()
            if _item(center, section, code) is None:
                return _not_found()
            expected = _expected_version(center, section, code)
            if isinstance(expected, Response):
                return expected
            if fields.get("id", code) != code:
                return problem(422, _("The request has invalid fields."),
                               errors=[{"pointer": "/id", "detail": _("The id cannot be changed.")}])
            result = planning.save_item(center, section, code, fields, expected_version=expected)
            if not result.ok:
                return _refused(result)
            db.session.commit()
            return _with_etag(center, section, code)

        @blp.response(204)
        @blp.doc(summary=f"Delete a {noun} and every reference to it", security=[{"bearer": []}],
                 parameters=[IF_MATCH])
        def delete(self, code: str) -> Response:
            center = current_center()
            if _item(center, section, code) is None:
                return _not_found()
            expected = _expected_version(center, section, code)
            if isinstance(expected, Response):
                return expected
            result = planning.delete_item(center, section, code, expected_version=expected)
            if not result.ok:
                return _refused(result)
            db.session.commit()
            return Response(status=204)

    class Bulk(MethodView):
        @blp.arguments(schemas.bulk_schema(item_schema))
        @blp.response(200, schemas.BulkResultSchema)
        @blp.doc(summary=f"Add or change many {section} by id, all or nothing", security=[{"bearer": []}])
        def post(self, body: dict[str, Any]) -> Response | dict[str, int]:
            center = current_center()
            known = {i["id"] for i in _items(center, section)}
            loaded: list[dict[str, Any]] = []
            errors: list[dict[str, str]] = []
            for k, raw in enumerate(body["items"]):
                code = raw.get("id") if isinstance(raw.get("id"), str) else None
                item = _load(section, raw, partial=code in known)
                if isinstance(item, list):
                    errors += [{**e, "pointer": pointer("items", k) + e["pointer"]} for e in item]
                else:
                    loaded.append(item)
            if errors:
                return problem(422, _("The request has invalid fields."), errors=errors)
            where: dict[int, int] = {}  # index in the center's list -> index in the request
            added = 0

            def upsert(data: dict[str, Any]) -> str:
                nonlocal added
                for k, item in enumerate(loaded):
                    at = next((i for i, old in enumerate(data[section]) if old["id"] == item["id"]), None)
                    if at is None:
                        data[section].append(schemas.NEW_ITEM_DEFAULTS.get(section, {}) | item)
                        at = len(data[section]) - 1
                        added += 1
                    else:
                        data[section][at] = {**data[section][at], **item}
                    where[at] = k
                return ""  # every problem keeps its full path; ``_refused`` places it in the request

            result = planning.apply_change(center, upsert)
            if not result.ok:
                return _refused(result, lambda i: ("items", where[i]) if i in where else None, section)
            db.session.commit()
            return {"added": added, "updated": len(loaded) - added}

    blp.add_url_rule(f"/{section}", f"{section}_collection", Collection, tags=[section])
    blp.add_url_rule(f"/{section}/<code>", f"{section}_item", Item, tags=[section])
    blp.add_url_rule(f"/{section}/bulk", f"{section}_bulk", Bulk, tags=[section])


def make_blueprint() -> Blueprint:
    """A fresh blueprint per app (tests build many apps; a module-level one would collect rules twice)."""
    blp = Blueprint("api_planning", __name__, url_prefix="/api/v1",
                    description="Planning data: slots, rooms, activities, facilitators and participants")
    for section in SECTIONS:
        _register(blp, section)
    return blp
