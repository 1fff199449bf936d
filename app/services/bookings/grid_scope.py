"""What the week grid shows: which facility (a top-level resource and its machines), which week."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from app.models import Resource

from ..errors import N_, ValidationFailed
from .queries import bookable_resources

WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")
YEARS_AHEAD = 5


@dataclass(frozen=True)
class FacilityGroup:
    slug: str
    name: str
    resources: list[Resource]  # the top-level resource (when bookable) first, then children


def facility_groups() -> list[FacilityGroup]:
    """Every facility with at least one bookable resource, in the resources' order."""
    groups: dict[int, list[Resource]] = {}
    roots: dict[int, Resource] = {}
    for resource in bookable_resources():
        root = resource.parent if resource.parent is not None else resource
        roots[root.id] = root
        groups.setdefault(root.id, []).append(resource)
    return [
        FacilityGroup(slug=roots[key].slug, name=roots[key].name, resources=members)
        for key, members in groups.items()
    ]


def find_group(slug: str | None, groups: list[FacilityGroup]) -> FacilityGroup | None:
    if not slug:
        return groups[0] if groups else None
    return next((g for g in groups if g.slug == slug), None)


def week_monday(*, week: str | None, date: str | None, today: dt.date) -> dt.date:
    """The Monday of `week` (2026-W49) or of `date` (2026-12-02), else of `today`."""
    if len(week or "") > 20 or len(date or "") > 20:
        raise ValidationFailed({"week": N_("Give a week such as 2026-W49.")})
    if week:
        match = WEEK_RE.fullmatch(week.strip())
        if not match:
            raise ValidationFailed({"week": N_("Give a week such as 2026-W49.")})
        try:
            day = dt.date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
        except ValueError:
            raise ValidationFailed({"week": N_("This week does not exist.")}) from None
    elif date:
        try:
            day = dt.date.fromisoformat(date.strip())
        except ValueError:
            raise ValidationFailed({"week": N_("Give a date such as 2026-12-02.")}) from None
    else:
        day = today
    if not 2000 <= day.year <= today.year + YEARS_AHEAD:
        raise ValidationFailed({"week": N_("This date is out of range.")})
    return day - dt.timedelta(days=day.weekday())


def iso_week(day: dt.date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"
