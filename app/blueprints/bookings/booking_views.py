"""One booking: its page, its .ics, and what may be done with it (by permission)."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from app import web
from app.models import Booking
from app.services.bookings import lifecycle, notify, queries
from app.services.bookings.lifecycle import Scope

from . import edge
from .forms import CancelForm, MoveForm, RejectForm


def _move_form(booking: Booking, formdata: Any = None) -> MoveForm:
    local_start = booking.start.astimezone(edge.zone())
    form = MoveForm(
        formdata=formdata,
        data={
            "date": local_start.date(),
            "start_time": local_start.time(),
            "end_time": booking.end.astimezone(edge.zone()).time(),
            "title": booking.title,
        },
    )
    return _trim(form, booking)


def _cancel_form(booking: Booking, formdata: Any = None) -> CancelForm:
    return _trim(CancelForm(formdata=formdata), booking)


def _trim(form: Any, booking: Booking) -> Any:
    """Scopes only for a series; overriding the notice rule only for managers."""
    if booking.series_id is None:
        del form.scope
    if not web.actor().is_manager:
        del form.override_notice
    return form


def _show(
    booking: Booking, *, status: int = 200, refusal: edge.Refusal | None = None, **forms: Any
):
    actor, now = web.actor(), edge.now()
    changeable = booking.can_change(actor) and booking.end > now
    forms.setdefault("move_form", _move_form(booking) if changeable else None)
    forms.setdefault("cancel_form", _cancel_form(booking) if changeable else None)
    forms.setdefault("reject_form", RejectForm() if booking.can_decide(actor) else None)
    return render_template(
        "bookings/detail.html",
        booking=booking,
        occurrences=queries.series_occurrences(booking, actor),
        checkin_open=queries.checkin_open(booking, now),
        refusal=refusal,
        changeable=changeable,
        **forms,
    ), status


def _summary(booking: Booking) -> str:
    return f"{booking.resource.name}, {edge.when(booking.start, booking.end)}"


def _back(booking_id: int) -> Any:
    default = url_for("bookings.detail", booking_id=booking_id)
    return redirect(web.local_target(request.args.get("next"), default))


def _scope(form: Any) -> Scope:
    return Scope(form.scope.data) if "scope" in form and form.scope.data else Scope.THIS


def _override(form: Any) -> bool:
    return "override_notice" in form and bool(form.override_notice.data)


def detail(booking_id: int):
    return _show(lifecycle.get_booking(web.actor(), booking_id))


def ics(booking_id: int):
    booking = lifecycle.get_booking(web.actor(), booking_id)
    return Response(
        notify.booking_ics(booking, web.facility()),
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="booking-{booking.id}.ics"'},
    )


def move(booking_id: int):
    booking = lifecycle.get_booking(web.actor(), booking_id)
    form = _move_form(booking, formdata=request.form)
    if not form.validate_on_submit():
        return _show(booking, status=422, move_form=form)
    try:
        start, end = edge.instants(*form.local_interval())
        renaming = (start, end) == (booking.start, booking.end)
        moved = lifecycle.move_booking(
            booking,
            actor=web.actor(),
            start=start,
            end=end,
            title=form.title.data or "",
            scope=_scope(form),
            override_notice=_override(form),
            now=edge.now(),
            facility=web.facility(),
        )
    except edge.REFUSALS as exc:
        refusal = edge.refuse(form, exc)
        return _show(booking, status=refusal.status, refusal=refusal, move_form=form)
    web.commit()
    if not moved:
        flash(_("Nothing changed."))
    elif renaming:  # the same times: a new title only
        flash(ngettext("Renamed.", "Renamed %(num)d bookings.", len(moved)))
    else:
        flash(
            ngettext(
                "Moved: now %(when)s.",
                "Moved %(num)d bookings; this one is now %(when)s.",
                len(moved),
                when=edge.when(booking.start, booking.end),
            )
        )
    return _back(booking_id)


def cancel(booking_id: int):
    booking = lifecycle.get_booking(web.actor(), booking_id)
    form = _cancel_form(booking, formdata=request.form)
    if not form.validate_on_submit():
        return _show(booking, status=422, cancel_form=form)
    try:
        cancelled = lifecycle.cancel_booking(
            booking,
            actor=web.actor(),
            scope=_scope(form),
            override_notice=_override(form),
            now=edge.now(),
            facility=web.facility(),
        )
    except edge.REFUSALS as exc:
        refusal = edge.refuse(form, exc)
        return _show(booking, status=refusal.status, refusal=refusal, cancel_form=form)
    web.commit()
    flash(ngettext("The booking is cancelled.", "%(num)d bookings are cancelled.", len(cancelled)))
    return _back(booking_id)


def check_in(booking_id: int):
    booking = lifecycle.get_booking(web.actor(), booking_id)
    try:
        lifecycle.check_in(booking, actor=web.actor(), now=edge.now())
    except edge.REFUSALS as exc:
        refusal = edge.refuse(None, exc)
        return _show(booking, status=refusal.status, refusal=refusal)
    web.commit()
    flash(_("Checked in. Enjoy!"))
    return _back(booking_id)


def approve(booking_id: int):
    booking = lifecycle.get_booking(web.actor(), booking_id)
    try:
        lifecycle.approve_booking(
            booking, actor=web.actor(), now=edge.now(), facility=web.facility()
        )
    except edge.REFUSALS as exc:
        refusal = edge.refuse(None, exc)
        return _show(booking, status=refusal.status, refusal=refusal)
    web.commit()
    flash(_("Approved: %(what)s.", what=_summary(booking)))
    return _back(booking_id)


def reject(booking_id: int):
    booking = lifecycle.get_booking(web.actor(), booking_id)
    form = RejectForm(formdata=request.form)
    if not form.validate_on_submit():
        return _show(booking, status=422, reject_form=form)
    try:
        lifecycle.reject_booking(
            booking,
            actor=web.actor(),
            reason=form.reason.data or "",
            now=edge.now(),
            facility=web.facility(),
        )
    except edge.REFUSALS as exc:
        refusal = edge.refuse(form, exc, names={"title": "reason"})
        return _show(booking, status=refusal.status, refusal=refusal, reject_form=form)
    web.commit()
    flash(_("Rejected: %(what)s.", what=_summary(booking)))
    return _back(booking_id)
