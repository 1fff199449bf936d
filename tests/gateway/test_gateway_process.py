"""`incubator gateway` as a process: configured from INCUBATOR_* variables, stopped by SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid

import pytest

from bridge_protocol import topics
from bridge_protocol.wire import now_ms
from tests.support import mosquitto
from tests.support.gateway_rig import ROOT_DIR, GatewaySystem, gateway_url
from tests.support.mosquitto import GATEWAY, MONITOR, Broker

pytestmark = [pytest.mark.mqtt, pytest.mark.db]


def state(message) -> str:
    return str(message.json()["state"])


def test_the_gateway_command_answers_and_says_offline_when_terminated(tmp_path):
    broker = Broker(tmp_path / "mosquitto", binary=mosquitto.require_mosquitto())
    broker.add_server(GATEWAY)
    broker.add_server(MONITOR)
    broker.start()
    system = GatewaySystem(broker, tmp_path / "gateway")
    log = (tmp_path / "gateway.log").open("w")
    process = None
    try:
        dev = system.add_device("door")
        monitor = system.monitor()
        monitor.subscribe(topics.SERVER_STATUS)
        config = system.app.config
        env = {
            **os.environ,
            "INCUBATOR_SQLALCHEMY_DATABASE_URI": system.database_url,
            "INCUBATOR_MQTT_URL": gateway_url(broker),
            "INCUBATOR_SIGNING_KEY_FILE": config["SIGNING_KEY_FILE"],
            "INCUBATOR_BADGE_KEY_FILE": config["BADGE_KEY_FILE"],
            "INCUBATOR_INSTANCE_PATH": str(tmp_path / "instance"),
            "INCUBATOR_GATEWAY_METRICS_PORT": "-1",
            "INCUBATOR_GATEWAY_DYNSEC": "false",
            "INCUBATOR_GATEWAY_KEEPALIVE_S": "2",
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "gateway"],
            env=env,
            cwd=ROOT_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        monitor.wait_for(lambda m: state(m) == "online", topic=topics.SERVER_STATUS)

        device = system.device_client(dev)
        device.subscribe(topics.device_down_filter(dev))
        ts, req = now_ms(), str(uuid.uuid4())
        request = {"v": 1, "req": req, "dev": dev, "badge": "04AB12CD", "ts": ts, "exp": ts + 5000}
        device.publish(topics.auth_request(dev), json.dumps(request))
        answer = json.loads(device.wait_for(topic=topics.auth_response(dev)).json()["body"])
        assert (answer["req"], answer["granted"], answer["reason"]) == (req, False, "unknown_badge")

        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0
        monitor.wait_for(lambda m: state(m) == "offline", topic=topics.SERVER_STATUS)
    finally:
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(10)
        log.close()
        system.close()
        broker.close()
