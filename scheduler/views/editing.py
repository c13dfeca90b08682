"""The coordinator edits a center's planning data in the browser: lists, forms, availability
grids, ranked preferences, and whole-file import and export. Thin: the rules live in
``solver.scenario`` and the writing in ``scheduler.services.editing``."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from scheduler.extensions import db
from scheduler.forms.editing import (
    ActivityForm,
    CenterForm,
    ConfirmForm,
    FacilitatorForm,
    ItemForm,
    PairForm,
    ParticipantForm,
    ParticipantsCsvForm,
    RoomForm,
    ScenarioUploadForm,
    SlotForm,
    split_list,
)
from scheduler.i18n import DAY_NAMES
from scheduler.models import Center
from scheduler.services import audit, languages
from scheduler.services import editing as svc
from scheduler.services.participants_csv import CSV_COLUMNS, import_participants_csv
from scheduler.services.scenarios import export_scenario
from scheduler.views.auth import recent_password_required
from scheduler.views.coordinator import get_center_or_404
from solver import scenario as sc

bp = Blueprint("editing", __name__, url_prefix="/centers/<int:center_id>")

SECTION = "<any(slots,rooms,activities,facilitators,participants):section>"
PEOPLE = "<any(facilitators,participants):section>"
FORMS: dict[str, type[ItemForm]] = {"slots": SlotForm, "rooms": RoomForm, "activities": ActivityForm,
                                     "facilitators": FacilitatorForm, "participants": ParticipantForm}
TITLES = {"slots": _l("Weekly slots"), "rooms": _l("Rooms"), "activities": _l("Activities"),
          "facilitators": _l("Facilitators"), "participants": _l("Participants")}
NOUNS = {"slots": _l("slot"), "rooms": _l("room"), "activities": _l("activity"),
         "facilitators": _l("facilitator"), "participants": _l("participant")}
# Whole phrases, not "Add a %(noun)s": the article depends on the word, in English and in Spanish.
ADD_TITLES = {"slots": _l("Add a weekly slot"), "rooms": _l("Add a room"), "activities": _l("Add an activity"),
              "facilitators": _l("Add a facilitator"), "participants": _l("Add a participant")}
PAIR_TITLES = {"keep_apart": _l("Kept apart"), "keep_together": _l("Joining together")}


def _dashboard(center: Center) -> Response:
    return redirect(url_for("coordinator.dashboard", center_id=center.id))  # type: ignore[return-value]


def _attach(form: FlaskForm, result: svc.EditResult) -> list[str]:
    """Put the validator's problems on the fields they name; return the rest as form-level lines."""
    others = [str(p) for p in result.other_problems]
    for name, messages in result.field_problems.items():
        if name == "__item__":
            # A problem with the item as a whole (a slot overlapping another) sits by its first field.
            name = next((n for n in ("id", "start", "name") if n in form._fields), name)
        field = form._fields.get(name)
        if field is None:
            others += messages
        else:
            field.errors = [*field.errors, *messages]
    return others


def _refused(result: svc.EditResult) -> None:
    db.session.rollback()
    flash(_("Nothing was saved: please correct the problems shown."), "error")


# --------------------------------------------------------------------------- lists and items


def _viewed(center: Center, section: str, code: str | None, page: str) -> None:
    """Log that a person's data was looked at (its own small transaction: a GET changes nothing else)."""
    if section in audit.PEOPLE_SECTIONS and code is not None:
        audit.viewed(center.id, audit.PEOPLE_SECTIONS[section], code, page)
        db.session.commit()


def _viewed_list(center: Center, page: str, subject: str) -> None:
    """Log that a page listing several people's data was looked at: one entry for the page. Only
    when it is opened: the same page shown again with a form's errors was logged when it opened."""
    if request.method == "GET":
        audit.viewed_list(center.id, page, subject)
        db.session.commit()


@bp.get(f"/{SECTION}/")
@login_required
def items(center_id: int, section: str) -> str:
    center = get_center_or_404(center_id)
    data = svc.current_scenario(center)
    if section in audit.PEOPLE_SECTIONS:
        _viewed_list(center, "list", section)
    return render_template("editing/items.html", center=center, section=section, items=data[section],
                           title=TITLES[section], day_names=DAY_NAMES)


def _item_or_404(data: dict[str, Any], section: str, code: str) -> int:
    index = svc.find_index(data, section, code)
    if index is None:
        abort(404)
    return index


