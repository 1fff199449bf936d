"""The data-export form (managers): whose data, and in which format."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField
from wtforms.validators import DataRequired, NumberRange

from app.labels import choices

FORMAT_CHOICES = choices(
    {"json": _l("JSON (one file)"), "csv": _l("CSV (a zip with one file per table)")}
)


class DataExportForm(FlaskForm):
    subject = RadioField(
        _l("Whose data"),
        choices=choices({"member": _l("A member"), "tenant": _l("A tenant")}),
        default="member",
        validators=[DataRequired()],
    )
    subject_id = IntegerField(
        _l("Number (id)"),
        validators=[DataRequired(), NumberRange(min=1, max=2**31 - 1)],
        description=_l("The number shown in the member's or tenant's address."),
    )
    format = RadioField(
        _l("Format"), choices=FORMAT_CHOICES, default="json", validators=[DataRequired()]
    )
