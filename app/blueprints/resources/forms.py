from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NoneOf, Optional

from app.labels import PRIVACY, RESOURCE_KINDS, RESOURCE_STATUSES, choices
from app.web_forms import WeekHoursMixin, week_to_form

# Whole-number fields of `app.services.resources.FIELDS`, with their labels and defaults.
MINUTES = {
    "min_minutes": (_l("Shortest booking (minutes)"), 30),
    "max_minutes": (_l("Longest booking (minutes)"), 480),
    "slot_minutes": (_l("Bookings start every (minutes)"), 30),
    "lead_minutes": (_l("Book at least this long ahead (minutes)"), 0),
    "horizon_days": (_l("Book at most this far ahead (days)"), 90),
    "change_notice_minutes": (_l("Changes and cancellations up to (minutes before)"), 0),
    "buffer_before_minutes": (_l("Free time before each booking (minutes)"), 0),
    "buffer_after_minutes": (_l("Free time after each booking (minutes)"), 0),
    "checkin_window_minutes": (_l("Check-in window (minutes)"), 15),
}
FLAGS = {
    "bookable": _l("Can be booked"),
    "approval_required": _l("A manager approves each booking"),
    "training_required": _l("Only trained members may use it"),
    "booking_required_for_use": _l("Usable only during one's own booking"),
    "checkin_required": _l("Bookings must be checked in, or they are released"),
}


def _whole(label: Any, default: int) -> IntegerField:
    return IntegerField(label, validators=[InputRequired()], default=default)


class ResourceForm(WeekHoursMixin, FlaskForm):
    """Every field of `app.services.resources.FIELDS`, plus slug (on create) and parent."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    slug = StringField(
        _l("Short name"),
        validators=[
            DataRequired(),
            Length(max=64),
            NoneOf(["new"], message=_l("This short name is reserved.")),
        ],
        description=_l(
            "Lower-case letters, digits and hyphens; used in links. Cannot change later."
        ),
    )
    kind = SelectField(_l("Kind"), choices=choices(RESOURCE_KINDS))
    parent = SelectField(
        _l("Part of"),
        default="",
        description=_l("A machine belongs to the Fablab; booking the Fablab books its machines."),
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    status = SelectField(_l("Status"), choices=choices(RESOURCE_STATUSES), default="available")
    privacy = SelectField(
        _l("What others see of a booking"), choices=choices(PRIVACY), default="busy_only"
    )
    bookable = BooleanField(FLAGS["bookable"], default=True)
    approval_required = BooleanField(FLAGS["approval_required"])
    training_required = BooleanField(FLAGS["training_required"])
    booking_required_for_use = BooleanField(FLAGS["booking_required_for_use"])
    checkin_required = BooleanField(FLAGS["checkin_required"])
    min_minutes = _whole(*MINUTES["min_minutes"])
    max_minutes = _whole(*MINUTES["max_minutes"])
    slot_minutes = _whole(*MINUTES["slot_minutes"])
    lead_minutes = _whole(*MINUTES["lead_minutes"])
    horizon_days = _whole(*MINUTES["horizon_days"])
    change_notice_minutes = _whole(*MINUTES["change_notice_minutes"])
    buffer_before_minutes = _whole(*MINUTES["buffer_before_minutes"])
    buffer_after_minutes = _whole(*MINUTES["buffer_after_minutes"])
    checkin_window_minutes = _whole(*MINUTES["checkin_window_minutes"])
    hourly_rate = StringField(
        _l("Hourly rate (EUR)"), validators=[InputRequired(), Length(max=20)], default="0.00"
    )
    qualification_valid_days = IntegerField(
        _l("A training lapses after this many days without use"),
        validators=[Optional()],
        description=_l("Leave empty: trainings do not lapse."),
    )

    def values(self) -> dict[str, Any]:
        """The service's `values`: text as typed; the service checks every field."""
        values: dict[str, Any] = {
            "name": self.name.data or "",
            "description": self.description.data or "",
            "kind": self.kind.data,
            "status": self.status.data,
            "privacy": self.privacy.data,
            "hourly_rate": (self.hourly_rate.data or "").strip().replace(",", "."),
            "qualification_valid_days": self.qualification_valid_days.data,
            "opening_hours": self.week() if self.has_hours() else None,
        }
        values.update({name: bool(self[name].data) for name in FLAGS})
        values.update({name: self[name].data for name in MINUTES})
        return values

    def minute_fields(self) -> list[Any]:
        return [self[name] for name in MINUTES]

    def flag_fields(self) -> list[Any]:
        return [self[name] for name in FLAGS]


def resource_data(resource: Any) -> dict[str, Any]:
    """What the edit form shows first: the resource as stored."""
    data = {name: getattr(resource, name) for name in (*MINUTES, *FLAGS)}
    data.update(
        name=resource.name,
        description=resource.description,
        kind=resource.kind.value,
        status=resource.status.value,
        privacy=resource.privacy.value,
        hourly_rate=str(resource.hourly_rate),
        qualification_valid_days=resource.qualification_valid_days,
        parent=resource.parent.slug if resource.parent else "",
        **week_to_form(resource.opening_hours),
    )
    return data
