"""The coordinator edits a center's planning data in the browser: lists, forms, availability
grids, ranked preferences, and whole-file import and export. Thin: every write is an operation of
the planning gateway (``scheduler.services.planning``), which validates with the scenario rules.
Each form carries what it was read at (``read_as``), so a save after someone else's change is
refused with what changed, never overwriting it."""

from __future__ import annotations

import datetime as dt
import functools
import json
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as Redirect  # what redirect() returns; flask's Response is one
from wtforms.fields.choices import SelectChoice

from scheduler.extensions import db
from scheduler.forms.editing import (
    ActivityForm,
    CenterForm,
    ConfirmRemovalsForm,
    FacilitatorForm,
    ItemForm,
    PairForm,
    ParticipantForm,
    ParticipantsCsvForm,
    RoomForm,
    ScenarioUploadForm,
    SlotForm,
    VersionedConfirmForm,
    VersionedForm,
    split_list,
)
from scheduler.i18n import DAY_NAMES
from scheduler.models import Center
from scheduler.services import audit, languages, people_search, planning, term_status
from scheduler.services import editing as svc
from scheduler.services.participants_csv import CSV_COLUMNS, import_participants_csv
from scheduler.views.auth import recent_password_required
from scheduler.views.coordinator import get_center_or_404

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


def _dashboard(center: Center) -> Redirect:
    return redirect(url_for("coordinator.dashboard", center_id=center.id))


def _read_as(form: VersionedForm) -> dict[str, Any] | None:
    """What the form was read at; None from a client that sent none (then nothing is compared)."""
    raw = form.read_as.data
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        abort(400)
    if not isinstance(value, dict):
        abort(400)
    return value


def _remember(form: VersionedForm, snapshot: dict[str, Any] | None) -> None:
    form.read_as.data = json.dumps(snapshot, ensure_ascii=False, sort_keys=True) if snapshot is not None else ""


def _attach(form: FlaskForm, result: planning.EditResult) -> list[str]:
    """Put the validator's problems on the fields they name; return the rest as form-level lines."""
    others = [*result.stale, *(str(p) for p in result.other_problems)]
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


def _refused(result: planning.EditResult) -> None:
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
    scenario = planning.read_center(center)
    rows: tuple[Any, ...] = getattr(scenario, section)  # the section's typed entities (slots, rooms, ...)
    if section in audit.PEOPLE_SECTIONS:
        _viewed_list(center, "list", section)
    if section not in ("participants", "facilitators"):
        return render_template("editing/items.html", center=center, section=section, items=rows,
                               title=TITLES[section])
    # Lists of people are searched and paged: at 600 participants nobody scrolls to the one they want.
    query = people_search.PeopleQuery.from_args(request.args)
    placement = term_status.current_placement(center) if section == "participants" else None
    answered = {p.code: p.answered_at is not None for p in center.participants}
    found = people_search.search(
        rows, query, name=lambda item: item.name, code=lambda item: item.id,
        facts=(lambda item: placement.facts(item.id, answered.get(item.id))) if placement else
        (lambda item: people_search.PersonFacts(answered=answered.get(item.id))))
    return render_template("editing/items.html", center=center, section=section, items=found.items, found=found,
                           query=query, placement=placement, title=TITLES[section])


def _back_to_list(center: Center, section: str, code: str) -> Redirect:
    """Back to the list as the person left it (their search and page, carried in the query string of
    the form's URL), at the row they worked on."""
    if section not in ("participants", "facilitators"):
        return redirect(url_for("editing.items", center_id=center.id, section=section))
    back: dict[str, Any] = dict(people_search.PeopleQuery.from_args(request.args).args())
    return redirect(url_for("editing.items", center_id=center.id, section=section, _anchor=f"person-{code}", **back))


def _item_or_404(data: dict[str, Any], section: str, code: str) -> int:
    index = svc.find_index(data, section, code)
    if index is None:
        abort(404)
    return index


