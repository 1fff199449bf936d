"""Helpers of the concurrency tests: a real server (gunicorn, several processes with
several threads each) on a database of its own, and a plain HTTP client.

The data is prepared before the server starts (migrations through the CLI, rows
through the services in an app of this process); the server then only sees
committed rows, as in production.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
ALWAYS_OPEN = {
    day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
}
CLIENTS = 20
# 4 processes x 5 threads: all 20 requests are in the server at once.
WORKERS, THREADS = 4, 5


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class World:
    """What the tests know of the prepared data."""

    port: int
    engine: sa.Engine
    tokens: list[str] = field(default_factory=list)
    resource_ids: dict[str, int] = field(default_factory=dict)


def server_env(instance: Path, database_url: str, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INCUBATOR_")}
    env.update(
        INCUBATOR_ENV="testing",
        INCUBATOR_SECRET_KEY="concurrency-test-secret",
        INCUBATOR_INSTANCE_PATH=str(instance),
        INCUBATOR_SQLALCHEMY_DATABASE_URI=database_url,
        INCUBATOR_PUBLIC_URL=f"http://127.0.0.1:{port}",
        INCUBATOR_SIGNING_KEY_FILE=str(instance / "keys" / "signing.key"),
        INCUBATOR_BADGE_KEY_FILE=str(instance / "keys" / "badge.key"),
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def prepare(env: dict[str, str], database_url: str) -> tuple[list[str], dict[str, int]]:
    """Migrate, then add a tenant, 20 members with API tokens, and the resources."""
    subprocess.run(
        [sys.executable, "-m", "app.cli", "db", "upgrade"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )
    from app import create_app
    from app.extensions import db
    from app.models import Member, Resource, ResourceKind, Role, Sector, Tenant
    from app.services.api_tokens import create_api_token

    app = create_app(
        {
            "ENV": "testing",
            "SECRET_KEY": env["INCUBATOR_SECRET_KEY"],
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SIGNING_KEY_FILE": env["INCUBATOR_SIGNING_KEY_FILE"],
            "BADGE_KEY_FILE": env["INCUBATOR_BADGE_KEY_FILE"],
        }
    )
    now = dt.datetime.now(dt.UTC)
    rules: dict[str, Any] = {
        "opening_hours": ALWAYS_OPEN,
        "min_minutes": 15,
        "slot_minutes": 15,
        "max_minutes": 240,
        "horizon_days": 365,
    }
    with app.app_context():
        tenants = [
            Tenant(name=f"Tenant {n}", slug=f"tenant-{n}", sector=Sector.TECH) for n in (1, 2)
        ]
        members = [
            Member(
                email=f"racer{n}@example.org",
                name=f"Racer {n}",
                role=Role.MEMBER,
                tenant=tenants[n % 2],
            )
            for n in range(CLIENTS)
        ]
        fablab = Resource(slug="fablab", name="Fablab", kind=ResourceKind.ROOM, **rules)
        resources = [
            Resource(slug="room", name="Room", kind=ResourceKind.ROOM, **rules),
            Resource(slug="studio", name="Studio", kind=ResourceKind.ROOM, **rules),
            fablab,
            Resource(slug="laser", name="Laser", kind=ResourceKind.MACHINE, parent=fablab, **rules),
            Resource(slug="cnc", name="CNC", kind=ResourceKind.MACHINE, parent=fablab, **rules),
        ]
        db.session.add_all([*tenants, *members, *resources])
        db.session.flush()
        tokens = [
            create_api_token(member=m, name="race", expires_at=None, now=now)[1] for m in members
        ]
        ids = {r.slug: r.id for r in resources}
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return tokens, ids


def request(port: int, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
    """One HTTP request to the server on 127.0.0.1; the JSON answer, parsed."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, **kwargs)
        answer = connection.getresponse()
        data = answer.read()
        return answer.status, json.loads(data) if data else None
    finally:
        connection.close()


def post_json(port: int, path: str, token: str, body: dict[str, Any]) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    return request(port, "POST", path, body=json.dumps(body), headers=headers)


def wait_until_up(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            if request(port, "GET", "/api/openapi.json")[0] == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not come up within 60 s")


def start_server(env: dict[str, str], port: int, log: Any) -> subprocess.Popen[bytes]:
    """gunicorn with threaded workers, in a session of its own (stopped by its process group)."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(WORKERS),
            "--worker-class",
            "gthread",
            "--threads",
            str(THREADS),
            "--graceful-timeout",
            "5",
            "app:create_app()",
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
