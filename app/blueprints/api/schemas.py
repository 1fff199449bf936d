"""The API's request and response models: they validate, shape and document (OpenAPI).

Request models are strict (JSON types only: no number given as a string, no
string given as a number) and refuse unknown fields. They check types and
lengths; the services check meaning (formats, uniqueness, permissions), so the
pages and the API share one set of rules.

Response models read ORM objects (`from_attributes`) and list every field a
client may see: never a password hash, token hash or session nonce.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from app.models import Privacy, ResourceKind, ResourceStatus, Role, Sector, TenantStatus
from app.services.errors import N_
from app.services.validation import SLUG_RE
from bridge_protocol.badges import ReaderFormat

MAX_ID = 2**31 - 1
SLUG_PATTERN = SLUG_RE.pattern

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Slug = Annotated[str, Field(max_length=64, pattern=SLUG_PATTERN)]
Name = Annotated[str, Field(max_length=120)]
Email = Annotated[str, Field(max_length=254)]
Locale = Literal["en", "nl"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
OpeningHours = Annotated[
    dict[Weekday, list[list[str]]],
    Field(
        description="Intervals per weekday in facility-local time, "
        'e.g. {"mon": [["08:00", "18:00"]]}; null: the building\'s hours apply.'
    ),
]
Moment = Annotated[
    dt.datetime,
    Field(
        description="ISO-8601. With an offset it is that instant; without one it is "
        "facility-local time (the site's time zone)."
    ),
]


# The default of a PATCH field that may not be null: absent means "leave it"; an
# explicit null is refused by the field's type. (Typed Any for the type checker.)
ABSENT: Any = None
Instant = Annotated[
    dt.datetime,
    AfterValidator(lambda moment: moment.astimezone(dt.UTC)),  # the database's are UTC already
    Field(description="In UTC: ISO-8601 with the offset Z."),
]


def _drop_null_defaults(schema: dict[str, Any]) -> None:
    """In PATCH bodies an absent field means "leave it": hide pydantic's `default: null`."""
    for prop in schema.get("properties", {}).values():
        if prop.get("default", "x") is None:
            del prop["default"]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    def given(self) -> dict[str, Any]:
        """The fields the client sent, with their validated values."""
        return {name: getattr(self, name) for name in self.model_fields_set}


class PatchBody(Body):
    model_config = ConfigDict(json_schema_extra=_drop_null_defaults)


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# -- errors --------------------------------------------------------------------


class ConflictInterval(BaseModel):
    start: dt.datetime
    end: dt.datetime


class Error(BaseModel):
    """The one error shape of the whole API."""

    error: str = Field(description="A stable code: invalid, not_found, forbidden, conflict, ...")
    message: str = Field(description="A sentence for people, in the request's language.")
    fields: dict[str, str] | None = Field(
        default=None, description="Which body or query fields are wrong, and why (422 only)."
    )
    rule: str | None = Field(default=None, description="The business rule that refused it.")
    conflicts: list[ConflictInterval] | None = Field(
        default=None, description="The periods that clash (booking conflicts only)."
    )


# -- pagination ----------------------------------------------------------------

ItemT = TypeVar("ItemT")


class PageOf(BaseModel, Generic[ItemT]):
    items: list[ItemT]
    page: int = Field(description="This page's number, from 1.")
    per_page: int = Field(description="The page size used.")
    total: int = Field(description="How many items all pages hold together.")
    pages: int = Field(description="How many pages there are (at least 1).")


class ListQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    page: int = Field(default=1, ge=1, le=100_000, description="Page number, from 1.")
    per_page: int | None = Field(
        default=None,
        ge=1,
        description="Items per page (default 50); larger values are capped at the "
        "server's maximum (API_MAX_PAGE_SIZE, 200 unless configured).",
    )


# -- tenants -------------------------------------------------------------------

QuotaPlan = Annotated[
    dict[ResourceKind, Annotated[float, Field(ge=0, le=744)]],
    Field(
        description="The quota plan: included hours per month per resource kind, e.g. "
        '{"room": 8, "kitchen": 10} (a kind left out includes no hours); null: no quota.'
    ),
]