@bp.route(f"/{SECTION}/new", methods=["GET", "POST"])
@bp.route(f"/{SECTION}/<path:code>/edit", methods=["GET", "POST"])
@login_required
def item_form(center_id: int, section: str, code: str | None = None) -> str | Redirect:
    center = get_center_or_404(center_id)
    scenario = planning.read_center(center)
    data = scenario.to_dict()
    index = None if code is None else _item_or_404(data, section, code)
    form = FORMS[section]()
    if index is not None:
        # The id is fixed once created: rows and files refer to it.
        del form.id
    problems: list[str] = []
    if request.method == "GET" and index is not None and code is not None:
        form.load(data[section][index])
        _remember(form, planning.item_snapshot(scenario, section, code))
        if section == "participants":
            row = languages.participant_by_code(center, data[section][index]["id"])
            form["locale"].data = row.locale if row is not None else ""
        _viewed(center, section, code, "details")
    if form.validate_on_submit():
        fields = form.to_item()
        if section == "activities" and "language" not in fields:
            fields["language"] = None  # cleared on the form: the optional key goes
        # What this form does not edit (availability, preferences) the gateway keeps as it is.
        result = planning.save_item(center, section, code, fields, read_as=_read_as(form))
        saved_code = code or fields["id"]
        if result.ok:
            if section == "participants" and form["locale"].raw_data:  # sent: "" means "not chosen"
                _save_participant_locale(center, saved_code, form["locale"].data or None, added=index is None)
            db.session.commit()
            flash(_("Saved %(noun)s %(id)s.", noun=NOUNS[section], id=saved_code), "info")
            return _back_to_list(center, section, saved_code)
        _refused(result)
        problems = _attach(form, result)
        if result.stale and code is not None:
            _remember(form, planning.item_snapshot(planning.read_center(center), section, code))
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



@bp.route(f"/{SECTION}/<path:code>/delete", methods=["GET", "POST"])
@login_required
def delete_item(center_id: int, section: str, code: str) -> str | Redirect:
    center = get_center_or_404(center_id)
    scenario = planning.read_center(center)
    data = scenario.to_dict()
    _item_or_404(data, section, code)
    form = VersionedConfirmForm()
    problems: list[str] = []
    if request.method == "GET":
        _remember(form, planning.item_snapshot(scenario, section, code))
        _viewed(center, section, code, "delete")  # the confirmation shows the person and their groups
    if form.validate_on_submit():
        result = planning.delete_item(center, section, code, read_as=_read_as(form))
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
def settings(center_id: int) -> str | Redirect:
    center = get_center_or_404(center_id)
    scenario = planning.read_center(center)
    form = CenterForm()
    problems: list[str] = []
    if request.method == "GET":
        info = scenario.to_dict()["center"]
        form.process(data={**info, "holidays": "\n".join(info.get("holidays", []))})
        _remember(form, planning.center_snapshot(scenario))
    if form.validate_on_submit():
        info = {"name": (form.name.data or "").strip(), "timezone": (form.timezone.data or "").strip(),
                "term_start": (form.term_start.data or "").strip(), "term_end": (form.term_end.data or "").strip(),
                "holidays": split_list(form.holidays.data)}
        result = planning.save_settings(center, info, read_as=_read_as(form))
        if result.ok:
            db.session.commit()
            flash(_("Saved the center's settings."), "info")
            return _dashboard(center)
        _refused(result)
        problems = _attach(form, result)
        if result.stale:
            _remember(form, planning.center_snapshot(planning.read_center(center)))
    return render_template("editing/settings.html", center=center, form=form, problems=problems)


# --------------------------------------------------------------------------- availability and preferences

LEVELS = (("available", _l("Available")), ("if_needed", _l("If need be")), ("no", _l("Not available")))


def _grid(slots: list[dict[str, Any]]) -> tuple[list[str], list[tuple[str, str, dict[str, dict[str, Any]]]]]:
    """Days that have slots as columns, distinct times as rows; a cell holds the slot or nothing."""
    days = [d for d in planning.DAYS if any(s["day"] == d for s in slots)]
    times = sorted({(s["start"], s["end"]) for s in slots})
    rows = [(start, end, {s["day"]: s for s in slots if (s["start"], s["end"]) == (start, end)})
            for start, end in times]
    return days, rows


