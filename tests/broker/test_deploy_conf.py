"""deploy/mosquitto/mosquitto.conf runs: a real Mosquitto on it, with its TLS listener.

Only what a test machine cannot have is changed: ports, file locations, the
log destination, and ``user root`` when the tests run as root.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from app.broker.connection import BrokerUnreachable, BrokerUrl, connect, disconnect
from app.broker.dynsec import DynsecClient
from app.broker.mosquitto_config import find_dynsec_plugin, write_config
from tests.support.mosquitto import HOST, free_port, require_mosquitto, wait_for_port

pytestmark = pytest.mark.mqtt
DEPLOYED = Path(__file__).parents[2] / "deploy" / "mosquitto" / "mosquitto.conf"
GATEWAY_PASSWORD = "deploy-test-gateway-password"


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(HOST))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "fullchain.pem", directory / "privkey.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def adapted(text: str, *, directory: Path, local: int, tls: int, plugin: str) -> str:
    cert, key = self_signed(directory)
    replacements = {
        r"^listener 1883 127\.0\.0\.1$": f"listener {local} {HOST}",
        r"^listener 8883$": f"listener {tls} {HOST}",
        r"^certfile .*$": f"certfile {cert}",
        r"^keyfile .*$": f"keyfile {key}",
        r"^plugin /.*$": f"plugin {plugin}",
        r"^plugin_opt_config_file .*$": f"plugin_opt_config_file {directory}/dynamic-security.json",
        r"^persistence_location .*$": f"persistence_location {directory}/",
        r"^log_dest syslog$": "log_dest stderr",
    }
    for pattern, replacement in replacements.items():
        text, count = re.subn(pattern, replacement, text, flags=re.M)
        assert count == 1, f"deploy config has no line {pattern}"
    return text + ("user root\n" if os.geteuid() == 0 else "")


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    binary = require_mosquitto()
    plugin = find_dynsec_plugin()
    if plugin is None:
        pytest.skip("no mosquitto_dynamic_security.so")
    directory = tmp_path_factory.mktemp("deployed")
    local, tls = free_port(), free_port()
    write_config(
        directory,
        port=local,
        gateway_username="gateway",
        gateway_password=GATEWAY_PASSWORD,
        plugin=plugin,
        user="root" if os.geteuid() == 0 else None,
    )
    conf = directory / "production.conf"
    conf.write_text(
        adapted(DEPLOYED.read_text(), directory=directory, local=local, tls=tls, plugin=plugin)
    )
    log = (directory / "log").open("wb")
    process = subprocess.Popen([binary, "-c", str(conf)], stdout=log, stderr=log)
    try:
        assert wait_for_port(HOST, local), (directory / "log").read_text()
        assert wait_for_port(HOST, tls), (directory / "log").read_text()
        yield {"local": local, "tls": tls, "ca": str(directory / "fullchain.pem")}
    finally:
        process.terminate()
        process.wait(5)
        log.close()


def test_the_gateway_logs_in_locally_and_a_device_over_tls(deployed):
    gateway = connect(f"mqtt://gateway:{GATEWAY_PASSWORD}@{HOST}:{deployed['local']}")
    try:
        control = DynsecClient(gateway)
        control.create_or_update_device("door-tls", "door-tls-password-0123")
        url = BrokerUrl("mqtts", HOST, deployed["tls"], "door-tls", "door-tls-password-0123")
        device = connect(url, ca_file=deployed["ca"], timeout=5)
        disconnect(device)
        control.close()
    finally:
        disconnect(gateway)


def test_the_tls_listener_refuses_plain_mqtt_and_strangers(deployed):
    with pytest.raises(BrokerUnreachable):
        connect(BrokerUrl("mqtts", HOST, deployed["tls"], "nobody", "x"), ca_file=deployed["ca"])
    with pytest.raises(BrokerUnreachable):
        connect(BrokerUrl("mqtt", HOST, deployed["tls"], "gateway", GATEWAY_PASSWORD), timeout=2)
