"""What Mosquitto starts with: its config file and the plugin's initial accounts.

`write_config` writes two files into one directory:

- ``mosquitto.conf``: one listener on 127.0.0.1 (nginx or a TLS listener faces
  the network; a TLS example is in the file), no anonymous clients, the
  dynamic-security plugin, Nagle off, persistence in the directory, raised
  queues (a stock broker silently drops QoS 1 messages past 1000 per client).
- ``dynamic-security.json``: the plugin's state with one account, the
  gateway's (name and password from INCUBATOR_MQTT_URL), whose role may use
  every ``incubator/v1/`` topic and the plugin's control topics. Device
  accounts are added later by the gateway, one role each (see
  `app.broker.dynsec`). Default access: nobody publishes or subscribes
  without a role allowing it.

The password is stored as Mosquitto's plugin stores it: PBKDF2-HMAC-SHA512
over a 12-byte random salt, 101 iterations, both base64. We write the JSON
ourselves instead of running ``mosquitto_ctrl dynsec init``: that tool takes
the password on its command line (visible to every local user in ``ps``) and
makes an admin role that reads every topic, which we would rewrite anyway.
The tests start a real Mosquitto on these files.
"""

from __future__ import annotations

import base64
import glob
import hashlib
import json
import os
import pwd
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bridge_protocol import topics
from bridge_protocol.limits import MAX_ACL_BYTES

from .dynsec import CONTROL_FILTER

CONF_NAME = "mosquitto.conf"
DYNSEC_NAME = "dynamic-security.json"
SERVER_ROLE = "incubator-server"
PBKDF2_ITERATIONS = 101
SALT_BYTES = 12
MAX_QUEUED_MESSAGES = 10_000
MAX_INFLIGHT_MESSAGES = 100
#: Twice the largest message of the protocol (a signed allow-list, 2 MiB): the
#: broker drops anything bigger before any client has to hold it in memory.
MAX_PACKET_BYTES = 2 * MAX_ACL_BYTES
PLUGIN_PATTERNS = (
    "/usr/lib/*/mosquitto_dynamic_security.so",
    "/usr/lib/mosquitto_dynamic_security.so",
    "/usr/local/lib/mosquitto_dynamic_security.so",
    "/usr/local/lib/*/mosquitto_dynamic_security.so",
    "/opt/homebrew/lib/mosquitto_dynamic_security.so",
)


def find_dynsec_plugin() -> str | None:
    """The dynamic-security plugin of the installed Mosquitto (Debian: /usr/lib/<arch>/)."""
    for pattern in PLUGIN_PATTERNS:
        for path in sorted(glob.glob(pattern)):
            if os.path.isfile(path):
                return path
    return None


def password_fields(password: str, *, salt: bytes | None = None) -> dict[str, Any]:
    """A client's ``password``, ``salt`` and ``iterations`` as the plugin stores them."""
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, PBKDF2_ITERATIONS)
    return {
        "password": base64.b64encode(digest).decode("ascii"),
        "salt": base64.b64encode(salt).decode("ascii"),
        "iterations": PBKDF2_ITERATIONS,
    }


def _allow(acltype: str, topic: str) -> dict[str, Any]:
    return {"acltype": acltype, "topic": topic, "priority": 0, "allow": True}


def server_role() -> dict[str, Any]:
    """The gateway's role: every topic of the contract, and the plugin's control topics."""
    acls = []
    for topic in (f"{topics.PREFIX}#", CONTROL_FILTER):
        acls += [
            _allow("publishClientSend", topic),
            _allow("publishClientReceive", topic),
            _allow("subscribePattern", topic),
            _allow("unsubscribePattern", topic),
        ]
    return {"rolename": SERVER_ROLE, "textname": "incubator server processes", "acls": acls}


