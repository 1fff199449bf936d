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
        occupancy,
        profile,
        public,
        qualifications,
        reports,
        resources,
        simulator,
        site,
        statements,
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
        reports,
        public,
        occupancy,
        statements,
        simulator,
    ):
        app.register_blueprint(module.bp)
    api.register(app)