@bp.route(f"/{SECTION}/new", methods=["GET", "POST"])
@bp.route(f"/{SECTION}/<path:code>/edit", methods=["GET", "POST"])
@login_required
def item_form(center_id: int, section: str, code: str | None = None) -> str | Response:
    center = get_center_or_404(center_id)
    data = svc.current_scenario(center)
    index = None if code is None else _item_or_404(data, section, code)
    form = FORMS[section]()
    if index is not None:
        # The id is fixed once created: rows and files refer to it.
        del form.id
    problems: list[str] = []
    if request.method == "GET" and index is not None:
        form.load(data[section][index])
        if section == "participants":
            row = languages.participant_by_code(center, data[section][index]["id"])
            form["locale"].data = row.locale if row is not None else ""
        _viewed(center, section, code, "details")
    if form.validate_on_submit():
        form_item = form.to_item()
        if index is not None:
            original = data[section][index]
            # Keep what this form does not edit (availability, preferences) as it was.
            item = {**original, **form_item, "id": original["id"]}
            if section == "activities" and "language" not in form_item:
                item.pop("language", None)  # cleared on the form: the optional key goes
        else:
            item = _new_item_defaults(section, data) | form_item
        result = svc.apply_change(center, svc.put_item(section, index, item), before=data)
        if result.ok:
            if section == "participants" and form["locale"].raw_data:  # sent: "" means "not chosen"
                _save_participant_locale(center, item["id"], form["locale"].data or None, added=index is None)
            db.session.commit()
            flash(_("Saved %(noun)s %(id)s.", noun=NOUNS[section], id=item["id"]), "info")
            return redirect(url_for("editing.items", center_id=center.id, section=section))
        _refused(result)
        problems = _attach(form, result)
    return render_template("editing/item_form.html", center=center, section=section, form=form, code=code,
                           title=TITLES[section], noun=NOUNS[section], add_title=ADD_TITLES[section],
                           problems=problems)


def _save_participant_locale(center: Center, code: str, locale: str | None, *, added: bool) -> None:
    """The language is a row field, not part of the scenario: set it after the row is written (and
    log it like the other fields; an added person's entry already says so)."""
    row = languages.participant_by_code(center, code)
    if row is not None and languages.set_participant_locale(row, locale) and not added:
        audit.record(center.id, audit.current_actor(), "person.changed", f"participant {code}", None,
                     {"fields": ["locale"]})


def _new_item_defaults(section: str, data: dict[str, Any]) -> dict[str, Any]:
    """Lists a new person starts with; optional keys only when the file already uses them, so
    the export keeps its canonical form."""
    if section in ("facilitators", "participants"):
        item: dict[str, Any] = {"available": []}
        if section == "participants":
            item["preferences"] = []
        if any("if_needed" in p for p in data[section]):
            item["if_needed"] = []
        return item
    return {}


@bp.route(f"/{SECTION}/<path:code>/delete", methods=["GET", "POST"])
@login_required
def delete_item(center_id: int, section: str, code: str) -> str | Response:
    center = get_center_or_404(center_id)
    data = svc.current_scenario(center)
    _item_or_404(data, section, code)
    form = ConfirmForm()
    problems: list[str] = []
    if form.validate_on_submit():
        result = svc.apply_change(center, svc.remove_item(section, code), before=data)
        if result.ok:
            db.session.commit()
            flash(_("Deleted %(noun)s %(id)s.", noun=NOUNS[section], id=code), "info")
            return redirect(url_for("editing.items", center_id=center.id, section=section))
        _refused(result)
        problems = _attach(form, result)
    return render_template("editing/delete.html", center=center, section=section, code=code, form=form,
                           noun=NOUNS[section], title=TITLES[section], problems=problems,
                           goes=svc.consequences(data, section, code))


# --------------------------------------------------------------------------- center settings


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings(center_id: int) -> str | Response:
    center = get_center_or_404(center_id)
    data = svc.current_scenario(center)
    form = CenterForm()
    problems: list[str] = []
    if request.method == "GET":
        info = data["center"]
        form.process(data={**info, "holidays": "\n".join(info.get("holidays", []))})
    if form.validate_on_submit():
        info = {"name": (form.name.data or "").strip(), "timezone": (form.timezone.data or "").strip(),
                "term_start": (form.term_start.data or "").strip(), "term_end": (form.term_end.data or "").strip(),
                "holidays": split_list(form.holidays.data)}

        def change(scenario: dict[str, Any]) -> str:
            scenario["center"] = info
            return "center"

        result = svc.apply_change(center, change, before=data)
        if result.ok:
            db.session.commit()
            flash(_("Saved the center's settings."), "info")
            return _dashboard(center)
        _refused(result)
        problems = _attach(form, result)
    return render_template("editing/settings.html", center=center, form=form, problems=problems)


