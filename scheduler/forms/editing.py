"""Forms for center settings, slots, rooms, activities, people and pairs."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Optional, ValidationError

from scheduler.i18n import DAY_NAMES, LANGUAGE_NAMES
from scheduler.services.planning import DAYS, single_line_problem

WHOLE = _l("Enter a whole number.")
LIST_HINT = _l("Separate several with commas.")


class WholeNumberField(IntegerField):
    """An integer field whose parse error is our translated sentence, not WTForms' generic one."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or valuelist[0] in ("", None):
            self.data = None
            return
        try:
            self.data = int(str(valuelist[0]).strip())
        except ValueError as exc:
            self.data = None
            raise ValueError(str(WHOLE)) from exc


class ClockTimeField(TimeField):
    """A time of day as HH:MM. A browser without a time picker sends what was typed ("9.30"): that is
    answered as a time written wrongly, with how to write it, not as a missing one."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None  # missing: the field's InputRequired says so
            return
        try:
            super().process_formdata([str(valuelist[0]).strip()])
        except ValueError as exc:
            self.data = None
            raise ValueError(str(_l("Write the time as HH:MM, for example 09:30."))) from exc


class SingleLine:
    """A WTForms validator for names and labels: one line of printable text (the same rule as
    ``solver.scenario`` applies to every name in the planning data), so fields the scenario format
    does not hold (a calendar label, an address) are held to it too."""

    def __init__(self, longest: int = 200) -> None:
        self.longest = longest

    def __call__(self, form: FlaskForm, field: Any) -> None:
        problem = single_line_problem(field.data or "", self.longest)
        if problem:
            raise ValidationError(_l("This must be a single line of text, without line breaks or control "
                                     "characters, at most %(n)d characters.", n=self.longest))


def split_list(raw: str | None) -> list[str]:
    """"a, b ,c" -> ["a", "b", "c"]; duplicates are kept so the validator can name them."""
    return [part.strip() for part in (raw or "").replace("\n", ",").split(",") if part.strip()]


class VersionedForm(FlaskForm):
    """A form that carries what it was read at (the normalised item, as JSON), so a save made after
    someone else's change is refused instead of overwriting it."""

    read_as = HiddenField()


class ItemForm(VersionedForm):
    """A form for one list item; ``to_item`` builds its scenario dict, ``load`` fills it from one."""

    id = StringField(_l("Id"), validators=[DataRequired(_l("Enter an id.")), SingleLine(64)],
                     description=_l("A short unique code used in files, e.g. act1. It cannot be changed later."))
    list_fields: tuple[str, ...] = ()
    # Fields kept on the row only, outside the scenario format (which would refuse an unknown key).
    row_fields: tuple[str, ...] = ()

    def to_item(self) -> dict[str, Any]:
        item: dict[str, Any] = {}
        for field in self:
            if field.name in ("csrf_token", "read_as", *self.row_fields):
                continue
            if field.name in self.list_fields:
                item[field.name] = split_list(field.data)
            elif isinstance(field.data, str):
                item[field.name] = field.data.strip()
            else:
                item[field.name] = field.data
        return item

    def load(self, item: dict[str, Any]) -> None:
        for field in self:
            if field.name in item and field.name != "read_as":
                value = item[field.name]
                field.data = ", ".join(value) if field.name in self.list_fields else value


class SlotForm(ItemForm):
    day = SelectField(_l("Day"), choices=[SelectChoice(d, DAY_NAMES[d]) for d in DAYS])
    start = StringField(_l("Starts (HH:MM)"), validators=[DataRequired(_l("Enter a time."))])
    end = StringField(_l("Ends (HH:MM)"), validators=[DataRequired(_l("Enter a time."))])


