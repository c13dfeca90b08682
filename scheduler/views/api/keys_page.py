"""The coordinator's page for a center's API keys: make one (shown once), see when each was last
used, revoke one."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from scheduler.extensions import db
from scheduler.models import ApiKeyScope, Center
from scheduler.services import api_keys
from scheduler.views.auth import recent_password_required
from scheduler.views.coordinator import get_center_or_404

bp = Blueprint("api_keys", __name__, url_prefix="/centers/<int:center_id>/api-keys")

SCOPES = {ApiKeyScope.READ: _l("Read only"), ApiKeyScope.READ_WRITE: _l("Read and change")}


class NewKeyForm(FlaskForm):
    name = StringField(_l("What the key is for"), validators=[DataRequired(_l("Enter a name.")), Length(max=100)],
                       description=_l("For example: case-management system, nightly import."))
    scope = SelectField(_l("It may"), choices=[SelectChoice(s.value, label) for s, label in SCOPES.items()],
                        default=ApiKeyScope.READ.value)


class ConfirmForm(FlaskForm):
    """No fields: the CSRF token is the point."""


def _page(center: Center, form: NewKeyForm, new_token: str | None = None, status: int = 200) -> tuple[str, int]:
    return render_template("api_keys/index.html", center=center, form=form, keys=api_keys.list_keys(center),
                           scopes=SCOPES, new_token=new_token, revoke_form=ConfirmForm()), status


@bp.get("/")
@login_required
def index(center_id: int) -> tuple[str, int]:
    return _page(get_center_or_404(center_id), NewKeyForm())


@bp.post("/")
@login_required
@recent_password_required  # a key outlives the session that made it: the password again, like an export
def create(center_id: int) -> tuple[str, int]:
    center = get_center_or_404(center_id)
    form = NewKeyForm()
    if not form.validate_on_submit():
        return _page(center, form, status=400)
    _key, token = api_keys.create_key(center, form.name.data or "", ApiKeyScope(form.scope.data), current_user)
    db.session.commit()
    # Shown on this answer only (not after a redirect): it is never stored and cannot be shown again.
    return _page(center, NewKeyForm(formdata=None), new_token=token)


@bp.post("/<int:key_id>/revoke")
@login_required
def revoke(center_id: int, key_id: int) -> Response:
    center = get_center_or_404(center_id)
    key = api_keys.get_key(center, key_id)
    if key is not None and ConfirmForm().validate_on_submit() and api_keys.revoke(key, current_user):
        db.session.commit()
        flash(_("The key is revoked: it stops working at once."), "info")
    else:
        flash(_("That key had already been revoked."), "info")
    return redirect(url_for("api_keys.index", center_id=center.id))  # type: ignore[return-value]
