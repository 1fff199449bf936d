"""The building as the booking services see it: its time zone, its hours, its links."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo


class Facility:
    """What every booking operation needs to know about the building.

    `building_hours` may be given as a function: it is then read on first use, so a
    booking of a resource with opening hours of its own never reads the site settings.
    """

    __slots__ = ("_hours", "public_url", "site_name", "zone")

    def __init__(
        self,
        *,
        zone: ZoneInfo,
        building_hours: dict[str, Any] | Callable[[], dict[str, Any]],
        public_url: str = "",
        site_name: str = "",
    ) -> None:
        self.zone = zone
        self._hours = building_hours
        self.public_url = public_url
        self.site_name = site_name

    @property
    def building_hours(self) -> dict[str, Any]:
        hours = self._hours
        if callable(hours):
            hours = self._hours = hours()
        return hours
