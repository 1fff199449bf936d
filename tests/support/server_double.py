"""A test double of the server side of the MQTT contract (the gateway), over a real broker.

`ServerDouble` connects with its own server account and plays the gateway:

* publishes ``server/status`` ``online`` (retained) with an ``offline`` Last Will;
* signs and publishes retained allow-lists (`publish_allow_list`), badge HMACs
  made from a site badge key as the server makes them;
* answers ``auth_request``s with signed `AccessResponse`s by a programmable
  policy (`auth_policy`: grant, deny, silent, delayed; by default it decides
  from the last allow-list it sent the device);
* acknowledges events by a programmable mode (`ack_mode`: normal, duplicate,
  out of order, rejected, none), storing each ``(dev, id)`` once as the server does;
* sends signed commands, well-formed or deliberately wrong (expired,
  replayed, retained, wrongly signed, addressed to another device);
* records everything it receives, for assertions (`wait_for_event`, ...).

Keys, allow-list and command builders and `write_bridge_config` come from
`tests.support.server_side`.
"""

from __future__ import annotations

import contextlib
import enum
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import BaseModel

from bridge_protocol import badge_keys, topics
from bridge_protocol.access import AccessRequest, AccessResponse
from bridge_protocol.acl import AllowList, StalePolicy, decide_offline
from bridge_protocol.commands import Command, CommandAck
from bridge_protocol.errors import ProtocolError
from bridge_protocol.events import Event, parse_event, peek_event_id
from bridge_protocol.messages import dump, parse
from bridge_protocol.reasons import DecisionReason
from bridge_protocol.signing import Signer
from bridge_protocol.status import DeviceStatus, EventAck, RejectedEvent, ServerStatus
from bridge_protocol.wire import now_ms
from tests.support.mqtt_client import close_wakeup_sockets, new_paho_client
from tests.support.server_side import Action, ServerSide, tamper_body

DEFAULT_TIMEOUT_S = 10.0


# Programmable behaviour -------------------------------------------------------------


@dataclass(frozen=True)
class AuthReply:
    """What the double answers to one access request; ``None`` from a policy = silence."""

    granted: bool
    reason: DecisionReason = DecisionReason.OK
    member: int | None = None
    staff: bool = False
    max_s: int | None = None
    delay_s: float = 0.0

    @classmethod
    def grant(cls, member: int = 1, *, staff: bool = False, max_s: int | None = None) -> AuthReply:
        return cls(True, DecisionReason.OK, member, staff, max_s)

    @classmethod
    def deny(cls, reason: DecisionReason | str = DecisionReason.UNKNOWN_BADGE) -> AuthReply:
        return cls(False, DecisionReason(reason))

    def after(self, seconds: float) -> AuthReply:
        """The same answer, sent `seconds` late."""
        return AuthReply(self.granted, self.reason, self.member, self.staff, self.max_s, seconds)


AuthPolicy = Callable[[AccessRequest], AuthReply | None]


def always(reply: AuthReply | None) -> AuthPolicy:
    return lambda _request: reply


SILENT: AuthPolicy = always(None)


class AckMode(enum.StrEnum):
    NORMAL = "normal"  # one ack per stored event, at once
    DUPLICATE = "duplicate"  # every ack sent twice
    OUT_OF_ORDER = "out_of_order"  # acks held and sent newest first, in batches
    REJECT = "reject"  # every event rejected (dead letter on the device)
    NONE = "none"  # stored, never acknowledged


# Records ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    """One message the double received."""

    topic: str
    payload: bytes
    retain: bool
    dev: str | None
    kind: topics.TopicKind | None
    message: Any = None  # the parsed model, when it parsed
    error: str | None = None  # why it did not
    at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class SentCommand:
    topic: str
    payload: bytes
    body: Command | dict[str, Any]

    @property
    def cid(self) -> str:
        return self.body.cid if isinstance(self.body, Command) else str(self.body["cid"])


