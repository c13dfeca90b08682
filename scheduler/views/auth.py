"""Signing in and out (coordinators and facilitators)."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    after_this_request,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, InputRequired, Length

from scheduler import ratelimit
from scheduler.extensions import db
from scheduler.models import User
from scheduler.models.accounts import PasswordReset
from scheduler.services import password_resets, sign_in_limits
from scheduler.services.accounts import MAX_PASSWORD_LENGTH, AccountError, authenticate, normalise_email
from scheduler.views.welcome import notify_pending_invitations

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
        # Wrong passwords are counted so that guessing is slow, in a way that cannot keep the person
        # out: see services/sign_in_limits.py.
        attempt = sign_in_limits.begin(form.email.data or "", request.remote_addr or "-",
                                       request.cookies.get(sign_in_limits.DEVICE_COOKIE))
        if attempt.refusal is not None:
            minutes = max(1, round(attempt.refusal.retry_after_s / 60))
            form.password.errors.append(_("Too many attempts. Please wait %(n)d minutes and try again.", n=minutes))
            response = make_response(render_template("auth/sign_in.html", form=form), 429)
            response.headers["Retry-After"] = str(attempt.refusal.retry_after_s)
            return response
        user = authenticate(form.email.data or "", form.password.data or "")
        if user is not None:
            attempt.not_a_failure()
            db.session.commit()  # a rehashed password, if the hash parameters moved on
            if user.totp_secret:
                from scheduler.views.two_factor import ask_for_code

                return ask_for_code(user, _safe_next(request.args.get("next")))
            start_session(user)
            return redirect(_safe_next(request.args.get("next")) or url_for("coordinator.index"))
        form.password.errors.append(_("That email and password do not match an account."))
    return render_template("auth/sign_in.html", form=form)


def clear_session() -> None:
    """Forget everything in the session except the language the person chose."""
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale


def start_session(user: User) -> None:
    """A fresh session on sign-in (no fixation of an earlier one), stamped for the time-outs. The
    language the account last chose wins over this browser's: it is the person's, on any device."""
    clear_session()
    if user.locale in current_app.config["LANGUAGES"]:
        session["locale"] = user.locale
    login_user(user)
    session["signed_in_at"] = session["seen_at"] = int(time.time())
    _remember_this_device(user)
    notify_pending_invitations()  # another center's offer of a role waits for this person's answer


def _remember_this_device(user: User) -> None:
    """From now on this browser is a known device of the account: nobody else's wrong passwords lock it out."""
    value = sign_in_limits.remember_device(user, request.cookies.get(sign_in_limits.DEVICE_COOKIE))

    @after_this_request
    def set_cookie(response: Response) -> Response:
        response.set_cookie(sign_in_limits.DEVICE_COOKIE, value, max_age=sign_in_limits.DEVICE_MAX_AGE_S,
                            path=sign_in_limits.DEVICE_COOKIE_PATH,
                            secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True, samesite="Lax")
        return response


@bp.before_app_request
def end_stale_sessions() -> Response | None:
    """Signed out after IDLE_TIMEOUT_S without a request, or ABSOLUTE_TIMEOUT_S after signing in.
    The idle limit is long (2 hours by default) so a half-filled form is rarely lost to it."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    now = int(time.time())
    signed_in_at, seen_at = session.get("signed_in_at"), session.get("seen_at")
    idle = current_app.config.get("IDLE_TIMEOUT_S", 7200)
    absolute = current_app.config.get("ABSOLUTE_TIMEOUT_S", 12 * 3600)
    if signed_in_at is None or seen_at is None or now - seen_at > idle or now - signed_in_at > absolute:
        logout_user()
        clear_session()
        flash(_("You were signed out after a while. Please sign in again."), "info")
        # A form sent after the time-out comes back to the page it was sent from: the browser kept
        # a draft of what was typed there (static/js/drafts.js) and puts it back.
        target = request.full_path if request.method == "GET" else _same_site_path(request.referrer)
        return redirect(url_for("auth.sign_in", next=_safe_next(target)))
    if now - seen_at > 60:  # rewrite the cookie at most once a minute
        session["seen_at"] = now
    return None


RECENT_PASSWORD_S = 600


def recent_password_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """For sensitive actions (exporting everyone's data, replacing calendar links): the password must
    have been given in the last 10 minutes, even in a long-open session. A GET comes back to itself
    afterwards; a form POST comes back to the page it was sent from."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        confirmed = session.get("password_at", session.get("signed_in_at", 0))
        if int(time.time()) - int(confirmed) <= RECENT_PASSWORD_S:
            return view(*args, **kwargs)
        back = request.full_path if request.method == "GET" else _safe_next(_same_site_path(request.referrer))
        if request.method == "POST":
            _keep_pending_action()
        else:  # an older form left waiting must not be sent after this GET's password
            session.pop("pending_action", None)
        return redirect(url_for("auth.confirm_password", next=back))

    return wrapped


PENDING_ACTION_LIMIT = 2000  # characters of form fields kept in the session cookie for after the password


def _keep_pending_action() -> None:
    """A form sent while the password was due is kept (its address and fields, never the old CSRF
    token), so the password page can finish it instead of returning with nothing done."""
    fields = [(key, value) for key, values in request.form.lists() if key != "csrf_token" for value in values]
    if sum(len(k) + len(v) for k, v in fields) <= PENDING_ACTION_LIMIT:
        session["pending_action"] = {"url": request.path, "fields": fields}
    else:
        session.pop("pending_action", None)


def _same_site_path(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    if parts.netloc and parts.netloc != request.host:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


class ConfirmPasswordForm(FlaskForm):
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password.")),
                                                          Length(max=MAX_PASSWORD_LENGTH)])