@bp.route(f"/{PEOPLE}/<path:code>/availability", methods=["GET", "POST"])
@login_required
def availability(center_id: int, section: str, code: str) -> str | Redirect:
    center = get_center_or_404(center_id)
    scenario = planning.read_center(center)
    data = scenario.to_dict()
    index = _item_or_404(data, section, code)
    person = data[section][index]
    form = VersionedConfirmForm()
    problems: list[str] = []
    levels = {s: "available" for s in person.get("available", [])}
    levels |= {s: "if_needed" for s in person.get("if_needed", [])}
    if request.method == "GET":
        _remember(form, planning.item_snapshot(scenario, section, code))
    if form.validate_on_submit():
        chosen = {s["id"]: request.form.get(f"slot-{s['id']}", "no") for s in data["slots"]}
        if any(value not in ("available", "if_needed", "no") for value in chosen.values()):
            abort(400)
        result = planning.save_availability(center, section, code,
                                            [s for s, v in chosen.items() if v == "available"],
                                            [s for s, v in chosen.items() if v == "if_needed"],
                                            read_as=_read_as(form))
        if result.ok:
            db.session.commit()
            flash(_("Saved the availability of %(name)s.", name=person["name"]), "info")
            return _back_to_list(center, section, code)
        _refused(result)
        problems = result.messages()
        levels = chosen
        if result.stale:
            _remember(form, planning.item_snapshot(planning.read_center(center), section, code))
    if request.method == "GET":
        _viewed(center, section, code, "availability")
    days, rows = _grid(data["slots"])
    return render_template("editing/availability.html", center=center, section=section, person=person,
                           form=form, days=days, rows=rows, levels=levels, level_names=LEVELS,
                           day_names=DAY_NAMES, problems=problems, title=TITLES[section])


@bp.route("/participants/<path:code>/preferences", methods=["GET", "POST"])
@login_required
def preferences(center_id: int, code: str) -> str | Redirect:
    center = get_center_or_404(center_id)
    scenario = planning.read_center(center)
    data = scenario.to_dict()
    index = _item_or_404(data, "participants", code)
    person = data["participants"][index]
    form = VersionedConfirmForm()
    problems: list[str] = []
    if request.method == "GET":
        _remember(form, planning.item_snapshot(scenario, "participants", code))
    if form.validate_on_submit():
        wanted = list(person.get("preferences", []))
        action, _sep, target = request.form.get("action", "").partition(":")
        if action not in ("up", "down", "remove", "add"):
            abort(400)
        # An activity no longer among them: a page read before someone else changed the list is refused
        # as stale below, in words; otherwise there is nothing to move.
        gone = action != "add" and target not in wanted
        if action == "add":
            wanted.append(request.form.get("activity", ""))
        elif not gone:
            at = wanted.index(target)
            if action == "remove":
                wanted.pop(at)
            else:
                to = at - 1 if action == "up" else at + 1
                if 0 <= to < len(wanted):
                    wanted[at], wanted[to] = wanted[to], wanted[at]
        result = planning.save_preferences(center, code, wanted, read_as=_read_as(form))
        if result.ok and gone:
            db.session.rollback()
            problems = [_("That activity is not among the wanted activities of %(name)s; nothing was saved.",
                          name=person["name"])]
        elif result.ok:
            db.session.commit()
            flash(_("Saved the wanted activities of %(name)s.", name=person["name"]), "info")
            return redirect(url_for("editing.preferences", center_id=center.id, code=code))
        else:
            _refused(result)
            problems = result.messages()
            if result.stale:
                _remember(form, planning.item_snapshot(planning.read_center(center), "participants", code))
    if request.method == "GET":
        _viewed(center, "participants", code, "preferences")
    names = {a["id"]: a["name"] for a in data["activities"]}
    wanted = person.get("preferences", [])
    addable = [a for a in data["activities"] if a["id"] not in wanted]
    return render_template("editing/preferences.html", center=center, person=person, form=form, names=names,
                           wanted=wanted, addable=addable, problems=problems)


# --------------------------------------------------------------------------- pairs


