from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional


class ScanForm(FlaskForm):
    """A badge presented to a simulated Pi. The view fills the choices."""

    device = SelectField(_l("Simulated device"), choices=[], validators=[DataRequired()])
    badge = SelectField(_l("Demo badge"), choices=[], validate_choice=False)
    other = StringField(
        _l("Or type a badge number"),
        validators=[Optional(), Length(max=64)],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        description=_l("Hexadecimal, as printed on the card, e.g. 04:A2:2B:1C."),
    )
