from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from app.labels import SECTORS, choices

SECTOR_CHOICES = choices(SECTORS)


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
