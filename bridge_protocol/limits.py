"""Size limits. A receiver drops a payload above its limit before decoding it."""

from __future__ import annotations

from bridge_protocol.topics import TopicKind

MAX_STATUS_BYTES = 1024
MAX_EVENT_BYTES = 2048
MAX_AUTH_REQUEST_BYTES = 1024
MAX_CMD_ACK_BYTES = 1024
MAX_ACL_BYTES = 2 * 1024 * 1024
MAX_AUTH_RESPONSE_BYTES = 2048
MAX_EVENT_ACK_BYTES = 48 * 1024
MAX_COMMAND_BYTES = 2048
MAX_SERVER_STATUS_BYTES = 256
MAX_SIM_SCAN_BYTES = 512

#: The limit for each device topic.
MAX_PAYLOAD_BYTES: dict[TopicKind, int] = {
    TopicKind.STATUS: MAX_STATUS_BYTES,
    TopicKind.EVENT: MAX_EVENT_BYTES,
    TopicKind.AUTH_REQUEST: MAX_AUTH_REQUEST_BYTES,
    TopicKind.CMD_ACK: MAX_CMD_ACK_BYTES,
    TopicKind.ACL: MAX_ACL_BYTES,
    TopicKind.AUTH_RESPONSE: MAX_AUTH_RESPONSE_BYTES,
    TopicKind.EVENT_ACK: MAX_EVENT_ACK_BYTES,
    TopicKind.COMMAND: MAX_COMMAND_BYTES,
}

MAX_ACL_ENTRIES = 5000
MAX_INTERVALS = 200
MAX_ACK_IDS = 500
MAX_REJECTED = 100

#: Longest validity a sender may give each kind of signed body.
MAX_AUTH_RESPONSE_TTL_MS = 60_000
MAX_COMMAND_TTL_MS = 5 * 60_000
MAX_ACL_TTL_MS = 31 * 86_400_000
#: Longest an access request may stay answerable.
MAX_AUTH_REQUEST_TTL_MS = 10_000
