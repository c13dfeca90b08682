"""What a link from an invitation email opens (the route is ``self_service.welcome``, ``/welcome/<token>``).

Two kinds of token share the address, so both are redacted from logs and rate-limited alike:

- a **welcome link** lets an account that has never had a password choose one, once; it then sends
  the person to the normal sign-in (with the second factor where it is needed), never signs them in;
- an **invitation to an existing account** shows the offer; only the account's owner, signed in, can
  accept it (or decline it). Opened signed out, it asks them to sign in and comes back.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import PasswordField
from wtforms.validators import InputRequired

from scheduler.extensions import db
from scheduler.models import CenterRole, RoleInvitation, WelcomeLink
from scheduler.services import accounts, audit, password_resets, staff_invitations


class WelcomeForm(FlaskForm):
    password = PasswordField(_l("Choose a password (at least 12 characters; a short sentence works well)"),
                             validators=[InputRequired()])
    again = PasswordField(_l("The same password again"), validators=[InputRequired()])


class AnswerForm(FlaskForm):
    """The answer is the button pressed (``accept`` or ``decline``); the CSRF token is the point."""


ROLE_NAMES = {CenterRole.FACILITATOR: _l("facilitator"), CenterRole.COORDINATOR: _l("coordinator")}


def open_link(token: str) -> str | Response | None:
    """The page for this token, or None when it is no live link of either kind."""
    link = staff_invitations.welcome_link_for(token)
    if link is not None:
        return _choose_password(link)
    invitation = staff_invitations.role_invitation_for(token)
    if invitation is not None:
        return _invitation(token, invitation)
    reset = password_resets.reset_for(token)
    if reset is not None:
        from scheduler.views.auth import choose_new_password

        return choose_new_password(reset)
    return None


def _choose_password(link: WelcomeLink) -> str | Response:
    form = WelcomeForm()
    if form.validate_on_submit():
        if form.password.data != form.again.data:
            form.again.errors = [*form.again.errors, _("The two passwords are not the same.")]
        else:
            try:
                staff_invitations.choose_first_password(link, form.password.data or "")
            except accounts.AccountError as error:
                db.session.rollback()
                form.password.errors = [*form.password.errors, error.message]
            else:
                db.session.commit()
                # The link proves only that someone could read the email; signing in proves the rest.
                flash(_("Your password is set. Sign in with it now."), "success")
                return redirect(url_for("auth.sign_in"))
    return render_template("self_service/welcome.html", form=form, email=link.user.email)


def _invitation(token: str, invitation: RoleInvitation) -> str | Response:
    here = url_for("self_service.welcome", token=token)
    invited = invitation.user
    role = ROLE_NAMES.get(invitation.role, invitation.role.value)
    signed_in_as_invited = current_user.is_authenticated and current_user.id == invited.id
    form = AnswerForm()
    if request.method == "POST" and signed_in_as_invited and form.validate_on_submit():
        accept = request.form.get("answer") == "accept"
        staff_invitations.answer(invitation, current_user, accept=accept)
        if accept:
            audit.record(invitation.center_id, current_user, "staff.joined", invited.email, None,
                         {"role": invitation.role.value})
        db.session.commit()
        if accept:
            flash(_("You are now a %(role)s at %(center)s.", role=role, center=invitation.center.name), "success")
        else:
            flash(_("You declined. Nothing has changed."), "info")
        return redirect(url_for("coordinator.index"))
    return render_template("auth/role_invitation.html", invitation=invitation, role=role, form=form,
                           signed_in_as_invited=signed_in_as_invited, email=invited.email,
                           sign_in=url_for("auth.sign_in", next=here))


def notify_pending_invitations() -> None:
    """At sign-in: the account's owner is told of every invitation waiting for their answer."""
    # The center is not named: whoever holds the password may not be the mailbox's owner (someone may
    # have made the account in their name), and which centers work with a person is the owner's to
    # learn, from the email.
    for invitation in staff_invitations.pending_for(current_user):
        flash(_("A center invites you to join as a %(role)s. Nothing changes until you accept: open the "
                "link in the email sent to %(email)s.",
                role=ROLE_NAMES.get(invitation.role, invitation.role.value), email=current_user.email), "info")
