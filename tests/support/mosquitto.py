"""A real Mosquitto broker for tests and benchmarks, configured like production.

`Broker` writes its own config in a directory of its own: one listener on a
free port of 127.0.0.1, no anonymous clients, a password file, an ACL that
confines every device to its own topics (the same ``%u`` patterns that
`bridge_protocol.topics` gives the production broker), server accounts with
full access to ``incubator/v1/#``, Nagle off, persistence in the directory and
a raised ``max_queued_messages``. It starts ``mosquitto -c`` as a child process
and can stop, restart (same port, retained messages kept), pause and resume it
(SIGSTOP/SIGCONT: the broker stops answering without closing any socket, as a
dead Wi-Fi link looks to a client).

Run as root, Mosquitto switches to its own user before it reads its files; the
config then says ``user root`` (Mosquitto 2.0 accepts it and only warns), so
the files can stay private to the test. Run as anyone else, ``user`` has no
effect and is left out.

Passwords are written in Mosquitto's own ``$7$`` format (PBKDF2-HMAC-SHA512,
12-byte salt, 101 iterations, as ``mosquitto_passwd`` writes them), so the
tests need no ``mosquitto_passwd`` and no plaintext password ever hits the disk.
"""

from __future__ import annotations

import base64
import contextlib
import enum
import hashlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from bridge_protocol import topics

HOST = "127.0.0.1"
#: the server accounts the integration fixtures create: the server double's and the watcher's
GATEWAY = "gateway"
MONITOR = "monitor"
INSTALL_HINT = "mosquitto not installed: apt-get install mosquitto (or set MOSQUITTO_BIN)"
_SEARCH_PATHS = ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto", "/opt/homebrew/sbin/mosquitto")
_PBKDF2_ITERATIONS = 101
_START_TIMEOUT_S = 10.0
_STOP_TIMEOUT_S = 5.0


class MosquittoNotFound(RuntimeError):
    """No mosquitto binary on this machine."""


class BrokerError(RuntimeError):
    """The broker would not start (the message carries the tail of its log)."""


class Role(enum.StrEnum):
    #: confined by the ``%u`` patterns: publish ``d/<user>/up/#``, read ``d/<user>/down/#``
    DEVICE = "device"
    #: the gateway, the server double, monitors: read and write ``incubator/v1/#``
    SERVER = "server"


@dataclass(frozen=True)
class Account:
    username: str
    password: str
    role: Role = Role.DEVICE


def find_mosquitto() -> str | None:
    """The mosquitto binary: $MOSQUITTO_BIN, then PATH, then the usual sbin directories."""
    candidates = [os.environ.get("MOSQUITTO_BIN"), shutil.which("mosquitto"), *_SEARCH_PATHS]
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def require_mosquitto() -> str:
    """The binary's path, or skip the test (fail it under CI=true, where it must be there)."""
    import pytest

    binary = find_mosquitto()
    if binary is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {INSTALL_HINT}", pytrace=False)
        pytest.skip(INSTALL_HINT)
    return binary


def free_port(host: str = HOST) -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_for_port(host: str, port: int, timeout: float = _START_TIMEOUT_S) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return True
        time.sleep(0.02)
    return False


def mosquitto_password_hash(password: str, *, salt: bytes | None = None) -> str:
    """A ``$7$`` password hash, the format mosquitto_passwd 2.x writes."""
    salt = salt if salt is not None else secrets.token_bytes(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, _PBKDF2_ITERATIONS)
    b64 = base64.b64encode
    return f"$7${_PBKDF2_ITERATIONS}${b64(salt).decode()}${b64(digest).decode()}"


def new_password() -> str:
    return secrets.token_urlsafe(18)