# --------------------------------------------------------------------------- availability and preferences

LEVELS = (("available", _l("Available")), ("if_needed", _l("If need be")), ("no", _l("Not available")))


def _grid(slots: list[dict[str, Any]]) -> tuple[list[str], list[tuple[str, str, dict[str, dict[str, Any]]]]]:
    """Days that have slots as columns, distinct times as rows; a cell holds the slot or nothing."""
    days = [d for d in sc.DAYS if any(s["day"] == d for s in slots)]
    times = sorted({(s["start"], s["end"]) for s in slots})
    rows = [(start, end, {s["day"]: s for s in slots if (s["start"], s["end"]) == (start, end)})
            for start, end in times]
    return days, rows


@bp.route(f"/{PEOPLE}/<path:code>/availability", methods=["GET", "POST"])
@login_required
def availability(center_id: int, section: str, code: str) -> str | Response:
    center = get_center_or_404(center_id)
    data = svc.current_scenario(center)
    index = _item_or_404(data, section, code)
    person = data[section][index]
    form = ConfirmForm()
    problems: list[str] = []
    levels = {s: "available" for s in person.get("available", [])}
    levels |= {s: "if_needed" for s in person.get("if_needed", [])}
    if form.validate_on_submit():
        chosen = {s["id"]: request.form.get(f"slot-{s['id']}", "no") for s in data["slots"]}
        if any(value not in ("available", "if_needed", "no") for value in chosen.values()):
            abort(400)
        item = {**person, "available": [s for s, v in chosen.items() if v == "available"]}
        if_needed = [s for s, v in chosen.items() if v == "if_needed"]
        if if_needed or "if_needed" in person:
            item["if_needed"] = if_needed
        result = svc.apply_change(center, svc.put_item(section, index, item), before=data)
        if result.ok:
            db.session.commit()
            flash(_("Saved the availability of %(name)s.", name=person["name"]), "info")
            return redirect(url_for("editing.items", center_id=center.id, section=section))
        _refused(result)
        problems = [*(m for ms in result.field_problems.values() for m in ms),
                    *(str(p) for p in result.other_problems)]
        levels = chosen
    if request.method == "GET":
        _viewed(center, section, code, "availability")
    days, rows = _grid(data["slots"])
    return render_template("editing/availability.html", center=center, section=section, person=person,
                           form=form, days=days, rows=rows, levels=levels, level_names=LEVELS,
                           day_names=DAY_NAMES, problems=problems, title=TITLES[section])


@bp.route("/participants/<path:code>/preferences", methods=["GET", "POST"])
@login_required
def preferences(center_id: int, code: str) -> str | Response:
    center = get_center_or_404(center_id)
    data = svc.current_scenario(center)
    index = _item_or_404(data, "participants", code)
    person = data["participants"][index]
    form = ConfirmForm()
    problems: list[str] = []
    if form.validate_on_submit():
        wanted = list(person.get("preferences", []))
        action, _sep, target = request.form.get("action", "").partition(":")
        if action in ("up", "down", "remove") and target in wanted:
            at = wanted.index(target)
            if action == "remove":
                wanted.pop(at)
            else:
                to = at - 1 if action == "up" else at + 1
                if 0 <= to < len(wanted):
                    wanted[at], wanted[to] = wanted[to], wanted[at]
        elif action == "add":
            wanted.append(request.form.get("activity", ""))
        else:
            abort(400)
        result = svc.apply_change(center, svc.put_item("participants", index, {**person, "preferences": wanted}),
                                  before=data)
        if result.ok:
            db.session.commit()
            flash(_("Saved the wanted activities of %(name)s.", name=person["name"]), "info")
            return redirect(url_for("editing.preferences", center_id=center.id, code=code))
        _refused(result)
        problems = [*(m for ms in result.field_problems.values() for m in ms),
                    *(str(p) for p in result.other_problems)]
    if request.method == "GET":
        _viewed(center, "participants", code, "preferences")
    names = {a["id"]: a["name"] for a in data["activities"]}
    wanted = person.get("preferences", [])
    addable = [a for a in data["activities"] if a["id"] not in wanted]
    return render_template("editing/preferences.html", center=center, person=person, form=form, names=names,
                           wanted=wanted, addable=addable, problems=problems)


