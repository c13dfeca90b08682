"""Two-factor sign-in: setting it up (a QR code for the authenticator app, then one code to prove
it works), the code step after the password, and the center setting that requires it of every
coordinator. Until a coordinator of such a center has set it up, every page leads to the set-up."""

from __future__ import annotations

import time

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length

from scheduler import ratelimit
from scheduler.extensions import db
from scheduler.models import Center, User
from scheduler.services import audit, two_factor
from scheduler.views.auth import _safe_next, clear_session, recent_password_required, start_session
from scheduler.views.calendars import qr_svg
from scheduler.views.coordinator import get_center_or_404

bp = Blueprint("two_factor", __name__)

PENDING_S = 300  # the password step is good for five minutes
# Pages a coordinator who must set up two-factor sign-in can still reach.
OPEN_WHILE_REQUIRED = {"two_factor.setup", "two_factor.turn_on", "auth.sign_out", "auth.sign_out_everywhere",
                       "auth.confirm_password", "language.choose", "static"}


class CodeForm(FlaskForm):
    code = StringField(_l("Code from your authenticator app"),
                       validators=[DataRequired(_l("Enter the 6-digit code.")), Length(max=20)])


class ConfirmForm(FlaskForm):
    """No fields: the CSRF token is the point."""


class RequireForm(FlaskForm):
    required = BooleanField(_l("Every coordinator of this center must sign in with a code too"))


def ask_for_code(user: User, next_url: str | None) -> Response:
    """After a right password: remember who, briefly, and ask for the code."""
    clear_session()
    session["pending_sign_in"] = [user.id, user.session_version, int(time.time())]
    return redirect(url_for("two_factor.code", next=next_url))  # type: ignore[return-value]


def _pending_user() -> User | None:
    pending = session.get("pending_sign_in")
    if not isinstance(pending, list) or len(pending) != 3 or int(time.time()) - int(pending[2]) > PENDING_S:
        return None
    user = db.session.get(User, pending[0])
    return user if user is not None and user.session_version == pending[1] and user.totp_secret else None


@bp.route("/sign-in/code", methods=["GET", "POST"])
def code() -> str | Response:
    user = _pending_user()
    if user is None:
        session.pop("pending_sign_in", None)
        flash(_("Please sign in again."), "info")
        return redirect(url_for("auth.sign_in"))
    form = CodeForm()
    if form.validate_on_submit():
        verdict = ratelimit.hit("two-factor", str(user.id), 5, 300)
        if not verdict.allowed:
            session.pop("pending_sign_in", None)
            flash(_("Too many wrong codes. Please wait %(n)d minutes and sign in again.",
                    n=max(1, round(verdict.retry_after_s / 60))), "error")
            return redirect(url_for("auth.sign_in"))
        if two_factor.check_code(user, form.code.data or ""):
            db.session.commit()
            start_session(user)
            return redirect(_safe_next(request.args.get("next")) or url_for("coordinator.index"))
        form.code.errors.append(_("That code is not right. Codes change every 30 seconds: try the one shown now."))
    return render_template("auth/code.html", form=form)


@bp.get("/account/two-factor")
@login_required
def setup() -> str:
    requiring = two_factor.centers_requiring(current_user)
    if current_user.totp_secret:
        return render_template("auth/two_factor.html", on=True, requiring=requiring, off_form=ConfirmForm(),
                               centers=_coordinated(), require_forms=_require_forms())
    secret = session.get("totp_pending") or two_factor.new_secret()
    session["totp_pending"] = secret
    uri = two_factor.setup_uri(current_user, secret)
    return render_template("auth/two_factor.html", on=False, requiring=requiring, form=CodeForm(),
                           secret=secret, qr=qr_svg(uri), centers=_coordinated(), require_forms=_require_forms())


@bp.post("/account/two-factor")
@login_required
@recent_password_required
def turn_on() -> str | Response:
    form = CodeForm()
    secret = session.get("totp_pending")
    valid = form.validate_on_submit()
    if valid and secret and two_factor.turn_on(current_user, secret, form.code.data or ""):
        session.pop("totp_pending", None)
        db.session.commit()
        flash(_("Two-factor sign-in is on. From now on you will be asked for a code after your password."),
              "success")
        return redirect(url_for("two_factor.setup"))
    if not valid and not form.code.errors:
        flash(_("The page had expired. Please try again."), "error")
    if valid:
        form.code.errors.append(_("That code is not right. Scan the QR code again and type the code shown now."))
    secret = secret or two_factor.new_secret()
    session["totp_pending"] = secret
    return render_template("auth/two_factor.html", on=False, requiring=two_factor.centers_requiring(current_user),
                           form=form, secret=secret, qr=qr_svg(two_factor.setup_uri(current_user, secret)),
                           centers=_coordinated(), require_forms=_require_forms())


@bp.post("/account/two-factor/off")
@login_required
@recent_password_required
def turn_off() -> Response:
    if ConfirmForm().validate_on_submit():
        requiring = two_factor.centers_requiring(current_user)
        if requiring:
            flash(_("%(centers)s require two-factor sign-in of their coordinators, so it stays on.",
                    centers=", ".join(c.name for c in requiring)), "error")
        else:
            two_factor.turn_off(current_user)
            db.session.commit()
            flash(_("Two-factor sign-in is off."), "info")
    return redirect(url_for("two_factor.setup"))


def _coordinated() -> list[Center]:
    from scheduler.services.accounts import coordinated_centers

    return coordinated_centers(current_user)


def _require_forms() -> dict[int, RequireForm]:
    return {c.id: RequireForm(prefix=f"c{c.id}", required=c.require_two_factor) for c in _coordinated()}


@bp.post("/centers/<int:center_id>/two-factor")
@login_required
@recent_password_required
def require(center_id: int) -> Response:
    center = get_center_or_404(center_id)
    form = RequireForm(prefix=f"c{center.id}")
    if form.validate_on_submit():
        wanted = bool(form.required.data)
        if wanted and not current_user.totp_secret:
            flash(_("Set up two-factor sign-in for yourself first, so that you are not locked out."), "error")
        elif wanted != center.require_two_factor:
            center.require_two_factor = wanted
            audit.record(center.id, current_user, "center.two_factor", center.name,
                         {"required": not wanted}, {"required": wanted})
            db.session.commit()
            flash(_("Coordinators of %(center)s must now sign in with a code.", center=center.name) if wanted
                  else _("Coordinators of %(center)s may now sign in with a password alone.", center=center.name),
                  "success")
    return redirect(url_for("two_factor.setup"))


@bp.before_app_request
def enforce_two_factor() -> Response | None:
    """A coordinator of a center that requires two-factor sign-in uses nothing else until it is set up."""
    if (request.endpoint in OPEN_WHILE_REQUIRED or not current_user.is_authenticated
            or current_user.totp_secret or not two_factor.centers_requiring(current_user)):
        return None
    flash(_("Your center asks every coordinator for a code from an authenticator app at sign-in. "
            "Please set it up to continue."), "info")
    return redirect(url_for("two_factor.setup"))
