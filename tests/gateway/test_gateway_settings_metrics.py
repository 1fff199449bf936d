"""The gateway's settings from the app config, and its Prometheus metrics."""

import urllib.request

import pytest

from app.gateway.metrics import GatewayMetrics
from app.gateway.metrics_server import MetricsServer
from app.gateway.settings import GatewaySettings, SettingsError, parse_broker_url

BASE = {"SIGNING_KEY_FILE": "/k/signing.key", "BADGE_KEY_FILE": "/k/badge.key"}


def test_the_broker_url_names_the_gateways_account():
    broker = parse_broker_url("mqtts://gate%40way:p%3Ass@broker.example:8884")

    assert (broker.host, broker.port, broker.username, broker.password, broker.tls) == (
        "broker.example",
        8884,
        "gate@way",
        "p:ss",
        True,
    )
    assert "p:ss" not in repr(broker)


@pytest.mark.parametrize(
    "url",
    ["mqtt://127.0.0.1:1883", "mqtt://user@127.0.0.1", "http://u:p@host", "mqtt://u:p@:1883", ""],
)
def test_a_url_without_an_account_or_host_is_refused(url):
    with pytest.raises(SettingsError):
        parse_broker_url(url)


def test_defaults_apply_and_environment_values_are_converted():
    settings = GatewaySettings.from_config(
        BASE | {"MQTT_URL": "mqtt://gateway:pw@localhost", "GATEWAY_KEEPALIVE_S": "5"}
    )

    assert (settings.broker.port, settings.metrics_port, settings.keepalive_s) == (1883, 9108, 5)
    assert (settings.protocol, settings.dynsec, settings.outbox_poll_s) == ("auto", True, 0.25)


@pytest.mark.parametrize(
    "config",
    [
        {"MQTT_URL": "mqtt://g:p@h", "GATEWAY_PROTOCOL": "4"},
        {"MQTT_URL": "mqtt://g:p@h", "GATEWAY_BATCH_SIZE": "many"},
        {"MQTT_URL": "mqtt://g:p@h", "SIGNING_KEY_FILE": None},
    ],
)
def test_bad_settings_are_refused_with_a_message(config):
    with pytest.raises(SettingsError):
        GatewaySettings.from_config(BASE | config)


def test_metrics_render_as_prometheus_text():
    metrics = GatewayMetrics()
    metrics.auth_answered.inc(reason="ok")
    metrics.reject("req/auth", 'we"ird')
    metrics.gauge("gateway_connected", "Connected.", lambda: True)

    text = metrics.render()

    assert "# TYPE gateway_auth_answered_total counter" in text
    assert 'gateway_auth_answered_total{reason="ok"} 1' in text
    assert 'gateway_rejects_total{topic="req/auth",reason="we\\"ird"} 1' in text
    assert "gateway_events_stored_total 0" in text
    assert "gateway_connected 1" in text


def test_the_metrics_server_answers_on_loopback_only():
    metrics = GatewayMetrics()
    metrics.events_stored.inc(3)
    server = MetricsServer(metrics, 0).start()
    try:
        url = f"http://127.0.0.1:{server.port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as response:
            body = response.read().decode()
            content_type = response.headers["Content-Type"]
    finally:
        server.stop()

    assert "gateway_events_stored_total 3" in body
    assert content_type.startswith("text/plain; version=0.0.4")
    assert server._server.server_address[0] == "127.0.0.1"
