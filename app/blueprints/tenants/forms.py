from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, DecimalField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, StopValidation

from app.labels import SECTORS, choices

SECTOR_CHOICES = choices(SECTORS)
# The quota plan's fields, one per resource kind.
QUOTA_FIELDS = {
    "room": ("quota_room", _l("Multipurpose room and other rooms (hours per month)")),
    "kitchen": ("quota_kitchen", _l("Kitchen (hours per month)")),
    "machine": ("quota_machine", _l("Fablab machines (hours per month)")),
}


def _finite(form: Any, field: Any) -> None:
    """NaN and infinities parse as decimals; they are not hours (and sNaN cannot be compared)."""
    if field.data is not None and not field.data.is_finite():
        raise StopValidation(str(_l("Give a number of hours from 0 to 744.")))


def _hours(label: Any) -> DecimalField:
    return DecimalField(
        label,
        places=None,
        validators=[Optional(), _finite, NumberRange(min=0, max=744)],
        render_kw={"min": 0, "max": 744, "step": "0.5", "inputmode": "decimal"},
    )


class TenantForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    slug = StringField(
        _l("Short name"),
        validators=[DataRequired(), Length(max=64)],
        description=_l("Lower-case letters, digits and hyphens; used in links and reports."),
    )
    sector = SelectField(_l("Sector"), choices=SECTOR_CHOICES, validators=[DataRequired()])
    contract_start = DateField(_l("Contract starts"), validators=[Optional()])
    contract_end = DateField(_l("Contract ends"), validators=[Optional()])
    public_opt_in = BooleanField(_l("Show the company's name on the public report"))
    enforce_quota = BooleanField(
        _l("Enforce a quota plan"),
        description=_l(
            "Off: the company books without any limit. On: each month it may book the "
            "hours included below; an empty field or 0 includes no hours of that kind."
        ),
    )
    quota_room = _hours(QUOTA_FIELDS["room"][1])
    quota_kitchen = _hours(QUOTA_FIELDS["kitchen"][1])
    quota_machine = _hours(QUOTA_FIELDS["machine"][1])
    allow_overage = BooleanField(
        _l("Allow bookings beyond the included hours (billed as overage)"),
        description=_l("Only matters when a quota plan is enforced."),
    )

    def quota_fields(self) -> list[Any]:
        return [self[name] for name, _label in QUOTA_FIELDS.values()]

    def quota_hours(self) -> dict[str, Decimal] | None:
        """The service's `quota_hours`: None when no plan is enforced, else every kind's hours."""
        if not self.enforce_quota.data:
            return None
        return {
            kind: self[name].data if self[name].data is not None else Decimal(0)
            for kind, (name, _label) in QUOTA_FIELDS.items()
        }


def quota_data(tenant: Any) -> dict[str, Any]:
    """What the edit form shows first: the tenant's plan as stored."""
    plan = tenant.quota_hours
    data: dict[str, Any] = {"enforce_quota": plan is not None}
    for kind, (name, _label) in QUOTA_FIELDS.items():
        data[name] = Decimal(str(plan[kind])) if plan and kind in plan else None
    return data
