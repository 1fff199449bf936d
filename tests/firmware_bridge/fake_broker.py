"""A tiny MQTT broker for the link tests: it can refuse MQTT 5 like amqtt 0.12 does.

It speaks just enough MQTT 3.1.1 (and the CONNECT of MQTT 5) to accept one
client at a time, answer SUBSCRIBE, PUBLISH (QoS 1) and PINGREQ, and record
what it saw. It is no broker for anything else.
"""

import contextlib
import socket
import struct
import threading
from dataclasses import dataclass, field


@dataclass
class Connect:
    level: int
    client_id: str
    will_topic: str | None
    will_payload: bytes | None
    will_retain: bool
    username: str | None
    clean: bool


@dataclass
class Seen:
    connects: list = field(default_factory=list)
    subscriptions: list = field(default_factory=list)
    publishes: list = field(default_factory=list)


def _read_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def _read_varint(read):
    value, shift = 0, 0
    while True:
        byte = read(1)[0]
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value
        shift += 7


def _string(body, pos):
    (length,) = struct.unpack_from("!H", body, pos)
    return body[pos + 2 : pos + 2 + length], pos + 2 + length


def _varint_at(body, pos):
    value, shift = 0, 0
    while True:
        byte = body[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def parse_connect(body):
    name, pos = _string(body, 0)
    if name != b"MQTT":
        raise ConnectionError("not MQTT")
    level, flags = body[pos], body[pos + 1]
    pos += 4  # level, flags, keepalive
    if level == 5:
        length, pos = _varint_at(body, pos)
        pos += length
    client_id, pos = _string(body, pos)
    will_topic = will_payload = username = None
    if flags & 0x04:
        if level == 5:
            length, pos = _varint_at(body, pos)
            pos += length
        topic, pos = _string(body, pos)
        will_payload, pos = _string(body, pos)
        will_topic = topic.decode()
    if flags & 0x80:
        name_bytes, pos = _string(body, pos)
        username = name_bytes.decode()
    return Connect(
        level=level,
        client_id=client_id.decode(),
        will_topic=will_topic,
        will_payload=will_payload,
        will_retain=bool(flags & 0x20),
        username=username,
        clean=bool(flags & 0x02),
    )


class FakeBroker:
    def __init__(self, *, refuse_mqtt5=True):
        self.refuse_mqtt5 = refuse_mqtt5
        self.seen = Seen()
        self.connected = threading.Event()
        self.subscribed = threading.Event()
        self.published = threading.Event()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def close(self):
        self._stop = True
        self._server.close()

    def _serve(self):
        while not self._stop:
            try:
                sock, _addr = self._server.accept()
            except OSError:
                return
            with sock, contextlib.suppress(ConnectionError, OSError, IndexError, struct.error):
                self._session(sock)

    def _session(self, sock):
        def read(n):
            return _read_exact(sock, n)

        self._level = 4
        while True:
            header = read(1)[0]
            body = read(_read_varint(read))
            kind = header >> 4
            if kind == 1:
                connect = parse_connect(body)
                self.seen.connects.append(connect)
                self._level = connect.level
                if connect.level == 5 and self.refuse_mqtt5:
                    sock.sendall(b"\x20\x02\x00\x01")  # 3.1.1 CONNACK: unacceptable protocol
                    return
                sock.sendall(b"\x20\x03\x00\x00\x00" if connect.level == 5 else b"\x20\x02\x00\x00")
                self.connected.set()
            elif kind == 8:
                self._subscribe(sock, body)
            elif kind == 3:
                self._publish(sock, header, body)
            elif kind == 12:
                sock.sendall(b"\xd0\x00")
            elif kind == 14:
                return

    def _subscribe(self, sock, body):
        packet_id = body[:2]
        pos, count = 2, 0
        if self._level == 5:
            length, pos = _varint_at(body, pos)
            pos += length
        while pos < len(body):
            topic, pos = _string(body, pos)
            pos += 1
            self.seen.subscriptions.append(topic.decode())
            count += 1
        props = b"\x00" if self._level == 5 else b""
        sock.sendall(bytes([0x90, 2 + len(props) + count]) + packet_id + props + b"\x01" * count)
        self.subscribed.set()

    def _publish(self, sock, header, body):
        qos = (header >> 1) & 0x03
        topic, pos = _string(body, 0)
        if qos:
            packet_id, pos = body[pos : pos + 2], pos + 2
            sock.sendall(b"\x40\x02" + packet_id)
        if self._level == 5:
            length, pos = _varint_at(body, pos)
            pos += length
        self.seen.publishes.append((topic.decode(), bytes(body[pos:]), bool(header & 0x01)))
        self.published.set()