# --------------------------------------------------------------------------- pairs


def _pair_form(data: dict[str, Any]) -> PairForm:
    form = PairForm()
    choices = [SelectChoice(p["id"], f'{p["name"]} ({p["id"]})') for p in data["participants"]]
    form.first.choices = choices
    form.second.choices = choices
    return form


@bp.route("/pairs/", methods=["GET", "POST"])
@login_required
def pairs(center_id: int) -> str | Response:
    center = get_center_or_404(center_id)
    data = svc.current_scenario(center)
    form = _pair_form(data)
    problems: list[str] = []
    if form.validate_on_submit():
        kind = form.kind.data or "keep_apart"

        def change(scenario: dict[str, Any]) -> str:
            scenario.setdefault(kind, []).append([form.first.data, form.second.data])
            return f"{kind}[{len(scenario[kind]) - 1}]"

        result = svc.apply_change(center, change, before=data)
        if result.ok:
            db.session.commit()
            flash(_("Added the pair."), "info")
            return redirect(url_for("editing.pairs", center_id=center.id))
        _refused(result)
        problems = [*(m for ms in result.field_problems.values() for m in ms),
                    *(str(p) for p in result.other_problems)]
    names = {p["id"]: p["name"] for p in data["participants"]}
    _viewed_list(center, "pairs", "participants kept apart or together")
    return render_template("editing/pairs.html", center=center, form=form, data=data, names=names,
                           kinds=PAIR_TITLES, problems=problems)


@bp.route("/pairs/<any(keep_apart,keep_together):kind>/<int:index>/edit", methods=["GET", "POST"])
@login_required
def edit_pair(center_id: int, kind: str, index: int) -> str | Response:
    center = get_center_or_404(center_id)
    data = svc.current_scenario(center)
    if not 0 <= index < len(data.get(kind, [])):
        abort(404)
    form = _pair_form(data)
    problems: list[str] = []
    if request.method == "GET":
        form.kind.data, (form.first.data, form.second.data) = kind, data[kind][index]
    if form.validate_on_submit():
        new_kind, pair = form.kind.data or kind, [form.first.data, form.second.data]

        def change(scenario: dict[str, Any]) -> str:
            if new_kind == kind:
                scenario[kind][index] = pair
                return f"{kind}[{index}]"
            scenario[kind].pop(index)  # moved to the other list, at its end
            scenario.setdefault(new_kind, []).append(pair)
            return f"{new_kind}[{len(scenario[new_kind]) - 1}]"

        result = svc.apply_change(center, change, before=data)
        if result.ok:
            db.session.commit()
            flash(_("Saved the pair."), "info")
            return redirect(url_for("editing.pairs", center_id=center.id))
        _refused(result)
        problems = [*(m for ms in result.field_problems.values() for m in ms),
                    *(str(p) for p in result.other_problems)]
    _viewed_list(center, "pair", "participants {} and {}".format(*data[kind][index]))
    return render_template("editing/pair_form.html", center=center, form=form, problems=problems)


@bp.route("/pairs/<any(keep_apart,keep_together):kind>/<int:index>/delete", methods=["GET", "POST"])
@login_required
def delete_pair(center_id: int, kind: str, index: int) -> str | Response:
    center = get_center_or_404(center_id)
    data = svc.current_scenario(center)
    if not 0 <= index < len(data.get(kind, [])):
        abort(404)
    pair = data[kind][index]
    form = ConfirmForm()
    if form.validate_on_submit():
        def change(scenario: dict[str, Any]) -> str:
            scenario[kind].pop(index)
            return ""

        result = svc.apply_change(center, change, before=data)
        if not result.ok:  # removing a pair cannot break anything; refuse loudly if it somehow does
            db.session.rollback()
            abort(409)
        db.session.commit()
        flash(_("Removed the pair."), "info")
        return redirect(url_for("editing.pairs", center_id=center.id))
    names = {p["id"]: p["name"] for p in data["participants"]}
    _viewed_list(center, "pair", "participants {} and {}".format(*pair))
    return render_template("editing/delete_pair.html", center=center, form=form, kind=kind, index=index,
                           pair=pair, names=names, kinds=PAIR_TITLES)


# --------------------------------------------------------------------------- import and export


