"""Form pieces that several page blueprints share (blueprints may not import each other)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import Length, ValidationError

from app.models import WEEKDAYS
from app.services.hours import check_opening_hours, format_day_text, parse_day_text

DAY_LABELS = {
    "mon": _l("Monday"),
    "tue": _l("Tuesday"),
    "wed": _l("Wednesday"),
    "thu": _l("Thursday"),
    "fri": _l("Friday"),
    "sat": _l("Saturday"),
    "sun": _l("Sunday"),
}


class DayHoursField(StringField):
    """One weekday's opening hours typed as "08:00-12:00, 13:00-17:00"; empty means closed."""

    def __init__(self, label: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("validators", [Length(max=200)])
        super().__init__(label, **kwargs)

    def intervals(self) -> list[list[str]]:
        return parse_day_text(self.data or "")

    def pre_validate(self, form: Any) -> None:
        try:
            intervals = self.intervals()
        except ValueError as exc:
            raise ValidationError(
                gettext("Write each interval as 08:00-12:00, separated by commas.")
            ) from exc
        error = check_opening_hours({"mon": intervals})
        if error:
            raise ValidationError(gettext(error))


class WeekHoursMixin:
    """Seven day fields for a form class: mix it into a FlaskForm."""

    hours_mon = DayHoursField(DAY_LABELS["mon"])
    hours_tue = DayHoursField(DAY_LABELS["tue"])
    hours_wed = DayHoursField(DAY_LABELS["wed"])
    hours_thu = DayHoursField(DAY_LABELS["thu"])
    hours_fri = DayHoursField(DAY_LABELS["fri"])
    hours_sat = DayHoursField(DAY_LABELS["sat"])
    hours_sun = DayHoursField(DAY_LABELS["sun"])

    def day_fields(self) -> list[DayHoursField]:
        return [getattr(self, f"hours_{day}") for day in WEEKDAYS]

    def week(self) -> dict[str, list[list[str]]]:
        """The typed hours per weekday; call it only after the form validated."""
        return {day: getattr(self, f"hours_{day}").intervals() for day in WEEKDAYS}

    def has_hours(self) -> bool:
        return any((field.data or "").strip() for field in self.day_fields())


def week_to_form(hours: dict[str, Any] | None) -> dict[str, str]:
    """Keyword arguments that fill a form's day fields from stored hours."""
    hours = hours or {}
    return {f"hours_{day}": format_day_text(hours.get(day) or []) for day in WEEKDAYS}
