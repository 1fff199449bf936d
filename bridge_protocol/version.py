"""The protocol version and the compatibility rule.

Rule for version 1:

* Every message carries ``v``; senders always write it. A receiver treats a
  message without ``v`` as version 1 and drops any other value (reason
  ``unsupported_version``). A signed envelope's ``v`` covers its body.
* Unknown fields are refused, not ignored (``extra="forbid"``): a device that
  silently skipped a field it did not know could grant access that a newer
  server meant to restrict. So any change to a message, additive ones included,
  makes a new version; a receiver that speaks several versions picks the model
  by ``v``, and the server speaks to each device in the version it announces.
* Known enum values are closed lists within a version, except the free-form
  refusal codes (see `bridge_protocol.reasons`).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

PROTOCOL_VERSION = 1
SUPPORTED_VERSIONS = frozenset({PROTOCOL_VERSION})


def is_supported(version: object) -> bool:
    return type(version) is int and version in SUPPORTED_VERSIONS


#: The ``v`` field of every message. A plain ``Literal[1]`` would accept ``true``
#: (``True == 1`` in Python), so this is a strict integer pinned to 1.
Version = Annotated[
    int,
    Field(
        ge=PROTOCOL_VERSION,
        le=PROTOCOL_VERSION,
        json_schema_extra={"const": PROTOCOL_VERSION},
        description="protocol version",
    ),
]