class ServerDouble(ServerSide):
    """The gateway's part of the contract, programmable and recording. Start it with `start()`."""

    def __init__(
        self,
        host: str,
        port: int,
        username: str,
        password: str,
        *,
        signing_key: Ed25519PrivateKey | None = None,
        site_badge_key: bytes | None = None,
        protocol: str = "5",
    ) -> None:
        super().__init__(signing_key=signing_key, site_badge_key=site_badge_key)
        self.host, self.port, self.username = host, port, username
        self.auth_policy: AuthPolicy = self.decide_from_allow_list
        self.ack_mode = AckMode.NORMAL
        self.reject_reason = "invalid"
        self.out_of_order_batch = 3
        self.out_of_order_flush_s = 0.5

        self.records: list[Record] = []
        self.stored: dict[str, dict[str, Event]] = {}  # dev -> id -> event (first arrival)
        self.acked: dict[str, set[str]] = {}  # dev -> ids acknowledged as stored
        self.redelivered_after_ack: list[tuple[str, str]] = []
        self.allow_lists: dict[str, AllowList] = {}  # the lists each device should hold
        self.published_acls: dict[str, bytes] = {}  # the last payload sent to each device
        self.sent_commands: list[SentCommand] = []
        self.errors: list[str] = []  # handler failures: a test may assert there were none

        self._held_acks: dict[str, list[str]] = {}
        self._timers: list[threading.Timer] = []
        self._cond = threading.Condition()
        self._connected = threading.Event()
        self._client = new_paho_client(username, protocol=protocol)
        self._client.username_pw_set(username, password)
        self._client.will_set(topics.SERVER_STATUS, self._server_status("offline"), 1, True)
        self._client.reconnect_delay_set(1, 1)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message

    @classmethod
    def for_broker(cls, broker: Any, username: str = "gateway", **options: Any) -> ServerDouble:
        """A double logged in with `username`'s account on a `tests.support.mosquitto.Broker`."""
        return cls(
            broker.host, broker.port, username, broker.accounts[username].password, **options
        )

    # -- connection ---------------------------------------------------------------------

    def start(self, timeout: float = DEFAULT_TIMEOUT_S) -> ServerDouble:
        """Connect, subscribe to every device's up topics, announce ``online``."""
        self._client.connect(self.host, self.port, keepalive=5)
        self._client.loop_start()
        if not self._connected.wait(timeout):
            self.close()
            raise ConnectionError(f"server double {self.username!r} could not connect")
        return self

    @property
    def is_connected(self) -> bool:
        return self._connected.is_set()

    def wait_connected(self, timeout: float = DEFAULT_TIMEOUT_S) -> bool:
        return self._connected.wait(timeout)

    def set_online(self, online: bool = True) -> None:
        """Publish the retained server status (``offline`` as a graceful gateway would)."""
        payload = self._server_status("online" if online else "offline")
        self._client.publish(topics.SERVER_STATUS, payload, qos=1, retain=True).wait_for_publish(5)

    def close(self) -> None:
        """Leave as a gateway stopped by its operator: ``offline`` (retained), then disconnect."""
        for timer in self._timers:
            timer.cancel()
        if self._connected.is_set():
            with contextlib.suppress(Exception):
                self.set_online(False)
        with contextlib.suppress(Exception):
            self._client.disconnect()
        self._client.loop_stop()
        close_wakeup_sockets(self._client)

    def crash(self) -> None:
        """Die without a DISCONNECT, so the broker publishes the ``offline`` Last Will."""
        for timer in self._timers:
            timer.cancel()
        self._client.loop_stop()
        sock = self._client.socket()
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(Exception):
            self._client._reset_sockets()  # closes the socket and paho's wake-up pair
        self._connected.clear()

    def __enter__(self) -> ServerDouble:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- allow-lists ----------------------------------------------------------------------

    def publish_allow_list(
        self,
        dev: str,
        allow_list: AllowList | None = None,
        *,
        retain: bool = True,
        signer: Signer | None = None,
        tamper: bool = False,
        topic_dev: str | None = None,
    ) -> bytes:
        """Sign and publish (retained) an allow-list; returns the payload.

        `signer` signs with another key; `tamper` changes the body after
        signing (a bad signature under the right key id); `topic_dev` sends it
        on another device's topic. Only a correctly signed list counts as what
        this device knows (the default auth policy decides from it).
        """
        allow_list = allow_list if allow_list is not None else self.make_allow_list(dev)
        payload = (signer or self.signer).sign(allow_list)
        if tamper:
            payload = tamper_body(payload)
        elif signer is None:
            self.allow_lists[dev] = allow_list
        self.published_acls[topic_dev or dev] = payload
        self.publish(topics.acl(topic_dev or dev), payload, retain=retain)
        return payload

    def clear_allow_list(self, dev: str) -> None:
        """Remove the retained list from the broker (an empty retained payload)."""
        self.publish(topics.acl(dev), b"", retain=True)

    # -- commands -----------------------------------------------------------------------

    def send_command(
        self,
        dev: str,
        action: Action,
        *,
        expired: bool = False,
        retain: bool = False,
        addressed_to: str | None = None,
        signer: Signer | None = None,
        tamper: bool = False,
        keep_retained: bool = False,
        **body_options: Any,
    ) -> SentCommand:
        """Sign and publish a command on `dev`'s command topic.

        `expired`: its ``exp`` passed a minute ago. `retain`: published with
        the retain flag (a device must refuse a retained command). `addressed_to`:
        the body names another device. `signer`: another key (``unknown_kid``).
        `tamper`: the body changed after signing (``bad_signature``). A retained
        command is removed from the broker at once unless `keep_retained`
        (then `clear_retained_command` removes it).
        """
        if expired:
            body_options.setdefault("iat", now_ms() - 120_000)
            body_options.setdefault("ttl_ms", 60_000)
        body = self.command_body(addressed_to or dev, action, **body_options)
        payload = (signer or self.signer).sign(body)
        if tamper:
            payload = tamper_body(payload)
        sent = SentCommand(topics.command(dev), payload, body)
        self.sent_commands.append(sent)
        self.publish(sent.topic, payload, retain=retain)
        if retain and not keep_retained:  # it must not wait on the broker for the next test
            self.clear_retained_command(dev)
        return sent

    def clear_retained_command(self, dev: str) -> None:
        self.publish(topics.command(dev), b"", retain=True)

    def replay(self, sent: SentCommand, *, retain: bool = False) -> None:
        """Publish a command's exact payload again (same nonce, same signature)."""
        self.publish(sent.topic, sent.payload, retain=retain)

    # -- acks and raw sends -----------------------------------------------------------------

    def ack(self, dev: str, ids: Iterable[str], rejected: Mapping[str, str] | None = None) -> None:
        """Send one event ack by hand."""
        body = EventAck(
            ids=tuple(ids),
            rejected=tuple(RejectedEvent(id=i, reason=r) for i, r in (rejected or {}).items()),
        )
        self.publish(topics.event_ack(dev), dump(body))

    def flush_held_acks(self, dev: str | None = None) -> None:
        """Send the acks the out-of-order mode is holding, newest first."""
        with self._cond:
            devs = [dev] if dev is not None else list(self._held_acks)
            batches = {d: self._held_acks.pop(d, []) for d in devs}
        for d, ids in batches.items():
            for event_id in reversed(ids):
                self._send_ack(d, [event_id])

    def publish(
        self, topic: str, payload: bytes | str, *, retain: bool = False, qos: int = 1
    ) -> None:
        info = self._client.publish(topic, payload, qos=qos, retain=retain)
        if qos > 0 and self._connected.is_set():
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(5)

    # -- the default auth policy ----------------------------------------------------------

    def decide_from_allow_list(self, request: AccessRequest) -> AuthReply:
        """What a trivial gateway answers: the rule of the last list it sent the device."""
        allow_list = self.allow_lists.get(request.dev)
        badge = badge_keys.badge_hmac(self.device_badge_key(request.dev), request.badge)
        decision = decide_offline(
            allow_list, badge, now_ms=now_ms(), device_policy=StalePolicy.DENY_ALL
        )
        if not decision.granted:
            return AuthReply.deny(decision.reason)
        entry = decision.entry
        assert entry is not None
        return AuthReply.grant(entry.member, staff=entry.staff, max_s=entry.max_s)

    # -- what it received ------------------------------------------------------------------

    def received(
        self, dev: str | None = None, kind: topics.TopicKind | None = None
    ) -> list[Record]:
        with self._cond:
            return [
                r
                for r in self.records
                if (dev is None or r.dev == dev) and (kind is None or r.kind == kind)
            ]

    def events(self, dev: str, event_type: str | None = None) -> list[Event]:
        """Every event delivery from `dev` that parsed, duplicates included, in arrival order."""
        return [
            r.message
            for r in self.received(dev, topics.TopicKind.EVENT)
            if r.message is not None and (event_type is None or r.message.type == event_type)
        ]

    def stored_events(self, dev: str, event_type: str | None = None) -> list[Event]:
        """Each event once, as the server stores them, in order of first arrival."""
        with self._cond:
            events = list(self.stored.get(dev, {}).values())
        return [e for e in events if event_type is None or e.type == event_type]

    def auth_requests(self, dev: str) -> list[AccessRequest]:
        return [r.message for r in self.received(dev, topics.TopicKind.AUTH_REQUEST) if r.message]

    def cmd_acks(self, dev: str) -> list[CommandAck]:
        return [r.message for r in self.received(dev, topics.TopicKind.CMD_ACK) if r.message]

    def statuses(self, dev: str) -> list[DeviceStatus]:
        return [r.message for r in self.received(dev, topics.TopicKind.STATUS) if r.message]

    def wait_until(
        self, condition: Callable[[], Any], timeout: float = DEFAULT_TIMEOUT_S, what: str = ""
    ) -> Any:
        """Poll `condition` (under the record lock) until it returns something truthy."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                result = condition()
                if result:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"server double: waited {timeout} s for {what or condition}"
                    )
                self._cond.wait(min(remaining, 0.1))

    def wait_for_event(
        self,
        dev: str,
        event_type: str,
        predicate: Callable[[Any], bool] | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT_S,
    ) -> Any:
        def found() -> Any:
            for event in self.stored.get(dev, {}).values():
                if event.type == event_type and (predicate is None or predicate(event)):
                    return event
            return None

        return self.wait_until(found, timeout, f"{event_type} from {dev}")

    def wait_for_cmd_ack(self, dev: str, cid: str, *, timeout: float = DEFAULT_TIMEOUT_S) -> Any:
        def found() -> Any:
            for record in self.records:
                if (
                    record.dev == dev
                    and record.kind is topics.TopicKind.CMD_ACK
                    and record.message is not None
                    and record.message.cid == cid
                ):
                    return record.message
            return None

        return self.wait_until(found, timeout, f"cmd_ack {cid} from {dev}")

    def wait_for_status(
        self,
        dev: str,
        state: str = "ready",
        *,
        after: float = 0.0,
        timeout: float = DEFAULT_TIMEOUT_S,
    ) -> DeviceStatus:
        """A status from `dev` in `state`, received after the monotonic time `after`."""

        def found() -> Any:
            for record in reversed(self.records):
                if (
                    record.dev == dev
                    and record.kind is topics.TopicKind.STATUS
                    and record.at >= after
                    and isinstance(record.message, DeviceStatus)
                    and record.message.state == state
                ):
                    return record.message
            return None

        return self.wait_until(found, timeout, f"status {state} from {dev}")

    # -- paho callbacks (network thread); nothing may escape them --------------------------

    def _on_connect(self, client: Any, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            self.errors.append(f"connect refused: {reason}")
            return
        client.subscribe(topics.device_up_filter(), qos=1)
        client.publish(topics.SERVER_STATUS, self._server_status("online"), qos=1, retain=True)
        self._connected.set()

    def _on_disconnect(self, *_args: Any) -> None:
        self._connected.clear()

    def _on_message(self, _client: Any, _u: Any, message: Any) -> None:
        try:
            self._handle(message.topic, bytes(message.payload), bool(message.retain))
        except Exception as exc:  # the double must never lose its network thread
            self.errors.append(f"{type(exc).__name__}: {exc}")

    def _handle(self, topic: str, payload: bytes, retain: bool) -> None:
        parsed = topics.parse_device_topic(topic)
        dev, kind = (parsed.dev, parsed.kind) if parsed else (None, None)
        message, error = None, None
        handler = _HANDLERS.get(kind) if kind is not None else None
        if handler is not None and dev is not None:
            try:
                message = handler(self, dev, payload)
            except ProtocolError as exc:
                error = exc.reason
                if kind is topics.TopicKind.EVENT:
                    self._reject_unreadable(dev, payload, exc)
        with self._cond:
            self.records.append(Record(topic, payload, retain, dev, kind, message, error))
            self._cond.notify_all()

    def _on_event(self, dev: str, payload: bytes) -> Event:
        event = parse_event(payload, expect_dev=dev)
        with self._cond:
            stored = self.stored.setdefault(dev, {})
            if event.id in self.acked.get(dev, set()):
                self.redelivered_after_ack.append((dev, event.id))
            stored.setdefault(event.id, event)
        self._acknowledge(dev, event.id)
        return event

    def _on_auth_request(self, dev: str, payload: bytes) -> AccessRequest:
        request = parse(AccessRequest, payload)
        if request.dev != dev or now_ms() >= request.exp:
            return request  # a gateway drops foreign and expired requests
        reply = self.auth_policy(request)
        if reply is not None:
            self._later(reply.delay_s, self._answer, request, reply)
        return request

    def _answer(self, request: AccessRequest, reply: AuthReply) -> None:
        body = AccessResponse(
            dev=request.dev,
            iat=now_ms(),
            exp=request.exp,
            req=request.req,
            granted=reply.granted,
            reason=reply.reason,
            member=reply.member,
            staff=reply.staff,
            max_s=reply.max_s,
        )
        self._client.publish(topics.auth_response(request.dev), self.signer.sign(body), qos=1)

    def _acknowledge(self, dev: str, event_id: str) -> None:
        mode = self.ack_mode
        if mode is AckMode.NONE:
            return
        if mode is AckMode.REJECT:
            self._send_ack(dev, [], {event_id: self.reject_reason})
            return
        with self._cond:
            self.acked.setdefault(dev, set()).add(event_id)
        if mode is AckMode.OUT_OF_ORDER:
            with self._cond:
                held = self._held_acks.setdefault(dev, [])
                held.append(event_id)
                full = len(held) >= self.out_of_order_batch
            if full:
                self.flush_held_acks(dev)
            else:
                self._later(self.out_of_order_flush_s, self.flush_held_acks, dev)
            return
        self._send_ack(dev, [event_id])
        if mode is AckMode.DUPLICATE:
            self._send_ack(dev, [event_id])

    def _reject_unreadable(self, dev: str, payload: bytes, exc: ProtocolError) -> None:
        event_id = peek_event_id(payload)
        if event_id is not None and self.ack_mode is not AckMode.NONE:
            self._send_ack(dev, [], {event_id: exc.reason})

    def _send_ack(
        self, dev: str, ids: list[str], rejected: Mapping[str, str] | None = None
    ) -> None:
        body = EventAck(
            ids=tuple(ids),
            rejected=tuple(RejectedEvent(id=i, reason=r) for i, r in (rejected or {}).items()),
        )
        self._client.publish(topics.event_ack(dev), dump(body), qos=1)

    def _later(self, delay_s: float, function: Callable[..., Any], *args: Any) -> None:
        if delay_s <= 0:
            function(*args)
            return
        timer = threading.Timer(delay_s, self._guarded, (function, *args))
        timer.daemon = True
        self._timers.append(timer)
        timer.start()

    def _guarded(self, function: Callable[..., Any], *args: Any) -> None:
        try:
            function(*args)
        except Exception as exc:
            self.errors.append(f"{type(exc).__name__}: {exc}")

    @staticmethod
    def _server_status(state: Literal["online", "offline"]) -> bytes:
        return dump(ServerStatus(state=state))


def _parse_as(model: type[BaseModel]) -> Callable[[ServerDouble, str, bytes], Any]:
    return lambda _double, _dev, payload: parse(model, payload)


_HANDLERS: dict[topics.TopicKind, Callable[[ServerDouble, str, bytes], Any]] = {
    topics.TopicKind.EVENT: ServerDouble._on_event,
    topics.TopicKind.AUTH_REQUEST: ServerDouble._on_auth_request,
    topics.TopicKind.CMD_ACK: _parse_as(CommandAck),
    topics.TopicKind.STATUS: _parse_as(DeviceStatus),
}
