"""Fixtures for the gateway's unit tests: a fake link, devices, the workers.

The workers run in the test's thread against the test's session (`db_session`),
so everything they write is rolled back after the test. Their publishes go to
`FakeLink` (tests/gateway/helpers.py), which records them.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.gateway.ingest import IngestWorker
from app.gateway.metrics import GatewayMetrics
from app.gateway.rejects import Rejects
from app.gateway.snapshots import SnapshotHolder
from bridge_protocol import keys
from bridge_protocol.signing import Signer, Verifier
from tests.gateway.helpers import FakeLink


@pytest.fixture
def link() -> FakeLink:
    return FakeLink()


@pytest.fixture
def metrics() -> GatewayMetrics:
    return GatewayMetrics()


@pytest.fixture
def signing_key() -> Ed25519PrivateKey:
    return keys.generate_signing_key()


@pytest.fixture
def signer(signing_key: Ed25519PrivateKey) -> Signer:
    return Signer(signing_key)


@pytest.fixture
def verifier(signing_key: Ed25519PrivateKey) -> Verifier:
    return Verifier.from_keys(signing_key.public_key())


@pytest.fixture
def ingest(app, link, metrics) -> IngestWorker:  # type: ignore[no-untyped-def]
    return IngestWorker(
        app,
        publisher=link,
        snapshots=SnapshotHolder(),
        metrics=metrics,
        rejects=Rejects(metrics),
    )


@pytest.fixture
def make_device(db_session):  # type: ignore[no-untyped-def]
    from app.models import Device, DeviceKind

    counter = itertools.count(1)

    def build(kind: str = "door", resource: Any = None, **fields: Any) -> Device:
        device = Device(
            id=fields.pop("id", f"{kind}-g{next(counter)}"),
            kind=DeviceKind(kind),
            resource=resource,
            versions={},
            **fields,
        )
        db_session.add(device)
        db_session.commit()
        return device

    return build
