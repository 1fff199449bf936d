"""Configuration: runs with nothing set, refuses a production set-up that cannot be safe."""

import pytest

from app import create_app
from app.config import ConfigurationError


def test_development_defaults_need_no_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("INCUBATOR_INSTANCE_PATH", str(tmp_path))
    for name in ("INCUBATOR_ENV", "INCUBATOR_SECRET_KEY", "INCUBATOR_SQLALCHEMY_DATABASE_URI"):
        monkeypatch.delenv(name, raising=False)
    app = create_app()
    assert app.config["ENV"] == "development"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'incubator.sqlite'}"
    assert app.config["TIMEZONE"] == "Europe/Brussels"
    assert app.config["MQTT_URL"] == "mqtt://127.0.0.1:1883"
    assert app.config["SECRET_KEY"]
    assert app.config["SESSION_COOKIE_SECURE"] is False
    # the development secret survives a restart
    assert create_app().config["SECRET_KEY"] == app.config["SECRET_KEY"]


def test_environment_variables_override_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv("INCUBATOR_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("INCUBATOR_TIMEZONE", "Europe/Amsterdam")
    monkeypatch.setenv("INCUBATOR_PROXY_HOPS", "1")
    monkeypatch.setenv("INCUBATOR_PUBLIC_URL", "https://incubator.example.org")
    app = create_app()
    assert app.config["TIMEZONE"] == "Europe/Amsterdam"
    assert app.config["PROXY_HOPS"] == 1
    assert app.config["PUBLIC_URL"] == "https://incubator.example.org"


def test_unknown_time_zone_is_a_start_up_error(tmp_path, monkeypatch):
    monkeypatch.setenv("INCUBATOR_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(ConfigurationError, match="Mars/Olympus"):
        create_app({"TIMEZONE": "Mars/Olympus"})


def test_production_without_secret_or_keys_refuses_to_start(tmp_path, monkeypatch):
    monkeypatch.setenv("INCUBATOR_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(ConfigurationError) as caught:
        create_app({"ENV": "production", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    message = str(caught.value)
    assert "INCUBATOR_SECRET_KEY" in message
    assert "INCUBATOR_SIGNING_KEY_FILE" in message
    assert "INCUBATOR_BADGE_KEY_FILE" in message


def test_production_with_secret_and_keys_starts_with_secure_cookies(tmp_path, monkeypatch):
    monkeypatch.setenv("INCUBATOR_INSTANCE_PATH", str(tmp_path))
    signing, badge = tmp_path / "signing.key", tmp_path / "badge.key"
    signing.write_text("x")
    badge.write_text("x")
    app = create_app(
        {
            "ENV": "production",
            "SECRET_KEY": "s" * 40,
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "SIGNING_KEY_FILE": str(signing),
            "BADGE_KEY_FILE": str(badge),
        }
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True


def test_security_headers_forbid_framing(client):
    response = client.get("/login")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.db
def test_healthz_reports_503_when_the_database_is_down(tmp_path, monkeypatch):
    monkeypatch.setenv("INCUBATOR_INSTANCE_PATH", str(tmp_path))
    app = create_app(
        {"ENV": "testing", "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/x"}
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "unavailable"