class Broker:
    """One Mosquitto process with a config written for the test.

    ``with Broker() as broker:`` starts it and stops it. Accounts are added
    with `add_user` (before or after the start: a running broker reloads its
    password and ACL files on SIGHUP, and `add_user` waits until the new
    account can log in).
    """

    def __init__(
        self,
        workdir: str | os.PathLike[str] | None = None,
        *,
        port: int | None = None,
        sim_scan: bool = False,
        verbose_log: bool = True,
        max_queued_messages: int = 100_000,
        binary: str | None = None,
    ) -> None:
        found = binary or find_mosquitto()
        if found is None:
            raise MosquittoNotFound(INSTALL_HINT)
        self.binary = found
        self._own_dir = workdir is None
        self.dir = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="mqt-"))
        self.dir.mkdir(parents=True, exist_ok=True)
        self.host = HOST
        self.port = port if port is not None else free_port()
        self.sim_scan = sim_scan
        self.verbose_log = verbose_log
        self.max_queued_messages = max_queued_messages
        self.accounts: dict[str, Account] = {}
        self._process: subprocess.Popen[bytes] | None = None
        self._paused = False
        self._finalizer = weakref.finalize(self, _kill_quietly, None)

    # -- paths and URLs ---------------------------------------------------------

    @property
    def config_path(self) -> Path:
        return self.dir / "mosquitto.conf"

    @property
    def password_path(self) -> Path:
        return self.dir / "passwd"

    @property
    def acl_path(self) -> Path:
        return self.dir / "acl"

    @property
    def log_path(self) -> Path:
        return self.dir / "mosquitto.log"

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def is_running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def is_paused(self) -> bool:
        return self._paused

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    # -- accounts ---------------------------------------------------------------

    def add_user(
        self, name: str, password: str | None = None, *, role: Role | str = Role.DEVICE
    ) -> Account:
        """Create (or replace) an account; returns it with its password."""
        if not name or any(c in name for c in ":\n\r\0 ") or name.startswith("#"):
            raise ValueError(f"{name!r} cannot be a Mosquitto username")
        account = Account(name, password if password is not None else new_password(), Role(role))
        self.accounts[name] = account
        self._write_auth_files()
        if self.is_running:
            self._reload()
            self._wait_until_login_works(account)
        return account

    def add_device(self, dev: str, password: str | None = None) -> Account:
        """A device account; the username is the device id, as in production."""
        return self.add_user(topics.check_device_id(dev), password, role=Role.DEVICE)

    def add_server(self, name: str = "server", password: str | None = None) -> Account:
        return self.add_user(name, password, role=Role.SERVER)

    def account(self, name: str) -> Account:
        return self.accounts[name]

    # -- lifecycle --------------------------------------------------------------

    def start(self) -> Broker:
        if self.is_running:
            return self
        self._write_config()
        self._write_auth_files()
        with (self.dir / "stderr.log").open("ab") as stderr:
            self._process = subprocess.Popen(
                [self.binary, "-c", str(self.config_path)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                cwd=self.dir,
            )
        self._paused = False
        self._finalizer.detach()
        self._finalizer = weakref.finalize(self, _kill_quietly, self._process)
        if not wait_for_port(self.host, self.port) or not self.is_running:
            tail = "\n".join(self.log_text().splitlines()[-20:])
            self.stop()
            raise BrokerError(f"mosquitto did not start on {self.url}:\n{tail}")
        return self

    def stop(self) -> None:
        """Stop gracefully (SIGTERM: Mosquitto saves its persistence file), or kill."""
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            if self._paused:
                process.send_signal(signal.SIGCONT)
            process.terminate()
            try:
                process.wait(_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(_STOP_TIMEOUT_S)
        self._process = None
        self._paused = False

    def kill(self) -> None:
        """SIGKILL: no goodbye, no persistence save."""
        process = self._process
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(_STOP_TIMEOUT_S)
        self._process = None
        self._paused = False

    def restart(self, *, down_s: float = 0.0) -> None:
        """Stop, stay down `down_s` seconds, start again on the same port with the same data."""
        self.stop()
        if down_s > 0:
            time.sleep(down_s)
        self.start()

    def pause(self) -> None:
        """SIGSTOP the broker: sockets stay open, nothing is answered."""
        if not self.is_running:
            raise BrokerError("the broker is not running")
        assert self._process is not None
        self._process.send_signal(signal.SIGSTOP)
        self._paused = True

    def resume(self) -> None:
        if self._process is not None and self._paused:
            self._process.send_signal(signal.SIGCONT)
        self._paused = False

    def close(self) -> None:
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> Broker:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "paused" if self._paused else "running" if self.is_running else "stopped"
        return f"<Broker {self.url} {state}>"

    # -- files ------------------------------------------------------------------

    def _write_config(self) -> None:
        lines = [
            "# written by tests/support/mosquitto.py",
            "per_listener_settings false",
            f"listener {self.port} {self.host}",
            "allow_anonymous false",
            f"password_file {self.password_path}",
            f"acl_file {self.acl_path}",
            # as in production: the device id is the client id, so the ACL's %u is the device
            "use_username_as_clientid true",
            "set_tcp_nodelay true",
            "persistence true",
            f"persistence_location {self.dir}/",
            "persistence_file mosquitto.db",
            f"max_queued_messages {self.max_queued_messages}",
            f"log_dest file {self.log_path}",
            "log_timestamp true",
            "connection_messages true",
        ]
        log_types = ("all",) if self.verbose_log else ("error", "warning", "notice")
        lines.extend(f"log_type {kind}" for kind in log_types)
        if os.geteuid() == 0:
            # As root, Mosquitto would drop to the mosquitto user, which cannot read
            # this directory; `user root` keeps it as root (2.0 warns and goes on).
            lines.append("user root")
        _write_private(self.config_path, "\n".join(lines) + "\n")

    def _write_auth_files(self) -> None:
        passwd = "".join(
            f"{a.username}:{mosquitto_password_hash(a.password)}\n" for a in self.accounts.values()
        )
        _write_private(self.password_path, passwd)
        _write_private(self.acl_path, render_acl(self.accounts.values(), sim_scan=self.sim_scan))

    def _reload(self) -> None:
        assert self._process is not None
        if self._paused:
            raise BrokerError("cannot reload a paused broker")
        self._process.send_signal(signal.SIGHUP)

    def _wait_until_login_works(self, account: Account, timeout: float = 10.0) -> None:
        from tests.support.mqtt_client import try_login

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if try_login(self.host, self.port, account.username, account.password):
                return
            time.sleep(0.05)
        raise BrokerError(f"{account.username} cannot log in after the reload")


def render_acl(accounts: Iterable[Account], *, sim_scan: bool = False) -> str:
    """The ACL file: devices through ``%u`` patterns, servers by name.

    Pattern lines apply to every user, server accounts included (harmless:
    they add nothing a server lacks). Anything not granted is refused.
    """
    prefix = topics.PREFIX
    lines = [
        "# devices: publish only under their own up/, read only their own down/",
        f"pattern write {topics.device_publish_acl()}",
        f"pattern read {topics.device_subscribe_acl()}",
    ]
    if sim_scan:
        lines.append(f"pattern read {topics.SIM_SCAN_TEMPLATE.format(dev='%u')}")
    for account in accounts:
        lines.extend(["", f"user {account.username}"])
        if account.role is Role.SERVER:
            lines.append(f"topic readwrite {prefix}#")
        else:
            # a user line, not a pattern: Mosquitto warns about patterns without %u
            lines.append(f"topic read {topics.SERVER_STATUS}")
    return "\n".join(lines) + "\n"


def _write_private(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(text)
    os.replace(tmp, path)


def _kill_quietly(process: subprocess.Popen[bytes] | None) -> None:
    if process is not None and process.poll() is None:
        with contextlib.suppress(OSError):
            process.send_signal(signal.SIGCONT)
            process.kill()
            process.wait(_STOP_TIMEOUT_S)
