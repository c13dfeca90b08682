"""The API's JSON shapes. Planning items have the shape of the interchange format's items (the
``id`` is the item's code), so a file, a form and the API say the same thing the same way; the
rules themselves (times, references, sizes) are checked by ``solver.scenario``, whose messages
the forms show too."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

Text = ma.fields.String
TextList = ma.fields.List
# Every number in planning data is a small count; a bound keeps a huge one from reaching the database
# (whose integers are 32 or 64 bits) and states it in the document.
LARGEST = 1_000_000


def Int(**kwargs: object) -> ma.fields.Integer:
    kwargs.setdefault("validate", validate.Range(min=-LARGEST, max=LARGEST))
    return ma.fields.Integer(**kwargs)  # type: ignore[arg-type]


def _id() -> ma.fields.String:
    return Text(required=True, validate=validate.Length(min=1, max=64),
                metadata={"description": "The item's code, unique in its center (e.g. p12)."})


def _codes(description: str, *, required: bool = False) -> ma.fields.List:
    return TextList(Text(), required=required, metadata={"description": description})


class SlotSchema(ma.Schema):
    id = _id()
    day = Text(required=True, metadata={"description": "MO, TU, WE, TH, FR, SA or SU"})
    start = Text(required=True, metadata={"description": "HH:MM"})
    end = Text(required=True, metadata={"description": "HH:MM"})


class RoomSchema(ma.Schema):
    id = _id()
    name = Text(required=True)
    capacity = Int(required=True, strict=True)
    features = _codes("Free tags such as accessible or piano.")


class ActivitySchema(ma.Schema):
    id = _id()
    name = Text(required=True)
    sessions_per_week = Int(required=True, strict=True)
    min_size = Int(required=True, strict=True)
    max_size = Int(required=True, strict=True)
    min_groups = Int(strict=True)
    max_groups = Int(required=True, strict=True)
    facilitators_per_group = Int(required=True, strict=True)
    required_skills = _codes("Skills every facilitator of a group needs.")
    room_features = _codes("Features its room needs.")
    language = Text()


class FacilitatorSchema(ma.Schema):
    id = _id()
    name = Text(required=True)
    email = Text(required=True, metadata={"description": "May be empty."})
    skills = _codes("Skills.", required=True)
    languages = _codes("Languages spoken.")
    max_sessions_per_week = Int(required=True, strict=True)
    available = _codes("Codes of the slots they can take.", required=True)
    if_needed = _codes("Codes of the slots they can take if need be.")


class ParticipantSchema(ma.Schema):
    id = _id()
    name = Text(required=True)
    email = Text(required=True, metadata={"description": "May be empty."})
    max_groups = Int(required=True, strict=True)
    needs = _codes("Room features they need.")
    languages = _codes("Languages spoken.")
    available = _codes("Codes of the slots they can come to.", required=True)
    if_needed = _codes("Codes of the slots they can come to if need be.")
    preferences = _codes("Codes of the activities they want, most wanted first.", required=True)


ITEM_SCHEMAS: dict[str, type[ma.Schema]] = {
    "slots": SlotSchema, "rooms": RoomSchema, "activities": ActivitySchema,
    "facilitators": FacilitatorSchema, "participants": ParticipantSchema,
}


# What a new person starts with when a bulk upsert leaves a list out (the format requires them).
NEW_ITEM_DEFAULTS: dict[str, dict[str, object]] = {
    "facilitators": {"available": [], "skills": [], "email": ""},
    "participants": {"available": [], "preferences": [], "email": ""},
}


def update_schema(item: type[ma.Schema]) -> type[ma.Schema]:
    """The item's fields, none required: a change names only what changes."""
    fields = {name: field for name, field in item().fields.items()}
    for field in fields.values():
        field.required = False
    return ma.Schema.from_dict(fields, name=f"{item.__name__.removesuffix('Schema')}ChangeSchema")


