"""A small TCP proxy that a test can use to break the network between a client and the broker.

Point the client at ``proxy.port`` instead of the broker's. Then:

* `cut` resets every open connection and refuses new ones (each is accepted
  and reset at once), as an unplugged cable or a restarted access point looks
  to a client that notices;
* `stall` stops forwarding bytes but keeps every connection open, as a Wi-Fi
  link that died silently looks: only keepalives and timeouts notice it;
* `restore` forwards again (stalled connections resume where they were).

Everything runs in one thread with a selector; the proxy never looks inside
the bytes it forwards.
"""

from __future__ import annotations

import contextlib
import enum
import selectors
import socket
import struct
import threading
from types import TracebackType

_CHUNK = 65536
_SEND_TIMEOUT_S = 5.0


class Mode(enum.Enum):
    FORWARD = "forward"
    CUT = "cut"
    STALL = "stall"


class _Pair:
    def __init__(self, client: socket.socket, upstream: socket.socket) -> None:
        self.client = client
        self.upstream = upstream

    def peer_of(self, sock: socket.socket) -> socket.socket:
        return self.upstream if sock is self.client else self.client

    def sockets(self) -> tuple[socket.socket, socket.socket]:
        return self.client, self.upstream


class TcpProxy:
    def __init__(
        self, target_host: str, target_port: int, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.target = (target_host, target_port)
        self.host = host
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((host, port))
        self._listener.listen(64)
        self._listener.setblocking(False)
        self.port: int = self._listener.getsockname()[1]
        self._wake_r, self._wake_w = socket.socketpair()
        self._selector = selectors.DefaultSelector()
        self._pairs: list[_Pair] = []
        self._mode = Mode.FORWARD
        self._lock = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="TcpProxy", daemon=True)
        self.accepted = 0

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    @property
    def mode(self) -> Mode:
        return self._mode

    @property
    def connections(self) -> int:
        with self._lock:
            return len(self._pairs)

    def start(self) -> TcpProxy:
        self._selector.register(self._listener, selectors.EVENT_READ, "accept")
        self._selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        self._thread.start()
        return self

    def cut(self) -> None:
        self._set_mode(Mode.CUT)

    def stall(self) -> None:
        self._set_mode(Mode.STALL)

    def restore(self) -> None:
        self._set_mode(Mode.FORWARD)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._wake()
        if self._thread.is_alive():
            self._thread.join(5)

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- the proxy thread ----------------------------------------------------------

    def _set_mode(self, mode: Mode) -> None:
        with self._lock:
            self._mode = mode
        self._wake()

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")

    def _run(self) -> None:
        try:
            while not self._closed:
                for key, _events in self._selector.select(timeout=0.5):
                    if key.data == "accept":
                        self._accept()
                    elif key.data == "wake":
                        self._wake_r.recv(4096)
                        self._apply_mode()
                    else:
                        self._forward(key.fileobj, key.data)  # type: ignore[arg-type]
        finally:
            for pair in list(self._pairs):
                self._drop(pair, reset=True)
            self._selector.close()
            for sock in (self._listener, self._wake_r, self._wake_w):
                sock.close()

    def _accept(self) -> None:
        try:
            client, _addr = self._listener.accept()
        except OSError:
            return
        self.accepted += 1
        if self._mode is Mode.CUT:
            _reset(client)
            return
        try:
            upstream = socket.create_connection(self.target, timeout=2)
        except OSError:
            _reset(client)
            return
        for sock in (client, upstream):
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pair = _Pair(client, upstream)
        with self._lock:
            self._pairs.append(pair)
        if self._mode is Mode.FORWARD:
            self._watch(pair)

    def _apply_mode(self) -> None:
        mode = self._mode
        for pair in list(self._pairs):
            if mode is Mode.CUT:
                self._drop(pair, reset=True)
            elif mode is Mode.STALL:
                self._unwatch(pair)
            else:
                self._watch(pair)

    def _watch(self, pair: _Pair) -> None:
        for sock in pair.sockets():
            with contextlib.suppress(KeyError, ValueError):
                self._selector.register(sock, selectors.EVENT_READ, pair)

    def _unwatch(self, pair: _Pair) -> None:
        for sock in pair.sockets():
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(sock)

    def _forward(self, sock: socket.socket, pair: _Pair) -> None:
        try:
            data = sock.recv(_CHUNK)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._drop(pair, reset=False)
            return
        try:
            peer = pair.peer_of(sock)
            peer.settimeout(_SEND_TIMEOUT_S)  # a paused broker must not hang the proxy
            peer.sendall(data)
            peer.setblocking(False)
        except OSError:
            self._drop(pair, reset=True)

    def _drop(self, pair: _Pair, *, reset: bool) -> None:
        self._unwatch(pair)
        with self._lock:
            if pair in self._pairs:
                self._pairs.remove(pair)
        for sock in pair.sockets():
            if reset:
                _reset(sock)
            else:
                sock.close()


def _reset(sock: socket.socket) -> None:
    """Close with an RST rather than a FIN: the other end sees a broken connection."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