class RoomForm(ItemForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter a name.")), SingleLine(200)])
    capacity = WholeNumberField(_l("Capacity (people)"), validators=[InputRequired(WHOLE)])
    features = StringField(_l("Features"), description=LIST_HINT)
    list_fields = ("features",)


class ActivityForm(ItemForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter a name.")), SingleLine(200)])
    sessions_per_week = WholeNumberField(_l("Meetings a week (1 to 3)"), validators=[InputRequired(WHOLE)])
    min_size = WholeNumberField(_l("Smallest group"), validators=[InputRequired(WHOLE)])
    max_size = WholeNumberField(_l("Largest group"), validators=[InputRequired(WHOLE)])
    min_groups = WholeNumberField(_l("Fewest groups"), default=0, validators=[InputRequired(WHOLE)])
    max_groups = WholeNumberField(_l("Most groups"), validators=[InputRequired(WHOLE)])
    facilitators_per_group = WholeNumberField(_l("Facilitators per group (1 or 2)"), validators=[InputRequired(WHOLE)])
    required_skills = StringField(_l("Skills every facilitator needs"), description=LIST_HINT)
    room_features = StringField(_l("Room features needed"), description=LIST_HINT)
    language = StringField(_l("Language (optional)"), validators=[Optional(), SingleLine(32)])
    list_fields = ("required_skills", "room_features")

    def to_item(self) -> dict[str, Any]:
        item = super().to_item()
        if not item.get("language"):
            item.pop("language", None)  # optional key: absent rather than empty
        return item


class PersonForm(ItemForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter a name.")), SingleLine(200)])
    email = StringField(_l("Email (optional)"), validators=[SingleLine(320)])
    languages = StringField(_l("Languages"), description=LIST_HINT)


class FacilitatorForm(PersonForm):
    skills = StringField(_l("Skills"), description=LIST_HINT)
    max_sessions_per_week = WholeNumberField(_l("Most meetings a week"), validators=[InputRequired(WHOLE)])
    list_fields = ("skills", "languages")


class ParticipantForm(PersonForm):
    max_groups = WholeNumberField(_l("Most groups"), validators=[InputRequired(WHOLE)])
    needs = StringField(_l("Needs (room features)"), description=LIST_HINT)
    locale = SelectField(_l("Language of their page and emails"),
                         choices=[SelectChoice("", _l("Not chosen yet (emails in English)")),
                                  *(SelectChoice(code, name, render_kw={"lang": code})
                                    for code, name in LANGUAGE_NAMES.items())],
                         # Absent from a post (an older client): leave it as it is; see row_fields.
                         validators=[Optional()],
                         description=_l("They can also change it themselves on their own page."))
    list_fields = ("needs", "languages")
    row_fields = ("locale",)


class CenterForm(VersionedForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter a name.")), SingleLine(200)])
    timezone = StringField(_l("Time zone"), validators=[DataRequired(_l("Enter a time zone."))],
                           description=_l("An IANA name such as Europe/Madrid."))
    term_start = StringField(_l("Term starts (YYYY-MM-DD)"), validators=[DataRequired(_l("Enter a date."))])
    term_end = StringField(_l("Term ends (YYYY-MM-DD)"), validators=[DataRequired(_l("Enter a date."))])
    holidays = TextAreaField(_l("Holidays (YYYY-MM-DD)"), description=_l("One date per line, or separated by commas."))


class PairForm(VersionedForm):
    kind = SelectField(_l("Kind"), choices=[SelectChoice("keep_apart", _l("Keep apart")),
                                            SelectChoice("keep_together", _l("Keep together"))])
    first = SelectField(_l("First participant"), validators=[DataRequired()])
    second = SelectField(_l("Second participant"), validators=[DataRequired()])


class ConfirmForm(FlaskForm):
    """An empty form: its CSRF token is what a delete or move needs."""


class VersionedConfirmForm(VersionedForm):
    """A delete, or a page whose inputs are outside WTForms (the availability grid, the ranked
    list), carrying what it was read at."""


class ScenarioUploadForm(FlaskForm):
    file = FileField(_l("Scenario file (JSON)"))
    confirm = BooleanField(_l("Replace all of this center's planning data with the file"),
                           validators=[DataRequired(_l("Tick the box to confirm the replacement."))])


class ConfirmRemovalsForm(FlaskForm):
    """The second step of an upload that would remove people: the file waits on the server under
    ``pending`` until the coordinator confirms, or is thrown away."""

    pending = HiddenField(validators=[DataRequired()])
    confirm_removals = BooleanField(_l("Remove these people, with their personal links, calendar links and "
                                       "answers"),
                                    validators=[DataRequired(_l("Tick the box to confirm the removals."))])


class ParticipantsCsvForm(FlaskForm):
    file = FileField(_l("Participants file (CSV)"))
