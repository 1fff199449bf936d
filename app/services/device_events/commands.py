"""Remote commands on the gateway's side: the signed body, and the states a command goes through.

queued (the web wrote it) -> sent (the gateway published it) -> acked | refused
(the device answered, on ``up/cmdack`` or as a ``cmd.executed`` event), or
expired (no answer before ``expires_at``). A command is never sent twice: the
gateway records ``sent`` before it publishes.
"""

from __future__ import annotations

import datetime as dt
import secrets
from enum import StrEnum

from pydantic import TypeAdapter
from sqlalchemy import or_, select

from app.extensions import db
from app.models import CommandState, DeviceCommand
from bridge_protocol.commands import Action, Command
from bridge_protocol.limits import MAX_COMMAND_TTL_MS
from bridge_protocol.wire import to_ms

_ACTION: TypeAdapter[Action] = TypeAdapter(Action)
#: how long after its expiry a sent command may still be answered before it counts as expired
ANSWER_GRACE = dt.timedelta(seconds=10)  # as app.services.device_commands.ACK_GRACE
_OPEN = (CommandState.QUEUED, CommandState.SENT)


class CommandOutcome(StrEnum):
    UPDATED = "updated"
    UNKNOWN = "unknown_command"
    ALREADY_ANSWERED = "already_answered"


class CommandNotSendable(ValueError):
    """The stored command cannot become a valid signed body (bad arguments, expired)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def command_body(command: DeviceCommand, *, now_ms: int) -> Command:
    """The body to sign for `command`: a fresh nonce, ``exp`` at its expiry (at most 5 min)."""
    exp = min(to_ms(command.expires_at), now_ms + MAX_COMMAND_TTL_MS)
    if exp <= now_ms:
        raise CommandNotSendable("expired")
    try:
        action = _ACTION.validate_python({"name": command.command, **(command.args or {})})
        return Command(
            dev=command.device_id,
            iat=now_ms,
            exp=exp,
            nonce=secrets.token_urlsafe(24),
            cid=command.id,
            command=action,
        )
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise CommandNotSendable("invalid") from exc


def mark_sent(command: DeviceCommand, *, now: dt.datetime) -> None:
    command.state = CommandState.SENT
    command.sent_at = now


def mark_unsent(command: DeviceCommand) -> None:
    """The publish failed after `mark_sent`: queued again, for the next attempt."""
    command.state = CommandState.QUEUED
    command.sent_at = None


def settle(
    command: DeviceCommand, state: CommandState, *, reason: str | None, now: dt.datetime
) -> None:
    command.state = state
    command.reason = reason[:60] if reason else None
    if state is not CommandState.EXPIRED:
        command.answered_at = now


def record_result(
    *, device_id: str, cid: str, result: str, reason: str | None, now: dt.datetime
) -> CommandOutcome:
    """The device's answer to command `cid` (an ack, or a ``cmd.executed`` event).

    An answer after the gateway gave up (``expired``) still wins: it is what happened.
    """
    command = db.session.get(DeviceCommand, cid)
    if command is None or command.device_id != device_id:
        return CommandOutcome.UNKNOWN
    if command.state in (CommandState.ACKED, CommandState.REFUSED):
        return CommandOutcome.ALREADY_ANSWERED
    state = CommandState.ACKED if result == "executed" else CommandState.REFUSED
    settle(command, state, reason=reason if state is CommandState.REFUSED else None, now=now)
    return CommandOutcome.UPDATED


def expire_commands(*, now: dt.datetime) -> int:
    """Queued commands past their expiry, and sent ones unanswered a little after it."""
    rows = db.session.scalars(
        select(DeviceCommand)
        .where(
            DeviceCommand.state.in_(_OPEN),
            or_(
                (DeviceCommand.state == CommandState.QUEUED) & (DeviceCommand.expires_at <= now),
                DeviceCommand.expires_at <= now - ANSWER_GRACE,
            ),
        )
        .order_by(DeviceCommand.id)
        .with_for_update(skip_locked=True)  # one the ingest worker is settling waits a pass
    )
    expired = 0
    for command in rows:
        settle(command, CommandState.EXPIRED, reason=None, now=now)
        expired += 1
    return expired
