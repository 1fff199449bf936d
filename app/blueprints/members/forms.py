from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from app.labels import LANGUAGES, choices

NO_TENANT = 0  # the tenant choice of staff accounts


class MemberForm(FlaskForm):
    """Edit a member. The view fills `role.choices` with the roles the actor may give."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])
    role = SelectField(_l("Role"), validators=[DataRequired()], default="member")
    locale = SelectField(_l("Language"), choices=choices(LANGUAGES), default="")


class NewMemberForm(MemberForm):
    """Add a member. The view drops `tenant_id` for tenant admins (always their own tenant)."""

    tenant_id = SelectField(_l("Tenant"), coerce=int, default=NO_TENANT)
    password = PasswordField(
        _l("Password"),
        validators=[Optional(), Length(max=256)],
        description=_l(
            "Leave empty to send an invitation e-mail with a link to choose a password."
        ),
    )

    def chosen_tenant(self) -> int | None:
        if "tenant_id" not in self or self.tenant_id.data == NO_TENANT:
            return None
        return int(self.tenant_id.data)
