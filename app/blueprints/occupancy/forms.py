from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField
from wtforms.validators import Optional

from app.labels import choices


class PeriodForm(FlaskForm):
    """The heatmaps' period and measure, read from the query string."""

    class Meta:
        csrf = False

    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To (included)"), validators=[Optional()])
    measure = SelectField(
        _l("Measure"),
        choices=choices(
            {
                "used": _l("In use (machine sessions)"),
                "booked": _l("Booked (confirmed bookings)"),
            }
        ),
        default="used",
    )
