from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from app.labels import choices
from app.web_forms import WeekHoursMixin

KINDS = {"door": _l("Door"), "machine": _l("Machine")}


class DeviceForm(FlaskForm):
    """Register a device. The view fills `resource.choices`."""

    id = StringField(
        _l("Device id"),
        validators=[DataRequired(), Length(max=32)],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        description=_l(
            "Also its MQTT username: 2 to 32 lower-case letters, digits and hyphens, "
            "e.g. door-main or laser-1. It never changes."
        ),
    )
    kind = SelectField(_l("Kind"), choices=choices(list(KINDS.items())), default="door")
    resource = SelectField(
        _l("Resource"),
        choices=[],
        validate_choice=False,
        description=_l("What it guards. A machine needs one; the building's entrance has none."),
    )
    label = StringField(
        _l("Label"),
        validators=[Optional(), Length(max=120)],
        description=_l("Optional, e.g. 'front door'."),
    )


class DeviceEditForm(WeekHoursMixin, FlaskForm):
    """Change a device; the unlock schedule applies to doors only."""

    resource = SelectField(_l("Resource"), choices=[], validate_choice=False)
    label = StringField(_l("Label"), validators=[Optional(), Length(max=120)])