class TenantCreate(Body):
    name: Name
    slug: Slug
    sector: Sector
    contract_start: dt.date | None = None
    contract_end: dt.date | None = None
    public_opt_in: bool = False
    quota_hours: QuotaPlan | None = None
    allow_overage: bool = Field(
        default=False, description="Bookings may go past the included hours (billed as overage)."
    )


class TenantUpdate(PatchBody):
    name: Name = Field(default=ABSENT)
    slug: Slug = Field(default=ABSENT)
    sector: Sector = Field(default=ABSENT)
    contract_start: dt.date | None = None
    contract_end: dt.date | None = None
    public_opt_in: bool = Field(default=ABSENT)
    quota_hours: QuotaPlan | None = None
    allow_overage: bool = Field(default=ABSENT)
    active: bool = Field(
        default=ABSENT, description="false deactivates (its members' logins and tokens end)."
    )


class TenantOut(Out):
    id: int
    name: str
    slug: str
    sector: Sector
    status: TenantStatus
    contract_start: dt.date | None
    contract_end: dt.date | None
    public_opt_in: bool
    quota_hours: dict[str, float] | None = Field(
        description="Included hours per month per resource kind; null: no quota."
    )
    allow_overage: bool
    deactivated_at: Instant | None
    created_at: Instant
    updated_at: Instant


class TenantPage(PageOf[TenantOut]):
    pass


class TenantListQuery(ListQuery):
    include_inactive: bool = Field(default=False, description="Also list deactivated tenants.")


# -- members -------------------------------------------------------------------


class MemberCreate(Body):
    email: Email
    name: Name
    role: Role = Field(description="Tenant admins may give only member and tenant_admin.")
    tenant_id: Id | None = Field(
        default=None,
        description="Required for tenant roles when a manager adds the member; "
        "a tenant admin's own tenant otherwise; null for managers.",
    )
    password: str | None = Field(
        default=None,
        max_length=256,
        description="At least 10 characters. Without it the member gets an invitation e-mail.",
    )
    locale: Locale | None = None


class MemberUpdate(PatchBody):
    email: Email = Field(default=ABSENT)
    name: Name = Field(default=ABSENT)
    role: Role = Field(default=ABSENT)
    locale: Locale | None = None
    active: bool = Field(
        default=ABSENT, description="false deactivates: logins, tokens and badges end."
    )


class MemberOut(Out):
    id: int
    email: str
    name: str
    role: Role
    tenant_id: int | None
    locale: str | None
    active: bool
    deactivated_at: Instant | None
    created_at: Instant
    updated_at: Instant


class MemberPage(PageOf[MemberOut]):
    pass


class MemberListQuery(ListQuery):
    tenant_id: Id | None = Field(default=None, description="Only this tenant's members.")
    include_inactive: bool = Field(default=False, description="Also list deactivated members.")
    search: str = Field(default="", max_length=100, description="Part of a name or e-mail.")

    @field_validator("search")
    @classmethod
    def _printable(cls, value: str) -> str:
        if not value.isprintable():
            raise ValueError(N_("This contains invisible or control characters."))
        return value


# -- resources -----------------------------------------------------------------


class ResourceFields(Body):
    """The editable fields of a resource; see app.services.resources.FIELDS for the ranges."""

    description: str = Field(default=ABSENT, max_length=2000)
    status: ResourceStatus = Field(default=ABSENT)
    privacy: Privacy = Field(default=ABSENT)
    bookable: bool = Field(default=ABSENT)
    min_minutes: int = Field(default=ABSENT)
    max_minutes: int = Field(default=ABSENT)
    slot_minutes: int = Field(default=ABSENT)
    lead_minutes: int = Field(default=ABSENT)
    horizon_days: int = Field(default=ABSENT)
    change_notice_minutes: int = Field(default=ABSENT)
    buffer_before_minutes: int = Field(default=ABSENT)
    buffer_after_minutes: int = Field(default=ABSENT)
    approval_required: bool = Field(default=ABSENT)
    training_required: bool = Field(default=ABSENT)
    booking_required_for_use: bool = Field(default=ABSENT)
    checkin_required: bool = Field(default=ABSENT)
    checkin_window_minutes: int = Field(default=ABSENT)
    hourly_rate: Decimal = Field(
        default=ABSENT, description='Euro per hour, as a number or a string such as "12.50".'
    )
    opening_hours: OpeningHours | None = None
    qualification_valid_days: int | None = Field(
        default=None, description="Days a qualification lasts without use; null: no expiry."
    )
    parent: Slug | None = Field(
        default=None, description="The slug of the room that holds it (a machine in the Fablab)."
    )