def dynsec_state(gateway_username: str, gateway_password: str) -> dict[str, Any]:
    return {
        "defaultACLAccess": {
            "publishClientSend": False,
            "publishClientReceive": True,
            "subscribe": False,
            "unsubscribe": True,
        },
        "clients": [
            {
                "username": gateway_username,
                "textname": "incubator gateway",
                **password_fields(gateway_password),
                "roles": [{"rolename": SERVER_ROLE, "priority": 0}],
            }
        ],
        "groups": [],
        "roles": [server_role()],
    }


def render_conf(*, directory: Path, port: int, plugin: str, user: str | None) -> str:
    lines = [
        "# Mosquitto for the makers incubator, written by `incubator mqtt write-config`.",
        "# See deploy/mosquitto/README.md for the production version and what each line is for.",
        "per_listener_settings false",
        "",
        "# Only local clients here: the gateway, and devices through the TLS listener below.",
        f"listener {port} 127.0.0.1",
        "allow_anonymous false",
        "# A device's client id is its username, so no client can take over another's session.",
        "use_username_as_clientid true",
        "",
        "# Accounts and ACLs: Mosquitto's dynamic-security plugin, managed by the gateway.",
        f"plugin {plugin}",
        f"plugin_opt_config_file {directory / DYNSEC_NAME}",
        "",
        "# Nagle off: without it every QoS 1 round trip waits 40-90 ms for a delayed ACK.",
        "set_tcp_nodelay true",
        "",
        "# Retained allow-lists and queued messages survive a restart.",
        "persistence true",
        f"persistence_location {directory}/",
        "persistence_file mosquitto.db",
        "autosave_interval 60",
        "# Sessions of devices gone for good are dropped after two weeks.",
        "persistent_client_expiration 14d",
        "",
        "# A stock broker drops QoS 1 messages silently past 1000 queued per client.",
        f"max_queued_messages {MAX_QUEUED_MESSAGES}",
        f"max_inflight_messages {MAX_INFLIGHT_MESSAGES}",
        "# Nothing a client publishes may be bigger than the protocol's largest message.",
        f"max_packet_size {MAX_PACKET_BYTES}",
        "",
        "log_dest stderr",
        "log_type error",
        "log_type warning",
        "log_type notice",
        "log_type information",
        "log_timestamp true",
        "connection_messages true",
    ]
    if user:
        lines += [
            "",
            "# The account Mosquitto runs as after it has opened its listeners.",
            f"user {user}",
        ]
    lines += [
        "",
        "# Devices on the network connect with TLS (certificates: deploy/mosquitto/README.md):",
        "# listener 8883 0.0.0.0",
        "# certfile /etc/mosquitto/certs/fullchain.pem",
        "# keyfile /etc/mosquitto/certs/privkey.pem",
        "# tls_version tlsv1.2",
    ]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Written:
    conf: Path
    dynsec: Path
    dynsec_kept: bool


def write_config(
    directory: Path,
    *,
    port: int,
    gateway_username: str,
    gateway_password: str,
    plugin: str,
    user: str | None = None,
    force: bool = False,
) -> Written:
    """Write both files; an existing dynamic-security.json (live accounts) stays unless `force`."""
    directory = directory.resolve()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    conf = directory / CONF_NAME
    dynsec = directory / DYNSEC_NAME
    _write(conf, render_conf(directory=directory, port=port, plugin=plugin, user=user), 0o640)
    kept = dynsec.exists() and not force
    if not kept:
        state = dynsec_state(gateway_username, gateway_password)
        _write(dynsec, json.dumps(state, indent=2) + "\n", 0o600)
    owner = user or "mosquitto"
    if os.geteuid() == 0 and owner != "root":
        _give_to(owner, directory, conf, dynsec)
    return Written(conf=conf, dynsec=dynsec, dynsec_kept=kept)


def _write(path: Path, text: str, mode: int) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def _give_to(username: str, *paths: Path) -> None:
    """As root: Mosquitto reads and rewrites these after dropping to its own user."""
    try:
        account = pwd.getpwnam(username)
    except KeyError:
        return
    for path in paths:
        os.chown(path, account.pw_uid, account.pw_gid)
