from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.labels import READER_FORMATS, choices
from bridge_protocol.badges import READER_FORMATS as FORMAT_CODES


class BadgeForm(FlaskForm):
    """Assign a badge. The view fills `member_id.choices` with the people the actor manages."""

    member_id = SelectField(_l("Member"), coerce=int, validators=[InputRequired()])
    uid = StringField(
        _l("Badge number"),
        validators=[DataRequired(), Length(max=64)],
        description=_l("Type it as printed on the card, or hold the card to a desk reader."),
    )
    reader_format = SelectField(
        _l("Number format"),
        choices=choices([(code, READER_FORMATS.get(code, code)) for code in FORMAT_CODES]),
        default="hex",
    )
    label = StringField(
        _l("Label"),
        validators=[Optional(), Length(max=80)],
        description=_l("Optional, e.g. 'blue key fob'."),
    )
    next = HiddenField()
