"""Signing in and out (coordinators and facilitators)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from scheduler import ratelimit
from scheduler.extensions import db
from scheduler.services.accounts import MAX_PASSWORD_LENGTH, authenticate

bp = Blueprint("auth", __name__)


class SignInForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(_l("Enter your email address.")), Length(max=320)])
    password = PasswordField(
        _l("Password"), validators=[DataRequired(_l("Enter your password.")), Length(max=MAX_PASSWORD_LENGTH)]
    )


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths: an open redirect would let a phishing link borrow our sign-in page."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("coordinator.index"))
    form = SignInForm()
    if form.validate_on_submit():
        # Per address and per account: guessing is slow, and a lock-out ends with its window.
        for verdict in (ratelimit.hit("sign-in-ip", request.remote_addr or "-", 30, 300),
                        ratelimit.hit("sign-in-account", (form.email.data or "").strip().lower(), 10, 900)):
            if not verdict.allowed:
                minutes = max(1, round(verdict.retry_after_s / 60))
                form.password.errors.append(_("Too many attempts. Please wait %(n)d minutes and try again.",
                                              n=minutes))
                response = make_response(render_template("auth/sign_in.html", form=form), 429)
                response.headers["Retry-After"] = str(verdict.retry_after_s)
                return response
        user = authenticate(form.email.data or "", form.password.data or "")
        if user is not None:
            db.session.commit()  # a rehashed password, if the hash parameters moved on
            session.clear()  # a fresh session on sign-in: no fixation of an earlier one
            login_user(user)
            return redirect(_safe_next(request.args.get("next")) or url_for("coordinator.index"))
        form.password.errors.append(_("That email and password do not match an account."))
    return render_template("auth/sign_in.html", form=form)


@bp.post("/sign-out")
@login_required
def sign_out() -> Response:
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.sign_in"))
