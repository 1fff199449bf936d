"""The composition root: one `Bridge` built from a validated config, started and stopped as a whole.

In-process use (tests, the benchmark, the demo)::

    bridge = Bridge(config, options=BridgeOptions(simulate=True))
    bridge.start()
    bridge.scan("04A22B1C")          # through the badge worker, like a reader
    bridge.controller.on_badge("04A22B1C")   # synchronously, in this thread
    ...
    bridge.stop()

Tests inject `clock`, `scheduler` (the devices' `ManualScheduler`), `link` (a fake
`ports.Link`), `pin_factory` and `feedback`; with a fake link they play the broker through
`link_up`, `link_down` and `deliver(topic, payload, retained)`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TextIO

from bridge_protocol import limits, topics
from bridge_protocol.codec import parse
from bridge_protocol.config import BridgeConfig
from bridge_protocol.events import ReaderError
from bridge_protocol.reasons import CommandRefusal
from bridge_protocol.signing import Verifier
from bridge_protocol.status import ServerStatus, SimScan
from bridge_protocol.wire import new_boot_id
from devices.timing import Cancellable, Scheduler
from firmware_bridge.acl_cache import AllowListCache
from firmware_bridge.authority import Authority, OnlineAsker, UnknownBadgeLimiter
from firmware_bridge.clock import Clock, ClockMode, SystemClock
from firmware_bridge.commands import CommandHandler
from firmware_bridge.door import DoorController
from firmware_bridge.events import EventRecorder
from firmware_bridge.hardware import Hardware, build_hardware
from firmware_bridge.inbound import Router
from firmware_bridge.machine import MachineController
from firmware_bridge.mqtt import LinkCallbacks, MqttLink
from firmware_bridge.outbox import OutboxSender
from firmware_bridge.ports import Feedback, Link, Presence
from firmware_bridge.resource import ResourceState
from firmware_bridge.scans import BadgeQueue
from firmware_bridge.status import StatusReporter, lost_status
from firmware_bridge.store import Store
from firmware_bridge.timers import LoopScheduler

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BridgeOptions:
    """What is not in the config file: run-time choices and limits."""

    simulate: bool = False
    clock: ClockMode = "auto"
    max_outbox: int = 20_000
    send_window: int = 50
    unknown_burst: int = 10
    unknown_per_minute: float = 10.0
    housekeeping_s: float = 5.0
    status_interval_s: float = 5.0
    stdin: TextIO | None = None


class DeviceActions:
    """What commands do on this device (`commands.CommandTarget`)."""

    def __init__(self, bridge: Bridge) -> None:
        self._bridge = bridge

    def unlock(self, seconds: int) -> str | None:
        if self._bridge.door is None:
            return CommandRefusal.NOT_APPLICABLE.value
        self._bridge.door.unlock_remote(seconds)
        return None

    def power_off(self, *, force: bool) -> str | None:
        if self._bridge.machine is None:
            return CommandRefusal.NOT_APPLICABLE.value
        return self._bridge.machine.power_off(force=force)

    def lockout(self, on: bool) -> str | None:
        self._bridge.resource.lockout(on)
        return None

    def resync(self) -> str | None:
        self._bridge.status.publish_now()
        self._bridge.sender.resend_all()
        self._bridge.link.resubscribe()
        return None


class Bridge:
    def __init__(
        self,
        config: BridgeConfig,
        *,
        options: BridgeOptions | None = None,
        environ: Mapping[str, str] | None = None,
        clock: Clock | None = None,
        scheduler: Scheduler | None = None,
        link: Link | None = None,
        pin_factory: Any = None,
        feedback: Feedback | None = None,
    ) -> None:
        self.config = config
        self.options = options or BridgeOptions()
        self.dev = config.device.id
        self.boot = new_boot_id()
        self.clock: Clock = clock or SystemClock(self.options.clock)
        self._own_scheduler: LoopScheduler | None = None
        if scheduler is None:
            scheduler = self._own_scheduler = LoopScheduler()
        self.scheduler: Scheduler = scheduler
        try:
            self._build(config, environ, link, pin_factory, feedback)
        except BaseException:
            if self._own_scheduler is not None:
                self._own_scheduler.close()
            raise
        self.badges = BadgeQueue(self.controller.on_badge)
        self._wire()
        self._housekeeping: Cancellable | None = None
        self._running = False
        self._stopped = False
        self._lock = threading.Lock()

    # Building ------------------------------------------------------------------

    def _build(
        self,
        config: BridgeConfig,
        environ: Mapping[str, str] | None,
        link: Link | None,
        pin_factory: Any,
        feedback: Feedback | None,
    ) -> None:
        self._password = config.mqtt.resolved_password(environ)
        badge_key = config.keys.resolved_badge_key(environ)
        verifier = config.keys.verifier()
        self.hardware: Hardware = build_hardware(
            config,
            scheduler=self.scheduler,
            simulate=self.options.simulate,
            pin_factory=pin_factory,
            stdin=self.options.stdin,
        )
        if feedback is not None:
            self.hardware.feedback = feedback
        try:
            self.store = Store(config.store.path, max_outbox=self.options.max_outbox)
            self.store.start_boot(self.boot)
            self.presence = Presence()
            self.router = Router()
            self.link: Link = link or self._make_link()
            self._build_decisions(badge_key, verifier)
            self._build_delivery()
            self.door: DoorController | None = None
            self.machine: MachineController | None = None
            self.controller: DoorController | MachineController = self._make_controller()
            self.commands = CommandHandler(
                device_id=self.dev,
                verifier=verifier,
                clock=self.clock,
                nonces=self.store.nonces,
                link=self.link,
                recorder=self.recorder,
                target=DeviceActions(self),
            )
        except BaseException:
            self.hardware.close()
            if hasattr(self, "store"):
                self.store.close()
            raise

    def _build_decisions(self, badge_key: bytes, verifier: Verifier) -> None:
        self.recorder = EventRecorder(
            store=self.store, clock=self.clock, device_id=self.dev, boot=self.boot
        )
        self.acl = AllowListCache(
            store=self.store,
            verifier=verifier,
            device_id=self.dev,
            clock=self.clock,
            recorder=self.recorder,
        )
        self.resource = ResourceState(acl=self.acl, meta=self.store.meta)
        self.authority = Authority(
            badge_key=badge_key,
            acl=self.acl,
            resource=self.resource,
            presence=self.presence,
            asker=OnlineAsker(
                device_id=self.dev,
                link=self.link,
                verifier=verifier,
                clock=self.clock,
                timeout_ms=self.config.mqtt.request_timeout_ms,
            ),
            device_policy=self.config.stale_policy,
            limiter=UnknownBadgeLimiter(
                self.clock,
                burst=self.options.unknown_burst,
                per_minute=self.options.unknown_per_minute,
            ),
        )

    def _build_delivery(self) -> None:
        self.sender = OutboxSender(
            store=self.store,
            link=self.link,
            presence=self.presence,
            clock=self.clock,
            device_id=self.dev,
            resend_s=self.config.policy.resend_s,
            window=self.options.send_window,
        )
        self.status = StatusReporter(
            link=self.link,
            store=self.store,
            clock=self.clock,
            scheduler=self.scheduler,
            device_id=self.dev,
            boot=self.boot,
            kind=self.config.device.kind,
            acl_ver=lambda: self.acl.ver,
            min_interval_s=self.options.status_interval_s,
        )

    def _make_link(self) -> MqttLink:
        subscriptions = [topics.device_down_filter(self.dev), topics.SERVER_STATUS]
        if self.options.simulate:
            subscriptions.append(topics.sim_scan(self.dev))
        return MqttLink(
            settings=self.config.mqtt,
            device_id=self.dev,
            password=self._password,
            will=self._will(),
            subscriptions=subscriptions,
            callbacks=LinkCallbacks(
                on_message=self.deliver,
                on_connected=self.link_up,
                on_disconnected=self.link_down,
            ),
        )

    def _will(self) -> bytes:
        return lost_status(self.boot)

    def _make_controller(self) -> DoorController | MachineController:
        hw = self.hardware
        if hw.door is not None:
            self.door = DoorController(
                door=hw.door,
                feedback=hw.feedback,
                authority=self.authority,
                recorder=self.recorder,
                acl=self.acl,
                resource=self.resource,
                scheduler=self.scheduler,
                clock=self.clock,
                unlock_s=self.config.door.unlock_s,
                reader_format=self.config.reader.format,
            )
            return self.door
        assert hw.interlock is not None
        self.machine = MachineController(
            interlock=hw.interlock,
            feedback=hw.feedback,
            authority=self.authority,
            recorder=self.recorder,
            store=self.store,
            acl=self.acl,
            resource=self.resource,
            scheduler=self.scheduler,
            clock=self.clock,
            settings=self.config.machine,
            reader_format=self.config.reader.format,
        )
        return self.machine

    def _on_acl(self, payload: bytes) -> str | None:
        """Apply a list; a refusal is counted under its reason, a repeat as ok."""
        if self.acl.apply(payload) or self.acl.last_outcome == "unchanged":
            return None
        return self.acl.last_outcome

    def _wire(self) -> None:
        dev = self.dev
        self.recorder.add_listener(self.sender.pump)
        self.recorder.add_listener(self.status.changed)
        self.sender.add_count_listener(self.status.changed)
        self.presence.add_listener(self._server_online_changed)
        # The cache handles a bad list itself (an acl.rejected event); the route
        # counts its outcome so rejections show in the counts too.
        self.router.add(
            topics.acl(dev),
            "acl",
            lambda p, _r: self._on_acl(p),
            max_bytes=limits.MAX_ACL_BYTES,
        )
        self.router.add(
            topics.auth_response(dev),
            "auth_response",
            lambda p, _r: self.authority.on_response(p),
            max_bytes=limits.MAX_AUTH_RESPONSE_BYTES,
        )
        self.router.add(
            topics.event_ack(dev),
            "event_ack",
            lambda p, _r: self.sender.on_ack(p),
            max_bytes=limits.MAX_EVENT_ACK_BYTES,
        )
        self.router.add(
            topics.command(dev),
            "command",
            lambda p, r: self.commands.on_command(p, retained=r),
            max_bytes=limits.MAX_COMMAND_BYTES,
        )
        self.router.add(
            topics.SERVER_STATUS,
            "server_status",
            self._server_status,
            max_bytes=limits.MAX_SERVER_STATUS_BYTES,
        )
        if self.options.simulate:
            self.router.add(
                topics.sim_scan(dev),
                "sim_scan",
                self._sim_scan,
                max_bytes=limits.MAX_SIM_SCAN_BYTES,
            )
        for reader in self.hardware.readers:
            reader.when_badge = self.badges.submit
            reader.when_error = self._reader_failed

    # Inbound (the link calls these) ---------------------------------------------

    def deliver(self, topic: str, payload: bytes, retained: bool = False) -> None:
        """A message from the broker; never raises."""
        self.router.dispatch(topic, payload, retained)

    def link_up(self) -> None:
        # The server counts as offline until its retained status arrives; its turning
        # online then resends every unacked event (`_server_online_changed`).
        self.presence.link_up()
        self.status.publish_now()

    def link_down(self) -> None:
        self.presence.link_down()

    def _server_status(self, payload: bytes, retained: bool) -> None:
        status = parse(ServerStatus, payload)
        self.presence.server_status(status.state == "online")

    def _server_online_changed(self, online: bool) -> None:
        if online:
            self.hardware.feedback.idle()
            self.sender.resend_all()
        else:
            self.hardware.feedback.offline()

    def _sim_scan(self, payload: bytes, retained: bool) -> None:
        scan = parse(SimScan, payload)
        self.badges.submit(scan.raw, scan.format)

    def _reader_failed(self, error: BaseException) -> None:
        code = "disconnected" if isinstance(error, OSError) else "unreadable"
        self.recorder.record(ReaderError(code=code, detail=type(error).__name__))

    # Life cycle ----------------------------------------------------------------

    def scan(self, raw: str, reader_format: str | None = None) -> bool:
        """Present a badge as a reader would (queued to the badge worker)."""
        return self.badges.submit(raw, reader_format)

    def start(self) -> None:
        self.acl.load()
        if self.machine is not None:
            self.machine.recover()
        self.controller.start()
        self.hardware.feedback.offline()
        self.badges.start()
        with self._lock:
            self._running = True
        self._housekeep()
        if isinstance(self.link, MqttLink):
            self.link.start()
        logger.info("bridge %s started (boot %s)", self.dev, self.boot)

    def stop(self) -> None:
        """Release the relays, park the session, say goodbye, close the store (once)."""
        with self._lock:
            if self._stopped:
                return
            self._stopped, self._running = True, False
            if self._housekeeping is not None:
                self._housekeeping.cancel()
        for reader in self.hardware.readers:
            reader.when_badge = None
        self.badges.stop()
        self.controller.stop()
        self.status.close()
        self.hardware.close()
        if isinstance(self.link, MqttLink):
            self.link.stop(final_status=(self.status.topic, self.status.lost()))
        self.store.close()
        if self._own_scheduler is not None:
            self._own_scheduler.close()
        logger.info("bridge %s stopped", self.dev)

    def _housekeep(self) -> None:
        try:
            self.sender.pump()
        except Exception:
            logger.exception("housekeeping failed")
        with self._lock:
            if self._running:
                self._housekeeping = self.scheduler.call_later(
                    self.options.housekeeping_s, self._housekeep
                )
