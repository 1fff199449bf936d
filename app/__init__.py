"""The makers-incubator web app. `create_app` is the only composition root."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    from app import config as app_config
    from app.blueprints import register_blueprints
    from app.errors import register_error_handlers
    from app.extensions import db
    from app.setup import (
        init_extensions,
        init_logging,
        init_proxy,
        init_security_headers,
        init_templates,
    )

    instance_path = os.environ.get("INCUBATOR_INSTANCE_PATH") or None
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    app.config.from_object(app_config.Config)
    app.config.from_prefixed_env("INCUBATOR")
    if config:
        app.config.update(config)
    app_config.finalize(app.config, Path(app.instance_path))

    init_logging(app)
    init_proxy(app)
    init_extensions(app)
    init_templates(app)
    init_security_headers(app)
    register_error_handlers(app)
    register_blueprints(app)

    from app.cli import register_commands

    register_commands(app)
    with app.app_context():
        from app.database import configure_engine

        configure_engine(db.engine)
    return app
