"""The data model. Importing this package registers every table on `Base.metadata`."""

from .alert import AlertKind, DeviceAlert
from .audit import AuditLog
from .badge import Badge
from .base import Base, utcnow
from .booking import Booking, BookingClaim, BookingSeries, Closure
from .calendar import CalendarScope, CalendarSource, CalendarToken
from .device import (
    AccessEvent,
    CommandState,
    Device,
    DeviceCommand,
    DeviceKind,
    DeviceOutbox,
    OutboxKind,
    QuarantinedEvent,
    UsageSession,
)
from .enums import (
    HOLDING_STATUSES,
    LOCALES,
    BookingStatus,
    LinkPurpose,
    Privacy,
    ResourceKind,
    ResourceStatus,
    Role,
    Sector,
    TenantStatus,
)
from .member import Member
from .qualification import Qualification
from .report import DoorTotal, UsageChange, UsageTotal, UsageTotalDay, UsageTotalState
from .resource import Resource
from .site import DEFAULT_BUILDING_HOURS, WEEKDAYS, SiteSettings
from .system import JobLease, JobRun, OutgoingMail
from .tenant import Tenant
from .tokens import ApiToken, LoginLink

__all__ = [
    "DEFAULT_BUILDING_HOURS",
    "HOLDING_STATUSES",
    "LOCALES",
    "WEEKDAYS",
    "AccessEvent",
    "AlertKind",
    "ApiToken",
    "AuditLog",
    "Badge",
    "Base",
    "Booking",
    "BookingClaim",
    "BookingSeries",
    "BookingStatus",
    "CalendarScope",
    "CalendarSource",
    "CalendarToken",
    "Closure",
    "CommandState",
    "Device",
    "DeviceAlert",
    "DeviceCommand",
    "DeviceKind",
    "DeviceOutbox",
    "DoorTotal",
    "JobLease",
    "JobRun",
    "LinkPurpose",
    "LoginLink",
    "Member",
    "OutboxKind",
    "OutgoingMail",
    "Privacy",
    "Qualification",
    "QuarantinedEvent",
    "Resource",
    "ResourceKind",
    "ResourceStatus",
    "Role",
    "Sector",
    "SiteSettings",
    "Tenant",
    "TenantStatus",
    "UsageChange",
    "UsageSession",
    "UsageTotal",
    "UsageTotalDay",
    "UsageTotalState",
    "utcnow",
]
