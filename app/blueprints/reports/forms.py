"""The report form: a period of whole days and a grouping, read from the query string."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField
from wtforms.validators import Optional

from app.labels import choices

GROUPINGS = {
    "tenant": _l("Company"),
    "resource": _l("Resource"),
    "member": _l("Member"),
    "sector": _l("Sector"),
}


class UsageForm(FlaskForm):
    """A GET form: it changes nothing, so it carries no CSRF token (like the audit filters)."""

    class Meta:
        csrf = False

    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To (included)"), validators=[Optional()])
    group_by = SelectField(
        _l("Per"), choices=choices(GROUPINGS), default="tenant", validate_choice=True
    )
    tenant = SelectField(_l("Company"), choices=choices([("", _l("All companies"))]), default="")