@bp.get("/import")
@login_required
def import_page(center_id: int) -> str:
    center = get_center_or_404(center_id)
    return _import_page(center, ScenarioUploadForm(), ParticipantsCsvForm())


def _import_page(center: Center, upload: ScenarioUploadForm, csv_form: ParticipantsCsvForm,
                 problems: list[str] | None = None, csv_problems: list[str] | None = None) -> str:
    return render_template("editing/import.html", center=center, upload=upload, csv_form=csv_form,
                           problems=problems or [], csv_problems=csv_problems or [], columns=CSV_COLUMNS,
                           limit_mib=sc.MAX_SCENARIO_BYTES // (1024 * 1024))


def _read_upload(form_file: Any, limit: int) -> bytes:
    """At most ``limit + 1`` bytes: enough to know a file is too large without holding all of it."""
    if form_file is None or not getattr(form_file, "filename", ""):
        return b""
    return form_file.stream.read(limit + 1)


def _closing_uploads(view: Callable[..., Any]) -> Callable[..., Any]:
    """Close uploaded files when the view ends, whatever it decided: a large upload is spooled to a
    temporary file that would otherwise stay open until garbage collection."""
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        finally:
            for upload in request.files.values():
                upload.close()
    return wrapper


@bp.post("/import/scenario")
@login_required
@_closing_uploads
def import_scenario_file(center_id: int) -> str | Response:
    from scheduler.services.scenarios import import_scenario

    center = get_center_or_404(center_id)
    upload, csv_form = ScenarioUploadForm(), ParticipantsCsvForm(formdata=None)
    if not upload.validate_on_submit():
        return _import_page(center, upload, csv_form)
    raw = _read_upload(upload.file.data, sc.MAX_SCENARIO_BYTES)
    if not raw:
        upload.file.errors = [_("Choose a file to upload.")]
        return _import_page(center, upload, csv_form)
    try:
        scenario = sc.parse_scenario_bytes(raw)
    except sc.ScenarioError as exc:
        upload.file.errors = [_("The file has %(n)d problem(s); nothing was changed.", n=len(exc.problems))]
        return _import_page(center, upload, csv_form, problems=[str(p) for p in exc.problems])
    before = svc.current_scenario(center)
    import_scenario(scenario, center.name, replace=True)
    audit.people_changes(center.id, before, svc.current_scenario(center))
    db.session.commit()
    flash(_("Replaced the planning data with the file."), "info")
    return _dashboard(center)


@bp.post("/import/participants")
@login_required
@_closing_uploads
def import_participants(center_id: int) -> str | Response:
    center = get_center_or_404(center_id)
    upload, csv_form = ScenarioUploadForm(formdata=None), ParticipantsCsvForm()
    if not csv_form.validate_on_submit():
        return _import_page(center, upload, csv_form)
    raw = _read_upload(csv_form.file.data, sc.MAX_SCENARIO_BYTES)
    if not raw:
        csv_form.file.errors = [_("Choose a file to upload.")]
        return _import_page(center, upload, csv_form)
    if len(raw) > sc.MAX_SCENARIO_BYTES:
        csv_form.file.errors = [_("The file is larger than %(n)d MiB.", n=sc.MAX_SCENARIO_BYTES // (1024 * 1024))]
        return _import_page(center, upload, csv_form)
    outcome = import_participants_csv(center, raw)
    if outcome.problems:
        db.session.rollback()
        csv_form.file.errors = [_("The file has %(n)d problem(s); nothing was changed.", n=len(outcome.problems))]
        return _import_page(center, upload, csv_form, csv_problems=outcome.problems)
    db.session.commit()
    flash(_("Imported %(added)d new and %(updated)d updated participants.", added=outcome.added,
            updated=outcome.updated), "info")
    return redirect(url_for("editing.items", center_id=center.id, section="participants"))


@bp.get("/export.json")
@login_required
@recent_password_required
def export(center_id: int) -> Response:
    center = get_center_or_404(center_id)
    body = json.dumps(export_scenario(center).to_dict(), ensure_ascii=False, indent=2) + "\n"
    # Everyone's data leaves the system here, like one participant's copy: the log says who took it.
    audit.record(center.id, current_user, "person.exported.all", "every participant and facilitator", None, None)
    db.session.commit()
    safe = "".join(ch if ch.isalnum() else "-" for ch in center.name).strip("-") or "center"
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{safe}.json"'})
