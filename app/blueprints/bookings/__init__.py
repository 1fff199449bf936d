"""Booking pages: the week grid, the booking form, my bookings, approvals."""

from flask import Blueprint

bp = Blueprint("bookings", __name__, url_prefix="/bookings")