class ResourceCreate(ResourceFields):
    model_config = ConfigDict(json_schema_extra=_drop_null_defaults)

    slug: Slug
    name: Name
    kind: ResourceKind


class ResourceUpdate(ResourceFields):
    model_config = ConfigDict(json_schema_extra=_drop_null_defaults)

    name: Name = Field(default=ABSENT)
    kind: ResourceKind = Field(default=ABSENT)
    active: bool = Field(default=ABSENT, description="false deactivates, true reactivates.")


class ResourceOut(Out):
    id: int
    slug: str
    name: str
    description: str
    kind: ResourceKind
    parent: str | None = Field(description="The parent resource's slug.")
    status: ResourceStatus
    active: bool
    deactivated_at: Instant | None
    bookable: bool
    min_minutes: int
    max_minutes: int
    slot_minutes: int
    lead_minutes: int
    horizon_days: int
    change_notice_minutes: int
    buffer_before_minutes: int
    buffer_after_minutes: int
    approval_required: bool
    training_required: bool
    booking_required_for_use: bool
    checkin_required: bool
    checkin_window_minutes: int
    opening_hours: dict[str, list[list[str]]] | None
    privacy: Privacy
    hourly_rate: Decimal = Field(description="Euro per hour, as a string with two decimals.")
    qualification_valid_days: int | None
    created_at: Instant
    updated_at: Instant

    @field_validator("parent", mode="before")
    @classmethod
    def _parent_slug(cls, value: Any) -> Any:
        return getattr(value, "slug", value)


class ResourcePage(PageOf[ResourceOut]):
    pass


class ResourceListQuery(ListQuery):
    kind: ResourceKind | None = Field(default=None, description="Only this kind.")
    include_inactive: bool = Field(
        default=False, description="Also list deactivated resources (managers only)."
    )


# -- badges --------------------------------------------------------------------


class BadgeCreate(Body):
    uid: str = Field(max_length=64, description="The badge number as printed or read.")
    member_id: Id
    label: str = Field(default="", max_length=80)
    reader_format: ReaderFormat = Field(
        default="hex", description="How `uid` is written; the server stores the canonical hex."
    )


class BadgeOut(Out):
    id: int
    uid: str = Field(description="Canonical form: upper-case hex of the UID bytes.")
    member_id: int
    label: str
    active: bool
    issued_at: Instant
    revoked_at: Instant | None


class BadgePage(PageOf[BadgeOut]):
    pass


class BadgeListQuery(ListQuery):
    member_id: Id | None = Field(default=None, description="Only this member's badges.")
    include_revoked: bool = Field(default=False, description="Also list revoked badges.")


# -- qualifications ------------------------------------------------------------


class QualificationCreate(Body):
    member_id: Id
    resource: Slug = Field(description="The resource's slug.")
    expires_at: Moment | None = Field(default=None, description="Null: no fixed expiry.")


class QualificationOut(Out):
    id: int
    member_id: int
    resource: str = Field(description="The resource's slug.")
    resource_id: int
    granted_by_id: int | None
    granted_at: Instant
    expires_at: Instant | None
    revoked_at: Instant | None
    last_used_at: Instant | None

    @field_validator("resource", mode="before")
    @classmethod
    def _resource_slug(cls, value: Any) -> Any:
        return getattr(value, "slug", value)


class QualificationPage(PageOf[QualificationOut]):
    pass


class QualificationListQuery(ListQuery):
    member_id: Id | None = Field(default=None, description="Only this member's qualifications.")
    resource: Slug | None = Field(default=None, description="Only this resource's (its slug).")
    include_revoked: bool = Field(default=False, description="Also list revoked ones.")
