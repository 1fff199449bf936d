"""A small synchronous client for Mosquitto's dynamic-security plugin.

Commands go as JSON to ``$CONTROL/dynamic-security/v1``; the plugin answers on
``$CONTROL/dynamic-security/v1/response`` (QoS 0, to every subscriber) with one
response per command, ``{"command", "error"?, "data"?, "correlationData"}``.
`DynsecClient.execute` tags each command with a correlation id, waits for all
the answers of its batch and raises `DynsecError` naming the first failure.

It rides on a paho 2.x client that is already connected (the gateway's own:
under ``use_username_as_clientid`` a second connection with the gateway's
username would evict the first and fire its Last Will). It subscribes to the
response topic before each batch, so a reconnect in between cannot lose an
answer (a broker handles one connection's packets in order). Never call it
from paho's network thread: the answer could not arrive while that thread
waits (`DynsecError` says so instead of hanging).

Device accounts: one role per device. Mosquitto 2.0's plugin does not expand
``%u`` in its ACLs (checked against 2.0.11: a ``%u`` topic matches only the
literal text), so each device gets a role naming its own topics:
publish ``incubator/v1/d/<id>/up/#``, subscribe ``incubator/v1/d/<id>/down/#``
and ``incubator/v1/server/status``, nothing else (not the demo's scan topic).
A client counts as a device only if its text name says so or it holds its
device role; `sync_accounts` and `create_or_update_device` never touch any
other account (the gateway's, an operator's admin).

The control topics are Mosquitto's API, not our MQTT contract, so they are
spelled here rather than in `bridge_protocol.topics`.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as mqtt

from bridge_protocol import topics

log = logging.getLogger(__name__)

CONTROL_TOPIC = topics.DYNSEC_CONTROL
RESPONSE_TOPIC = topics.DYNSEC_RESPONSE
#: every dynamic-security topic (the gateway's role needs them all)
CONTROL_FILTER = "$CONTROL/dynamic-security/#"
DEVICE_TEXTNAME = "incubator device"
DEVICE_ROLE_PREFIX = "incubator-device-"
DEFAULT_TIMEOUT_S = 5.0

# Errors the plugin answers that mean "already as wanted".
ROLE_EXISTS = "Role already exists"
ROLE_NOT_FOUND = "Role not found"
CLIENT_EXISTS = "Client already exists"
CLIENT_NOT_FOUND = "Client not found"


class DynsecError(RuntimeError):
    """The broker refused a command, or never answered."""

    def __init__(self, message: str, *, command: str = "", error: str = "") -> None:
        super().__init__(message)
        self.command = command
        self.error = error


class DynsecTimeout(DynsecError):
    """No answer in time (broker down, plugin not loaded, or no right to the topics)."""


@dataclass(frozen=True)
class BrokerClient:
    """One account of the plugin, as ``listClients`` (verbose) shows it."""

    username: str
    textname: str = ""
    roles: tuple[str, ...] = ()
    disabled: bool = False

    @property
    def is_device(self) -> bool:
        if not topics.is_valid_device_id(self.username):
            return False
        return self.textname == DEVICE_TEXTNAME or device_role_name(self.username) in self.roles


@dataclass(frozen=True)
class SyncReport:
    deleted: tuple[str, ...] = ()
    #: active in the database but without a broker account: rotate their credentials
    missing: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()


def device_role_name(device_id: str) -> str:
    return DEVICE_ROLE_PREFIX + topics.check_device_id(device_id)


def device_role_acls(device_id: str, *, demo_scans: bool = False) -> list[dict[str, Any]]:
    """The device's own topics, from the contract's ``%u`` patterns with its id filled in.

    `demo_scans` adds the demo's simulated-scan topic (``make demo`` only).
    """
    dev = topics.check_device_id(device_id)
    acls = [
        _acl("publishClientSend", topics.device_publish_acl().replace("%u", dev)),
        _acl("subscribePattern", topics.device_subscribe_acl().replace("%u", dev)),
        _acl("subscribeLiteral", topics.SERVER_STATUS),
    ]
    if demo_scans:
        acls.append(_acl("subscribeLiteral", topics.sim_scan(dev)))
    return acls


def _acl(acltype: str, topic: str) -> dict[str, Any]:
    return {"acltype": acltype, "topic": topic, "priority": 0, "allow": True}


@dataclass
class _Batch:
    size: int
    responses: dict[int, dict[str, Any]] = field(default_factory=dict)
    done: threading.Event = field(default_factory=threading.Event)


class DynsecClient:
    """Commands to the dynamic-security plugin over `client` (connected, loop running).

    One per MQTT connection: it takes the connection's callback for the answer topic.
    """

    def __init__(
        self, client: mqtt.Client, *, timeout: float = DEFAULT_TIMEOUT_S, demo_scans: bool = False
    ) -> None:
        """`demo_scans`: device roles may also read the demo's scan topic (never in production)."""
        self.mqtt = client
        self.timeout = timeout
        self.demo_scans = demo_scans
        self._lock = threading.Lock()
        self._batches: dict[str, _Batch] = {}
        client.message_callback_add(RESPONSE_TOPIC, self._on_response)

    def close(self) -> None:
        """Stop listening for answers (the MQTT client stays as it is)."""
        self.mqtt.message_callback_remove(RESPONSE_TOPIC)

    # -- the protocol -------------------------------------------------------------

    def execute(
        self,
        commands: Iterable[Mapping[str, Any]],
        *,
        tolerate: Mapping[str, Collection[str]] | None = None,
    ) -> list[dict[str, Any]]:
        """Send `commands` in one message; return their responses in order.

        Raise `DynsecError` for the first response carrying an error, unless
        `tolerate` lists that error for that command name.
        """
        batch_id = uuid.uuid4().hex
        tagged = [
            {**command, "correlationData": f"{batch_id}:{index}"}
            for index, command in enumerate(commands)
        ]
        if not tagged:
            return []
        if threading.current_thread() is getattr(self.mqtt, "_thread", None):
            raise DynsecError("dynsec commands cannot wait on paho's network thread")
        batch = _Batch(size=len(tagged))
        with self._lock:
            self._batches[batch_id] = batch
        try:
            self._send(tagged)
            if not batch.done.wait(self.timeout):
                raise DynsecTimeout(
                    f"no answer from the dynamic-security plugin within {self.timeout} s"
                )
        finally:
            with self._lock:
                self._batches.pop(batch_id, None)
        responses = [batch.responses[index] for index in range(batch.size)]
        _raise_first_error(responses, tolerate or {})
        return responses

    def _send(self, tagged: list[dict[str, Any]]) -> None:
        result, _mid = self.mqtt.subscribe(RESPONSE_TOPIC, qos=0)
        if result != mqtt.MQTT_ERR_SUCCESS:
            raise DynsecError(f"cannot subscribe to the answers: {mqtt.error_string(result)}")
        payload = json.dumps({"commands": tagged}, separators=(",", ":"))
        info = self.mqtt.publish(CONTROL_TOPIC, payload, qos=1)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            raise DynsecError(f"cannot send the commands: {mqtt.error_string(info.rc)}")

    def _on_response(self, _client: Any, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        """paho's network thread: file each answer with its batch; never raise."""
        try:
            answer = json.loads(message.payload)
            responses = answer.get("responses") if isinstance(answer, dict) else None
            for response in responses if isinstance(responses, list) else ():
                if isinstance(response, dict):
                    self._file(response)
        except Exception:
            log.warning("unreadable dynamic-security answer (%d bytes)", len(message.payload))

    def _file(self, response: dict[str, Any]) -> None:
        batch_id, _, index_text = str(response.get("correlationData", "")).partition(":")
        with self._lock:
            batch = self._batches.get(batch_id)
            if batch is None or not index_text.isdigit() or int(index_text) >= batch.size:
                return  # another client's answer, or one we stopped waiting for
            batch.responses[int(index_text)] = response
            if len(batch.responses) >= batch.size:
                batch.done.set()

    # -- devices ------------------------------------------------------------------

    def ensure_device_role(self, device_id: str) -> None:
        """Create the device's role, or reset its ACLs to exactly the device's topics."""
        self.execute(
            _role_commands(device_id, demo_scans=self.demo_scans),
            tolerate={"createRole": {ROLE_EXISTS}},
        )

    def get_client(self, username: str) -> BrokerClient | None:
        (response,) = self.execute(
            [{"command": "getClient", "username": username}],
            tolerate={"getClient": {CLIENT_NOT_FOUND}},
        )
        if response.get("error"):
            return None
        return _broker_client(response.get("data", {}).get("client", {}))

    def create_or_update_device(self, device_id: str, password: str) -> None:
        """The device's account with this password and its role, enabled.

        An existing account gets the new password, and the broker disconnects
        whoever is logged in with the old one. Refuses to touch an account that
        is not a device's. An id outside the contract's pattern is a ValueError.
        """
        existing = self.get_client(topics.check_device_id(device_id))
        if existing is not None and not existing.is_device:
            raise DynsecError(
                f"{device_id!r} is a broker account that is not a device's; not touched",
                command="createClient",
            )
        role = device_role_name(device_id)
        account = {
            "username": device_id,
            "password": password,
            "textname": DEVICE_TEXTNAME,
            "roles": [{"rolename": role, "priority": 0}],
        }
        client_commands: list[dict[str, Any]] = (
            [{"command": "createClient", **account}]
            if existing is None
            else [
                {"command": "modifyClient", **account},
                {"command": "enableClient", "username": device_id},
            ]
        )
        self.execute(
            [*_role_commands(device_id, demo_scans=self.demo_scans), *client_commands],
            tolerate={"createRole": {ROLE_EXISTS}},
        )

    def disable_device(self, device_id: str) -> None:
        """Refuse its logins from now on and disconnect it (the account stays)."""
        self._require_device(device_id)
        self.execute([{"command": "disableClient", "username": device_id}])

    def delete_device(self, device_id: str) -> None:
        """Delete the account and its role; the broker disconnects the device at once."""
        self._require_device(device_id, missing_ok=True)
        self.execute(
            [
                {"command": "deleteClient", "username": device_id},
                {"command": "deleteRole", "rolename": device_role_name(device_id)},
            ],
            tolerate={"deleteClient": {CLIENT_NOT_FOUND}, "deleteRole": {ROLE_NOT_FOUND}},
        )

    def _require_device(self, device_id: str, *, missing_ok: bool = False) -> None:
        existing = self.get_client(topics.check_device_id(device_id))
        if existing is None and missing_ok:
            return
        if existing is None or not existing.is_device:
            raise DynsecError(f"{device_id!r} is not a device account; not touched")

    def list_clients(self) -> list[BrokerClient]:
        (response,) = self.execute([{"command": "listClients", "verbose": True, "count": -1}])
        clients = response.get("data", {}).get("clients", [])
        return [_broker_client(item) for item in clients if isinstance(item, dict)]

    def list_roles(self) -> list[str]:
        (response,) = self.execute([{"command": "listRoles", "verbose": False, "count": -1}])
        return [str(name) for name in response.get("data", {}).get("roles", [])]

    def sync_accounts(
        self, active_device_ids: Iterable[str], *, protected: Collection[str] = ()
    ) -> SyncReport:
        """Make the broker's device accounts match the active devices of the database.

        Deletes device accounts (and device roles) of devices that are not
        active; resets the role of every active device that has an account;
        reports active devices without an account (their password is gone:
        rotate their credentials). Accounts that are not devices', and any
        name in `protected`, are never touched.
        """
        active = set(active_device_ids)
        clients = self.list_clients()
        devices = {c.username for c in clients if c.is_device and c.username not in protected}
        stale = sorted(devices - active)
        kept = sorted(devices & active)
        commands: list[dict[str, Any]] = []
        for device_id in stale:
            commands += [
                {"command": "deleteClient", "username": device_id},
                {"command": "deleteRole", "rolename": device_role_name(device_id)},
            ]
        for role in self.list_roles():
            owner = role.removeprefix(DEVICE_ROLE_PREFIX)
            if role.startswith(DEVICE_ROLE_PREFIX) and owner not in {*active, *stale, *protected}:
                commands.append({"command": "deleteRole", "rolename": role})
        for device_id in kept:
            commands += _role_commands(device_id, demo_scans=self.demo_scans)
        self.execute(
            commands,
            tolerate={
                "deleteClient": {CLIENT_NOT_FOUND},
                "deleteRole": {ROLE_NOT_FOUND},
                "createRole": {ROLE_EXISTS},
            },
        )
        known = {c.username for c in clients}
        missing = sorted(d for d in active if d not in known and topics.is_valid_device_id(d))
        if stale or missing:
            log.info("broker accounts: deleted %s; missing (rotate them) %s", stale, missing)
        return SyncReport(deleted=tuple(stale), missing=tuple(missing), kept=tuple(kept))


def _role_commands(device_id: str, *, demo_scans: bool) -> list[dict[str, Any]]:
    role = device_role_name(device_id)
    acls = device_role_acls(device_id, demo_scans=demo_scans)
    return [
        {"command": "createRole", "rolename": role, "textname": DEVICE_TEXTNAME, "acls": acls},
        {"command": "modifyRole", "rolename": role, "acls": acls},
    ]


def _broker_client(item: Mapping[str, Any]) -> BrokerClient:
    roles = item.get("roles") or []
    return BrokerClient(
        username=str(item.get("username", "")),
        textname=str(item.get("textname") or ""),
        roles=tuple(str(r.get("rolename")) for r in roles if isinstance(r, dict)),
        disabled=bool(item.get("disabled", False)),
    )


def _raise_first_error(
    responses: list[dict[str, Any]], tolerate: Mapping[str, Collection[str]]
) -> None:
    for response in responses:
        error = response.get("error")
        command = str(response.get("command", ""))
        if error and error not in tolerate.get(command, ()):
            raise DynsecError(f"{command}: {error}", command=command, error=str(error))


# -- retained topics ----------------------------------------------------------------


def clear_retained(
    client: mqtt.Client, device_id: str, *, timeout: float = DEFAULT_TIMEOUT_S
) -> None:
    """Remove a deleted device's retained allow-list and status from the broker.

    An empty retained message deletes the retained one. Publish with the
    gateway's account (devices may not write ``down/acl``).
    """
    for topic in (topics.acl(device_id), topics.status(device_id)):
        info = client.publish(topic, b"", qos=topics.QOS, retain=True)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            raise DynsecError(f"cannot clear {topic}: {mqtt.error_string(info.rc)}")
        info.wait_for_publish(timeout)
        if not info.is_published():
            raise DynsecTimeout(f"the broker did not confirm clearing {topic}")
