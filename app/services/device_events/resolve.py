"""Who and where an event concerns: member, tenant and resource, resolved at ingest.

The gateway's decision snapshot answers most questions from memory; anything it
does not know (a member added since it was taken) is read from the database.
A member id a device sends is kept only if the member exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app.extensions import db
from app.models import Badge, Device, Member

from ..access.snapshot import AccessSnapshot


@dataclass(frozen=True)
class Subject:
    member_id: int | None = None
    tenant_id: int | None = None


NOBODY = Subject()


class Resolver:
    def __init__(self, snapshot: AccessSnapshot | None = None) -> None:
        self._snapshot = snapshot

    def resource_of(self, device_id: str) -> int | None:
        if self._snapshot is not None and device_id in self._snapshot.devices:
            return self._snapshot.devices[device_id].resource_id
        device = db.session.get(Device, device_id)
        return device.resource_id if device is not None else None

    def device_known(self, device_id: str) -> bool:
        if self._snapshot is not None and device_id in self._snapshot.devices:
            return True
        return db.session.get(Device, device_id) is not None

    def subject(self, member_id: int | None, badge_uid: str | None) -> Subject:
        """The member named by the device if it exists, else the badge's holder."""
        if member_id is not None:
            found = self._member(member_id)
            if found is not None:
                return found
        if badge_uid is not None:
            holder = self._badge_holder(badge_uid)
            if holder is not None:
                return self._member(holder) or NOBODY
        return NOBODY

    def _member(self, member_id: int) -> Subject | None:
        if self._snapshot is not None and member_id in self._snapshot.members:
            return Subject(member_id, self._snapshot.members[member_id].tenant_id)
        member = db.session.get(Member, member_id)
        return Subject(member.id, member.tenant_id) if member is not None else None

    def _badge_holder(self, uid: str) -> int | None:
        if self._snapshot is not None and uid in self._snapshot.badges:
            return self._snapshot.badges[uid][0]
        return db.session.scalar(
            select(Badge.member_id).where(Badge.uid == uid).order_by(Badge.active.desc()).limit(1)
        )