@bp.route("/confirm-password", methods=["GET", "POST"])
@login_required
def confirm_password() -> str | Response:
    form = ConfirmPasswordForm()
    if form.validate_on_submit():
        # Wrong passwords here are limited like sign-in's (services/sign_in_limits.py).
        attempt = sign_in_limits.begin_confirmation(current_user)
        if attempt.refusal is not None:
            minutes = max(1, round(attempt.refusal.retry_after_s / 60))
            form.password.errors.append(_("Too many attempts. Please wait %(n)d minutes and try again.", n=minutes))
            response = make_response(render_template("auth/confirm_password.html", form=form), 429)
            response.headers["Retry-After"] = str(attempt.refusal.retry_after_s)
            return response
        if authenticate(current_user.email, form.password.data or "") is not None:
            attempt.not_a_failure()
            session["password_at"] = int(time.time())
            pending = session.pop("pending_action", None)
            if pending and _safe_next(pending.get("url")):
                # The action the password interrupted is sent again, with a fresh CSRF token: by
                # static/js/continue.js at once, or by its button without scripts.
                return render_template("auth/continue.html", action=_safe_next(pending["url"]),
                                       fields=pending.get("fields", []))
            return redirect(_safe_next(request.args.get("next")) or url_for("coordinator.index"))
        form.password.errors.append(_("That is not your password."))
    return render_template("auth/confirm_password.html", form=form)


class ResetRequestForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(_l("Enter your email address.")), Length(max=320)])


class NewPasswordForm(FlaskForm):
    password = PasswordField(_l("New password (at least 12 characters; a short sentence works well)"),
                             validators=[InputRequired()])
    again = PasswordField(_l("The same password again"), validators=[InputRequired()])


@bp.route("/password-reset", methods=["GET", "POST"])
def password_reset() -> str | Response:
    """Ask for a link to choose a new password. The answer is the same for every address, so this page
    tells nobody whether an address has an account (services/password_resets.py)."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        email = normalise_email(form.email.data or "")
        # Counted for every address, known or not: the limit must not tell them apart either.
        for verdict in (ratelimit.hit("password-reset-ip", request.remote_addr or "-",
                                      password_resets.PER_IP_LIMIT, password_resets.LIMIT_WINDOW_S),
                        ratelimit.hit("password-reset-address", email,
                                      password_resets.PER_ADDRESS_LIMIT, password_resets.LIMIT_WINDOW_S)):
            if not verdict.allowed:
                minutes = max(1, round(verdict.retry_after_s / 60))
                form.email.errors.append(_("Too many requests. Please wait %(n)d minutes and try again.", n=minutes))
                response = make_response(render_template("auth/password_reset.html", form=form), 429)
                response.headers["Retry-After"] = str(verdict.retry_after_s)
                return response
        password_resets.request_reset(email)
        db.session.commit()
        flash(_("If %(email)s is the address of an account, a link to choose a new password has been sent to it. "
                "It works for one hour.", email=email), "info")
        return redirect(url_for("auth.sign_in"))
    return render_template("auth/password_reset.html", form=form)


def choose_new_password(reset: PasswordReset) -> str | Response:
    """The page a reset link opens (at ``/welcome/<token>``, so it is redacted from logs and its
    guesses limited like every emailed link). It never signs in: the normal sign-in follows, with the
    second factor where the account has one."""
    form = NewPasswordForm()
    if form.validate_on_submit():
        if form.password.data != form.again.data:
            form.again.errors = [*form.again.errors, _("The two passwords are not the same.")]
        else:
            try:
                password_resets.choose_new_password(reset, form.password.data or "")
            except AccountError as error:
                db.session.rollback()
                form.password.errors = [*form.password.errors, error.message]
            else:
                db.session.commit()
                if current_user.is_authenticated:
                    logout_user()
                    clear_session()
                flash(_("Your new password is set and your account is signed out everywhere. Sign in with it now."),
                      "success")
                return redirect(url_for("auth.sign_in"))
    return render_template("auth/new_password.html", form=form, email=reset.user.email)


@bp.post("/sign-out-everywhere")
@login_required
def sign_out_everywhere() -> Response:
    """Every session of this account ends, on every device (a lost phone, a shared computer)."""
    current_user.session_version += 1
    db.session.commit()
    logout_user()
    clear_session()
    flash(_("You are signed out on every device."), "info")
    return redirect(url_for("auth.sign_in"))


@bp.post("/sign-out")
@login_required
def sign_out() -> Response:
    logout_user()
    clear_session()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.sign_in"))
