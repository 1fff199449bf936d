"""Closed vocabularies shared by models, forms and the API."""

from enum import StrEnum


class Role(StrEnum):
    MANAGER = "manager"
    TENANT_ADMIN = "tenant_admin"
    MEMBER = "member"


class Sector(StrEnum):
    TRADITIONAL = "traditional"
    CREATIVE = "creative"
    TECH = "tech"
    KNOWLEDGE = "knowledge"
    OTHER = "other"


class TenantStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"


class ResourceKind(StrEnum):
    ROOM = "room"
    MACHINE = "machine"
    KITCHEN = "kitchen"


class ResourceStatus(StrEnum):
    AVAILABLE = "available"
    MAINTENANCE = "maintenance"
    DISABLED = "disabled"
    LOCKED_OUT = "locked_out"


class Privacy(StrEnum):
    BUSY_ONLY = "busy_only"
    COMPANY = "company"
    COMPANY_AND_MEMBER = "company_and_member"


class LinkPurpose(StrEnum):
    INVITE = "invite"
    RESET = "reset"


LOCALES = ("en", "nl")


class BookingStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    NO_SHOW = "no_show"


# Bookings in these states hold their slot (they have BookingClaim rows).
HOLDING_STATUSES = (BookingStatus.PENDING, BookingStatus.CONFIRMED)