def _pair_form(participants: dict[str, str]) -> PairForm:
    """The pair form, its choices the center's participants (code -> name)."""
    form = PairForm()
    choices = [SelectChoice(code, f"{name} ({code})") for code, name in participants.items()]
    form.first.choices = choices
    form.second.choices = choices
    return form


@bp.route("/pairs/", methods=["GET", "POST"])
@login_required
def pairs(center_id: int) -> str | Redirect:
    center = get_center_or_404(center_id)
    scenario = planning.read_center(center)
    names = {p.id: p.name for p in scenario.participants}
    form = _pair_form(names)
    problems: list[str] = []
    if form.validate_on_submit():
        result = planning.add_pair(center, form.kind.data or "keep_apart", form.first.data or "",
                                   form.second.data or "")
        if result.ok:
            db.session.commit()
            flash(_("Added the pair."), "info")
            return redirect(url_for("editing.pairs", center_id=center.id))
        _refused(result)
        problems = result.messages()
    _viewed_list(center, "pairs", "participants kept apart or together")
    pair_lists = {"keep_apart": scenario.keep_apart, "keep_together": scenario.keep_together}
    return render_template("editing/pairs.html", center=center, form=form, pairs=pair_lists, names=names,
                           kinds=PAIR_TITLES, problems=problems)


@bp.route("/pairs/<any(keep_apart,keep_together):kind>/<int:index>/edit", methods=["GET", "POST"])
@login_required
def edit_pair(center_id: int, kind: str, index: int) -> str | Redirect:
    center = get_center_or_404(center_id)
    scenario = planning.read_center(center)
    data = scenario.to_dict()
    if not 0 <= index < len(data.get(kind, [])):
        abort(404)
    form = _pair_form({p.id: p.name for p in scenario.participants})
    problems: list[str] = []
    if request.method == "GET":
        form.kind.data, (form.first.data, form.second.data) = kind, data[kind][index]
        _remember(form, planning.pairs_snapshot(scenario))
    if form.validate_on_submit():
        result = planning.save_pair(center, kind, index, form.kind.data or kind, form.first.data or "",
                                    form.second.data or "", read_as=_read_as(form))
        if result.ok:
            db.session.commit()
            flash(_("Saved the pair."), "info")
            return redirect(url_for("editing.pairs", center_id=center.id))
        _refused(result)
        problems = result.messages()
        if result.stale:
            _remember(form, planning.pairs_snapshot(planning.read_center(center)))
    _viewed_list(center, "pair", "participants {} and {}".format(*data[kind][index]))
    return render_template("editing/pair_form.html", center=center, form=form, problems=problems)


@bp.route("/pairs/<any(keep_apart,keep_together):kind>/<int:index>/delete", methods=["GET", "POST"])
@login_required
def delete_pair(center_id: int, kind: str, index: int) -> str | Redirect:
    center = get_center_or_404(center_id)
    scenario = planning.read_center(center)
    data = scenario.to_dict()
    if not 0 <= index < len(data.get(kind, [])):
        abort(404)
    pair = data[kind][index]
    form = VersionedConfirmForm()
    if request.method == "GET":
        _remember(form, planning.pairs_snapshot(scenario))
    if form.validate_on_submit():
        result = planning.delete_pair(center, kind, index, read_as=_read_as(form))
        if result.stale:  # the list changed since: index may name another pair now
            db.session.rollback()
            flash(" ".join(result.stale), "error")
            return redirect(url_for("editing.pairs", center_id=center.id))
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
                           limit_mib=planning.MAX_SCENARIO_BYTES // (1024 * 1024))


# An upload that would remove people waits here (in the instance folder, shared by every app process
# of one machine) until the coordinator confirms; a day later it is thrown away unread.
PENDING_DAYS = 1


