"""The term's report: a page (charts with text, a print layout) and a CSV, for one center or for
every center the coordinator works for (a network)."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, abort, make_response, render_template
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from scheduler.services.accounts import coordinated_centers
from scheduler.services.monitoring import outcomes
from scheduler.services.monitoring import report as svc
from scheduler.views.coordinator import get_center_or_404

bp = Blueprint("monitoring_report", __name__)


def _csv(rows: list[list[str]], filename: str) -> Response:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    # A byte-order mark, so spreadsheet programs read the names' accents right.
    response = make_response("\ufeff" + out.getvalue())
    response.mimetype = "text/csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/centers/<int:center_id>/report/")
@login_required
def center_page(center_id: int) -> str:
    center = get_center_or_404(center_id)
    return render_template("monitoring/report.html", center=center, report=svc.center_report(center),
                           questions=outcomes.QUESTIONS, min_answers=outcomes.MIN_ANSWERS)


@bp.get("/centers/<int:center_id>/report.csv")
@login_required
def center_csv(center_id: int) -> Response:
    center = get_center_or_404(center_id)
    report = svc.center_report(center)
    if report is None:
        abort(404)
    return _csv(svc.csv_rows([report]), f"report-center-{center.id}.csv")


def _network() -> svc.NetworkReport:
    centers = coordinated_centers(current_user)
    if not centers:
        abort(404)  # a facilitator, or a coordinator of nothing: there is no network to report on
    return svc.network_report(centers)


@bp.get("/report/network/")
@login_required
def network_page() -> str:
    return render_template("monitoring/network.html", network=_network(), questions=outcomes.QUESTIONS,
                           min_answers=outcomes.MIN_ANSWERS)


@bp.get("/report/network.csv")
@login_required
def network_csv() -> Response:
    network = _network()
    return _csv(svc.csv_rows(network.centers, network.figures), "report-network.csv")