class PageArgsSchema(ma.Schema):
    page = Int(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = Int(load_default=50, validate=validate.Range(min=1, max=500))
    q = Text(validate=validate.Length(max=200),
             metadata={"description": "Only items whose code or name contains this (any case)."})


class SlotArgsSchema(PageArgsSchema):
    day = Text(validate=validate.OneOf(["MO", "TU", "WE", "TH", "FR", "SA", "SU"]))


class ParticipantArgsSchema(PageArgsSchema):
    activity = Text(validate=validate.Length(max=64),
                    metadata={"description": "Only participants who want this activity."})


class FacilitatorArgsSchema(PageArgsSchema):
    skill = Text(validate=validate.Length(max=200), metadata={"description": "Only facilitators with this skill."})


ARGS_SCHEMAS: dict[str, type[ma.Schema]] = {
    "slots": SlotArgsSchema, "rooms": PageArgsSchema, "activities": PageArgsSchema,
    "facilitators": FacilitatorArgsSchema, "participants": ParticipantArgsSchema,
}


def page_schema(item: type[ma.Schema]) -> type[ma.Schema]:
    return ma.Schema.from_dict({
        "items": ma.fields.List(ma.fields.Nested(item), required=True),
        "page": Int(required=True), "per_page": Int(required=True), "total": Int(required=True),
    }, name=f"{item.__name__.removesuffix('Schema')}PageSchema")


def bulk_schema(item: type[ma.Schema]) -> type[ma.Schema]:
    return ma.Schema.from_dict({
        "items": ma.fields.List(ma.fields.Dict(), required=True, validate=validate.Length(max=5000),
                                metadata={"description": f"{item.__name__.removesuffix('Schema')} items; "
                                          "an item whose id exists replaces the fields given"}),
    }, name=f"{item.__name__.removesuffix('Schema')}BulkSchema")


class BulkResultSchema(ma.Schema):
    added = Int(required=True)
    updated = Int(required=True)


class GroupSchema(ma.Schema):
    id = Text(required=True)
    activity = Text(required=True)
    sessions = TextList(Text(), required=True, metadata={"description": "Slot codes"})
    room = Text(required=True)
    facilitators = TextList(Text(), required=True)
    members = TextList(Text(), required=True)


class ParticipantGroupsSchema(ma.Schema):
    version = Int(required=True)
    groups = ma.fields.List(ma.fields.Nested(GroupSchema), required=True)


WEIGHT = validate.Range(min=0, max=10_000)


class WeightsSchema(ma.Schema):
    """What the score rewards and charges (the solver's defaults where left out)."""

    coverage = Int(strict=True, validate=WEIGHT, metadata={"description": "Points for each person placed."})
    rank_points = ma.fields.List(Int(strict=True, validate=WEIGHT), validate=validate.Length(min=1, max=20),
                                 metadata={"description": "Points for a place at the 1st, 2nd, ... choice "
                                                          "(the last repeats)."})
    size_balance = Int(strict=True, validate=WEIGHT, metadata={"description": "Cost of uneven group sizes."})
    if_needed = Int(strict=True, validate=WEIGHT, metadata={"description": "Cost of a time given as 'if need be'."})
    facilitator_load = Int(strict=True, validate=WEIGHT,
                           metadata={"description": "Cost of uneven facilitator loads."})


class BuildArgsSchema(ma.Schema):
    time_limit_s = Int(load_default=60, strict=True, validate=validate.Range(min=5, max=600))
    weights = ma.fields.Nested(WeightsSchema, load_default=None, allow_none=True)
    stay_close = ma.fields.Boolean(load_default=True, metadata={
        "description": "With a published version: every change to it costs points, so only what must change."})


class BuildSchema(ma.Schema):
    id = Int(required=True)
    status = Text(required=True, metadata={"description": "queued, running, finished, cancelled, failed, "
                                                          "interrupted"})
    elapsed_s = ma.fields.Float(required=True)
    time_limit_s = ma.fields.Float(required=True)
    best_score = Int(allow_none=True, required=True)
    bound = Int(allow_none=True, required=True)
    covered = Int(allow_none=True, required=True)
    participants = Int(required=True)
    message = Text(allow_none=True, required=True)
    version_number = Int(allow_none=True, required=True)


class VersionSchema(ma.Schema):
    number = Int(required=True)
    status = Text(required=True, metadata={"description": "draft or published"})
    created_at = ma.fields.DateTime(required=True)
    published_at = ma.fields.DateTime(allow_none=True, required=True)
    solver_status = Text(required=True)
    objective = Int(allow_none=True, required=True)
    bound = Int(allow_none=True, required=True)
    groups = Int(required=True, metadata={"description": "How many groups"})


class UnassignedSchema(ma.Schema):
    participant = Text(required=True)
    reason = Text(required=True)


class ScheduleSchema(ma.Schema):
    """A schedule in the interchange format (as the solver writes it)."""

    class Meta:
        unknown = ma.INCLUDE

    format = Text(required=True)
    status = Text(required=True)
    objective = Int(allow_none=True)
    bound = Int(allow_none=True)
    wall_s = ma.fields.Float(allow_none=True)
    groups = ma.fields.List(ma.fields.Nested(GroupSchema), required=True)
    unassigned = ma.fields.List(ma.fields.Nested(UnassignedSchema), required=True)
    explanation = TextList(Text())
    score_terms = ma.fields.Dict(keys=Text(), values=Int())


class CompareArgsSchema(ma.Schema):
    a = Int(required=True, validate=validate.Range(min=1, max=LARGEST),
            metadata={"description": "The older version's number"})
    b = Int(required=True, validate=validate.Range(min=1, max=LARGEST),
            metadata={"description": "The newer version's number"})


class MoveSchema(ma.Schema):
    participant = Text(required=True)
    before = TextList(Text(), required=True)
    after = TextList(Text(), required=True)


class GroupChangeSchema(ma.Schema):
    group = Text(required=True)
    changed = TextList(Text(), required=True, metadata={"description": "time, room and/or facilitators"})


class ComparisonSchema(ma.Schema):
    a = Int(required=True)
    b = Int(required=True)
    moved = ma.fields.List(ma.fields.Nested(MoveSchema), required=True)
    groups_added = TextList(Text(), required=True)
    groups_removed = TextList(Text(), required=True)
    groups_changed = ma.fields.List(ma.fields.Nested(GroupChangeSchema), required=True)
