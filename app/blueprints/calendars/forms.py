"""Forms of the calendar pages: a new feed link, and an imported calendar."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.models import CalendarScope

SCOPE_LABELS = {
    CalendarScope.MEMBER: _l("My bookings"),
    CalendarScope.TENANT: _l("My company's bookings"),
    CalendarScope.RESOURCE: _l("One room or machine"),
    CalendarScope.SITE: _l("All bookings"),
}
SCOPE_HELP = {
    CalendarScope.MEMBER: _l("The bookings you made and the ones made for you."),
    CalendarScope.TENANT: _l("Every booking of your company."),
    CalendarScope.RESOURCE: _l(
        "When it is booked, shown as the resource's privacy setting allows "
        '("Booked", or with the company\'s name).'
    ),
    CalendarScope.SITE: _l("Every booking of every resource, with who booked it."),
}


class SubscribeForm(FlaskForm):
    name = StringField(
        _l("Which device is it for?"),
        validators=[DataRequired(), Length(max=80)],
        render_kw={"placeholder": _l("phone")},
    )
    scope = SelectField(_l("Calendar"))
    resource = SelectField(_l("Room or machine"), validators=[Optional()])


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SourceForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=120)],
        render_kw={"placeholder": _l("Public holidays")},
    )
    url = StringField(
        _l("Link to the calendar (.ics, webcal:// or https://)"),
        validators=[Optional(), Length(max=2000)],
    )
    file = FileField(_l("Or upload an .ics file"))
    resources = MultiCheckboxField(_l("Closes"), validators=[Optional()])


class UploadForm(FlaskForm):
    file = FileField(_l("A new version of the .ics file"), validators=[FileRequired()])
