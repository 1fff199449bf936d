from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# Opening intervals per weekday as "HH:MM" pairs, in the facility's time zone.
DEFAULT_BUILDING_HOURS: dict[str, list[list[str]]] = {
    "mon": [["07:00", "22:00"]],
    "tue": [["07:00", "22:00"]],
    "wed": [["07:00", "22:00"]],
    "thu": [["07:00", "22:00"]],
    "fri": [["07:00", "22:00"]],
    "sat": [["09:00", "17:00"]],
    "sun": [],
}


class SiteSettings(Base):
    """The building's own settings: a single row."""

    __tablename__ = "site_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), default="Makers Incubator")
    building_hours: Mapped[dict[str, Any]] = mapped_column(
        JSON, default=lambda: {k: [list(i) for i in v] for k, v in DEFAULT_BUILDING_HOURS.items()}
    )
