import datetime as dt
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField
from wtforms.validators import DataRequired, InputRequired, Optional


class GrantForm(FlaskForm):
    """Record a training. The view fills the member and resource choices."""

    member_id = SelectField(_l("Member"), coerce=int, validators=[InputRequired()])
    resource = SelectField(_l("Resource"), validators=[DataRequired()])
    expires_at = DateField(
        _l("Valid until"),
        validators=[Optional()],
        description=_l("Optional: the training ends after this day. Leave empty for no end date."),
    )
    next = HiddenField()

    def expiry(self, zone: str) -> dt.datetime | None:
        """The end of the chosen day in the facility's time zone, as a UTC instant."""
        day = self.expires_at.data
        if day is None:
            return None
        end = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=ZoneInfo(zone))
        return end.astimezone(dt.UTC)
