"""Remote commands (``down/cmd``): check, execute, acknowledge.

A command is acted on only if it is not a retained message, its signature
verifies with a configured key, its ``dev`` is this device, the wall clock is
synchronised and ``now < exp``, and its ``nonce`` has not been seen (nonces are
stored until ``exp``, before the command runs). Every command that can be
read gets a ``cmdack`` (``executed`` or ``refused`` with a reason) and a
``cmd.executed`` event. Refusal codes: `bridge_protocol.reasons.CommandRefusal`.

The actions themselves belong to the controllers, reached through `CommandTarget`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, ValidationError

from bridge_protocol import topics
from bridge_protocol.codec import dump
from bridge_protocol.commands import Command, CommandAck, Lockout, PowerOff, Resync, Unlock
from bridge_protocol.errors import ForeignDevice, InvalidMessage, ProtocolError
from bridge_protocol.events import CmdExecuted
from bridge_protocol.limits import MAX_COMMAND_BYTES
from bridge_protocol.reasons import CommandRefusal
from bridge_protocol.signing import SignedEnvelope, Verifier
from bridge_protocol.wire import Uuid
from firmware_bridge.clock import Clock
from firmware_bridge.events import EventRecorder
from firmware_bridge.ports import Link
from firmware_bridge.store import NonceTable

logger = logging.getLogger(__name__)

RETAINED = CommandRefusal.RETAINED.value
CLOCK_UNSYNC = CommandRefusal.CLOCK_UNSYNC.value
_COMMAND_NAMES = frozenset({"unlock", "power_off", "lockout", "resync"})
_REFUSAL_BY_ERROR = {"bad_json": CommandRefusal.MALFORMED.value}


class CommandTarget(Protocol):
    """What commands act on. Each returns a refusal code, or None when done."""

    def unlock(self, seconds: int) -> str | None: ...

    def power_off(self, *, force: bool) -> str | None: ...

    def lockout(self, on: bool) -> str | None: ...

    def resync(self) -> str | None: ...


class _Peek(BaseModel):
    """What an unverified body may tell, so a refusal can name the command."""

    model_config = ConfigDict(extra="ignore", strict=True)
    cid: Uuid
    command: dict[str, object] | None = None


@dataclass(frozen=True)
class Outcome:
    cid: str
    command: str | None
    refusal: str | None


class CommandHandler:
    def __init__(
        self,
        *,
        device_id: str,
        verifier: Verifier,
        clock: Clock,
        nonces: NonceTable,
        link: Link,
        recorder: EventRecorder,
        target: CommandTarget,
    ) -> None:
        self._dev = device_id
        self._verifier = verifier
        self._clock = clock
        self._nonces = nonces
        self._link = link
        self._recorder = recorder
        self._target = target

    def on_command(self, payload: bytes, *, retained: bool = False) -> Outcome:
        """Handle one ``down/cmd`` message.

        Raises ProtocolError (for the router to log and count) when not even the
        command id can be read: such a message cannot be acknowledged.
        """
        outcome = self._outcome(payload, retained)
        if outcome.refusal is None:
            logger.info("command %s executed", outcome.command)
        else:
            logger.warning("command %s refused: %s", outcome.command, outcome.refusal)
        self._acknowledge(outcome)
        return outcome

    def _outcome(self, payload: bytes, retained: bool) -> Outcome:
        try:
            body = self._verifier.verify(payload, max_bytes=MAX_COMMAND_BYTES)
        except ProtocolError as exc:
            return self._refuse_unverified(payload, exc)
        try:
            command = Command.model_validate_json(body)
        except ValidationError:
            return self._refuse_unverified(payload, InvalidMessage("invalid command"))
        name = command.command.name
        refusal = self._check(command, retained)
        if refusal is None and not self._nonces.remember(
            command.nonce, exp_ms=command.exp, now_ms=self._clock.wall_ms()
        ):
            refusal = CommandRefusal.REPLAYED.value
        if refusal is None:
            refusal = self._execute(command)
        return Outcome(command.cid, name, refusal)

    def _check(self, command: Command, retained: bool) -> str | None:
        if retained:
            return RETAINED
        if command.dev != self._dev:
            return ForeignDevice.reason
        if not self._clock.synced():
            return CLOCK_UNSYNC
        if self._clock.wall_ms() >= command.exp:
            return CommandRefusal.EXPIRED.value
        return None

    def _execute(self, command: Command) -> str | None:
        action = command.command
        try:
            if isinstance(action, Unlock):
                return self._target.unlock(action.seconds)
            if isinstance(action, PowerOff):
                return self._target.power_off(force=action.force)
            if isinstance(action, Lockout):
                return self._target.lockout(action.on)
            if isinstance(action, Resync):
                return self._target.resync()
        except Exception:
            logger.exception("command %s failed", action.name)
            return CommandRefusal.HARDWARE_ERROR.value
        return CommandRefusal.NOT_APPLICABLE.value

    def _refuse_unverified(self, payload: bytes, exc: ProtocolError) -> Outcome:
        """A command that fails its checks gets an ack if its ``cid`` can be read at all."""
        reason = _REFUSAL_BY_ERROR.get(exc.reason, exc.reason)
        peek = _peek(payload)
        if peek is None:
            raise exc
        name = peek.command.get("name") if peek.command else None
        return Outcome(peek.cid, name if name in _COMMAND_NAMES else None, reason)

    def _acknowledge(self, outcome: Outcome) -> None:
        result: Literal["executed", "refused"] = "refused" if outcome.refusal else "executed"
        ack = CommandAck(
            cid=outcome.cid, result=result, reason=outcome.refusal, ts=self._clock.wall_ms()
        )
        if not self._link.publish(topics.cmd_ack(self._dev), dump(ack)):
            logger.warning("command ack not sent (offline); the event carries the result")
        if outcome.command is not None:
            self._recorder.record(
                CmdExecuted(
                    cid=outcome.cid,
                    command=outcome.command,  # type: ignore[arg-type]
                    result=result,
                    reason=outcome.refusal,
                )
            )


def _peek(payload: bytes) -> _Peek | None:
    if len(payload) > MAX_COMMAND_BYTES:
        return None
    try:
        envelope = SignedEnvelope.model_validate_json(payload)
        return _Peek.model_validate_json(envelope.body)
    except ValidationError:
        return None
