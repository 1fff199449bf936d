import datetime as dt

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from app.labels import choices

EXPIRY_CHOICES = choices(
    [("30", _l("30 days")), ("90", _l("90 days")), ("365", _l("1 year")), ("never", _l("Never"))]
)


class ProfileForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    locale = SelectField(
        _l("Language"),
        choices=choices([("", _l("As my browser asks")), ("en", "English"), ("nl", "Nederlands")]),
    )


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(min=10, max=256)]
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(),
            EqualTo("new_password", message=_l("The two passwords differ.")),
        ],
    )


class TokenForm(FlaskForm):
    name = StringField(_l("What is the token for?"), validators=[DataRequired(), Length(max=80)])
    expires = SelectField(_l("Valid for"), choices=EXPIRY_CHOICES, default="90")

    def expiry(self, now: dt.datetime) -> dt.datetime | None:
        if self.expires.data == "never":
            return None
        return now + dt.timedelta(days=int(self.expires.data or "90"))


class NotificationForm(FlaskForm):
    notify_bookings = BooleanField(
        _l("E-mail me when my booking is approved, moved by someone else or released"),
        description=_l("Rejections and cancellations by someone else are always sent."),
    )
    notify_digest = BooleanField(_l("A daily e-mail listing the booking requests to approve"))
    notify_alerts = BooleanField(_l("Alerts: a door forced or held open, a device offline"))
