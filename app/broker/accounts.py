"""Applying an ``account`` outbox row to the broker (for the gateway).

The gateway takes pending ``account`` rows in id order and, for each::

    apply_account_row(dynsec, row, secret_key=app.config["SECRET_KEY"])
    row.done_at = now        # and commit

`apply_account_row` makes the change on the broker and wipes ``row.secret``;
the caller commits both with ``done_at`` in one transaction, so a sealed
password stays in the database only until the broker holds it. On an error
the row is left as it was (secret included) for the next attempt; a caller
that gives a row up for good should set ``row.secret = None`` too.
"""

from __future__ import annotations

from app.models import DeviceOutbox, OutboxKind
from app.models.device import AccountChange
from app.services.device_secrets import SecretUnreadable, open_secret
from bridge_protocol import topics

from .dynsec import DynsecClient, DynsecError, clear_retained


class AccountRowError(DynsecError):
    """The row cannot be applied as it is (not an account row, secret missing or unreadable)."""


def apply_account_row(dynsec: DynsecClient, row: DeviceOutbox, *, secret_key: str) -> None:
    device_id = row.device_id
    if (
        row.kind != OutboxKind.ACCOUNT
        or device_id is None
        or not topics.is_valid_device_id(device_id)
    ):
        raise AccountRowError(f"outbox row {row.id} is not an account row of a device")
    if row.reason == AccountChange.DELETE:
        dynsec.delete_device(device_id)
        clear_retained(dynsec.mqtt, device_id, timeout=dynsec.timeout)
    elif row.reason == AccountChange.UPSERT:
        if not row.secret:
            raise AccountRowError(
                f"outbox row {row.id} has no password left: rotate {row.device_id}'s credentials"
            )
        try:
            password = open_secret(row.secret, secret_key=secret_key)
        except SecretUnreadable as exc:
            raise AccountRowError(
                f"outbox row {row.id}: {exc}; rotate {row.device_id}'s credentials"
            ) from None
        dynsec.create_or_update_device(device_id, password)
    else:
        raise AccountRowError(f"outbox row {row.id} asks for {row.reason!r}, unknown")
    row.secret = None
