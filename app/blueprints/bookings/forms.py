"""Booking forms: times are typed in the facility's local time; the services check every rule."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from app.labels import BOOKING_SCOPES, choices
from app.web_forms import DAY_LABELS

REPEAT = {
    "none": _l("Does not repeat"),
    "daily": _l("Every day"),
    "weekly": _l("Every week"),
    "monthly": _l("Every month"),
}
ENDS = {"count": _l("After a number of times"), "until": _l("On a date")}
RRULE_DAYS = dict(zip(("MO", "TU", "WE", "TH", "FR", "SA", "SU"), DAY_LABELS.values(), strict=True))
FIRST_YEAR, LAST_YEAR = 2000, 2200
OUT_OF_RANGE = _l("This date is out of range.")


def _in_range(form: Any, field: Any) -> None:
    if field.data is not None and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
        raise ValidationError(str(OUT_OF_RANGE))


class WhenMixin:
    """A local date with a start and an end time; an end at 00:00 means midnight."""

    date = DateField(_l("Date"), validators=[InputRequired(), _in_range])
    start_time = TimeField(_l("From"), validators=[InputRequired()])
    end_time = TimeField(_l("Until"), validators=[InputRequired()])

    def local_interval(self) -> tuple[dt.datetime, dt.datetime]:
        """Naive local start and end; call it only after the form validated."""
        day: dt.date = self.date.data
        start = dt.datetime.combine(day, self.start_time.data)
        end = dt.datetime.combine(day, self.end_time.data)
        if end.time() == dt.time(0):
            end += dt.timedelta(days=1)
        return start, end


class BookingForm(WhenMixin, FlaskForm):
    resource = SelectField(_l("What"), validators=[DataRequired()])
    title = StringField(
        _l("Title"),
        validators=[Optional(), Length(max=200)],
        description=_l("Shown to you and your company; others see only what the privacy allows."),
    )
    booked_for = SelectField(_l("For"), default="")
    repeat = SelectField(_l("Repeat"), choices=choices(REPEAT), default="none")
    interval = IntegerField(
        _l("Every how many days, weeks or months"),
        default=1,
        validators=[Optional(), NumberRange(min=1, max=10000)],
    )
    weekdays = SelectMultipleField(
        _l("On these weekdays (weekly)"),
        choices=choices(RRULE_DAYS),
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validators=[Optional()],
    )
    ends = RadioField(_l("Ends"), choices=choices(ENDS), default="count")
    count = IntegerField(
        _l("Number of times"), default=4, validators=[Optional(), NumberRange(min=1, max=100000)]
    )
    until = DateField(_l("Last date"), validators=[Optional(), _in_range])
    skip_conflicts = BooleanField(_l("Skip the occurrences that conflict and book the others"))

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if self.repeat.data != "none":
            if self.ends.data == "until" and self.until.data is None and not self.until.errors:
                self.until.errors = [str(_l("Give the last date."))]
                valid = False
            if self.ends.data == "count" and self.count.data is None and not self.count.errors:
                self.count.errors = [str(_l("Give the number of times."))]
                valid = False
        return valid

    def recurrence(self) -> str | None:
        """The RRULE the form describes (None: a single booking)."""
        freq = self.repeat.data
        if not freq or freq == "none":
            return None
        parts = [f"FREQ={freq.upper()}", f"INTERVAL={self.interval.data or 1}"]
        if freq == "weekly" and self.weekdays.data:
            parts.append("BYDAY=" + ",".join(self.weekdays.data))
        if self.ends.data == "until" and self.until.data is not None:
            parts.append("UNTIL=" + self.until.data.strftime("%Y%m%d"))
        else:
            parts.append(f"COUNT={self.count.data}")
        return ";".join(parts)


class MoveForm(WhenMixin, FlaskForm):
    title = StringField(_l("Title"), validators=[Optional(), Length(max=200)])
    scope = RadioField(_l("Which occurrences"), choices=choices(BOOKING_SCOPES), default="this")
    override_notice = BooleanField(_l("Override the notice rule (recorded in the audit log)"))


class CancelForm(FlaskForm):
    scope = RadioField(_l("Which occurrences"), choices=choices(BOOKING_SCOPES), default="this")
    override_notice = BooleanField(_l("Override the notice rule (recorded in the audit log)"))


class RejectForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=200)])
