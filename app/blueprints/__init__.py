"""Blueprints, one per area. Imported inside `register_blueprints`, never by each other."""

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from . import (
        api,
        auth,
        badges,
        bookings,
        calendars,
        devices,
        main,
        members,
        profile,
        qualifications,
        resources,
        site,
        tenants,
    )

    for module in (
        auth,
        main,
        profile,
        tenants,
        members,
        badges,
        resources,
        qualifications,
        site,
        bookings,
        calendars,
        devices,
    ):
        app.register_blueprint(module.bp)
    api.register(app)