def _pending_dir() -> Path:
    folder = Path(current_app.instance_path) / "pending-imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _keep_pending(center: Center, raw: bytes) -> str:
    folder = _pending_dir()
    cutoff = dt.datetime.now().timestamp() - PENDING_DAYS * 86400
    for old in folder.glob("*.json"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    token = f"{center.id}-{secrets.token_urlsafe(16)}"
    (folder / f"{token}.json").write_bytes(raw)
    return token


def _pending_path(center: Center, token: str) -> Path | None:
    """The waiting file of this center named by ``token``; None for anything else."""
    prefix, _sep, key = token.partition("-")
    if prefix != str(center.id) or not key or not all(ch.isalnum() or ch in "-_" for ch in key):
        return None
    path = _pending_dir() / f"{token}.json"
    return path if path.is_file() else None


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
def import_scenario_file(center_id: int) -> str | Redirect:
    center = get_center_or_404(center_id)
    upload, csv_form = ScenarioUploadForm(), ParticipantsCsvForm(formdata=None)
    if not upload.validate_on_submit():
        return _import_page(center, upload, csv_form)
    raw = _read_upload(upload.file.data, planning.MAX_SCENARIO_BYTES)
    if not raw:
        upload.file.errors = [_("Choose a file to upload.")]
        return _import_page(center, upload, csv_form)
    try:
        scenario = planning.parse_scenario_bytes(raw)
    except planning.ScenarioError as exc:
        upload.file.errors = [_("The file has %(n)d problem(s); nothing was changed.", n=len(exc.problems))]
        return _import_page(center, upload, csv_form, problems=[str(p) for p in exc.problems])
    try:
        planning.replace_scenario(center, scenario)
    except planning.RemovalsNeedConfirmation as question:
        db.session.rollback()
        confirm = ConfirmRemovalsForm(formdata=None, pending=_keep_pending(center, raw))
        return render_template("editing/confirm_removals.html", center=center, form=confirm,
                               removals=question.removals)
    db.session.commit()
    flash(_("Replaced the planning data with the file."), "info")
    return _dashboard(center)


@bp.post("/import/scenario/confirm")
@login_required
def confirm_removals(center_id: int) -> str | Redirect:
    """The second step of an upload that removes people: apply the waiting file, or say it is gone."""
    center = get_center_or_404(center_id)
    form = ConfirmRemovalsForm()
    path = _pending_path(center, form.pending.data or "")
    if path is None:
        flash(_("That upload is no longer waiting; please upload the file again."), "error")
        return redirect(url_for("editing.import_page", center_id=center.id))
    raw = path.read_bytes()
    try:
        scenario = planning.parse_scenario_bytes(raw)
    except planning.ScenarioError:  # it was valid when kept; a changed file is not applied
        path.unlink(missing_ok=True)
        abort(409)
    if not form.validate_on_submit():
        removals = planning.removed_people(planning.read_center(center), scenario)
        return render_template("editing/confirm_removals.html", center=center, form=form, removals=removals)
    removed = planning.replace_scenario(center, scenario, confirmed_removals=True)
    db.session.commit()
    path.unlink(missing_ok=True)
    flash(ngettext("Replaced the planning data with the file and removed %(num)d person.",
                   "Replaced the planning data with the file and removed %(num)d people.", len(removed)), "info")
    return _dashboard(center)


@bp.post("/import/participants")
@login_required
@_closing_uploads
def import_participants(center_id: int) -> str | Redirect:
    center = get_center_or_404(center_id)
    upload, csv_form = ScenarioUploadForm(formdata=None), ParticipantsCsvForm()
    if not csv_form.validate_on_submit():
        return _import_page(center, upload, csv_form)
    raw = _read_upload(csv_form.file.data, planning.MAX_SCENARIO_BYTES)
    if not raw:
        csv_form.file.errors = [_("Choose a file to upload.")]
        return _import_page(center, upload, csv_form)
    if len(raw) > planning.MAX_SCENARIO_BYTES:
        csv_form.file.errors = [_("The file is larger than %(n)d MiB.", n=planning.MAX_SCENARIO_BYTES // (1024 * 1024))]
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
    body = json.dumps(planning.read_center(center).to_dict(), ensure_ascii=False, indent=2) + "\n"
    # Everyone's data leaves the system here, like one participant's copy: the log says who took it.
    audit.record(center.id, current_user, "person.exported.all", "every participant and facilitator", None, None)
    db.session.commit()
    safe = "".join(ch if ch.isalnum() else "-" for ch in center.name).strip("-") or "center"
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{safe}.json"'})
