from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from app.web_forms import WeekHoursMixin


class SiteForm(WeekHoursMixin, FlaskForm):
    name = StringField(_l("Building name"), validators=[DataRequired(), Length(max=120)])


class AuditFilterForm(FlaskForm):
    """The audit log's filters, read from the query string."""

    class Meta:
        csrf = False

    action = StringField(
        _l("Action starts with"),
        validators=[
            Optional(),
            Length(max=64),
            Regexp(r"^[a-z_.]+$", message=_l("Use lower-case letters, '_' and '.' only.")),
        ],
        render_kw={"placeholder": "member."},
    )
    object_type = StringField(
        _l("Object type"),
        validators=[
            Optional(),
            Length(max=32),
            Regexp(r"^[a-z_]+$", message=_l("Use lower-case letters and '_' only.")),
        ],
        render_kw={"placeholder": "badge", "list": "object-types"},
    )
