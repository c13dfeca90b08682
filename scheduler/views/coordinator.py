"""The coordinator's pages: their centers and each center's planning data."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from scheduler.extensions import db
from scheduler.i18n import DAY_NAMES
from scheduler.models import Center, CenterRole
from scheduler.services import audit, people_search, term_status
from scheduler.services.accounts import coordinated_centers
from scheduler.services.centers import center_summary

bp = Blueprint("coordinator", __name__)


def get_center_or_404(center_id: int) -> Center:
    """A center the signed-in coordinator works for. Any other center is 404, not 403, so ids of
    other centers cannot be probed."""
    center = db.session.get(Center, center_id)
    if center is None or center.id not in current_user.center_ids(CenterRole.COORDINATOR):
        abort(404)
    return center


@bp.get("/")
@login_required
def index() -> str | Response:
    centers = coordinated_centers(current_user)
    if len(centers) == 1:
        return redirect(url_for("coordinator.dashboard", center_id=centers[0].id))
    facilitating = sorted(current_user.center_ids(CenterRole.FACILITATOR))
    if not centers and len(facilitating) == 1:
        # A facilitator's start page is their own meetings, cover requests and calendar.
        return redirect(url_for("swaps.my_cover", center_id=facilitating[0]))
    return render_template("coordinator/index.html", centers=centers)


@bp.get("/centers/<int:center_id>/")
@login_required
def dashboard(center_id: int) -> str:
    center = get_center_or_404(center_id)
    audit.viewed_list(center.id, "dashboard", "participants and facilitators")  # names, wishes, needs
    db.session.commit()
    return render_template(
        "coordinator/dashboard.html", center=center, summary=center_summary(center), day_names=DAY_NAMES,
        status=term_status.term_status(center), job_state=term_status.job_state,
        query=people_search.PeopleQuery.from_args(request.args),
    )


SUGGESTIONS = 8


@bp.get("/centers/<int:center_id>/find-people.json")
@login_required
def find_people(center_id: int) -> Response:
    """Names for the search boxes' suggestions (static/js/typeahead.js): a few, never the whole list."""
    center = get_center_or_404(center_id)
    query = people_search.PeopleQuery.from_args({"q": request.args.get("q", "")})
    people = center.facilitators if request.args.get("kind") == "facilitators" else center.participants
    rows = [(person.name, person.code) for person in people]
    found = people_search.search(rows, query, name=lambda row: row[0], code=lambda row: row[1],
                                 per_page=SUGGESTIONS).items if query.text else []
    response = jsonify({"people": [{"name": name, "code": code} for name, code in found]})
    response.headers["Cache-Control"] = "no-store"
    return response
