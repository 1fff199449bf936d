"""The booking form: one booking or a series, for oneself or (admins) for a colleague."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from wtforms.fields.choices import SelectChoice

from app import web
from app.models import BookingStatus, Member, Resource
from app.services import members
from app.services.bookings import lifecycle, queries
from app.services.bookings.localtime import parse_instant
from app.services.errors import DomainError

from . import edge
from .forms import BookingForm


def _resource_choices() -> list[SelectChoice]:
    return [
        SelectChoice(r.slug, f"{r.parent.name} \u203a {r.name}" if r.parent else r.name)
        for r in queries.bookable_resources()
    ]


def _member_choices(actor: Member) -> list[SelectChoice]:
    people = members.list_members(actor, per_page=2000).items
    if actor.is_manager:
        own = SelectChoice("", _("The incubator itself"))
        return [own] + [
            SelectChoice(str(m.id), m.name, optgroup=m.tenant.name)
            for m in sorted(people, key=lambda m: (m.tenant.name if m.tenant else "", m.name))
            if m.tenant is not None
        ]
    return [SelectChoice("", _("Me"))] + [
        SelectChoice(str(m.id), m.name) for m in people if m.id != actor.id
    ]


def _prefill(form: BookingForm) -> None:
    """Fill the form from a grid link: ?resource=slug&start=...&end=... (bad values are ignored)."""
    form.resource.data = request.args.get("resource", "")[:64] or form.resource.data
    try:
        start = parse_instant(request.args.get("start", ""), edge.zone(), field="start")
        end = parse_instant(request.args.get("end", ""), edge.zone(), field="end")
    except DomainError:
        form.date.data = edge.today()
        return
    form.date.data = start.astimezone(edge.zone()).date()
    form.start_time.data = start.astimezone(edge.zone()).time()
    form.end_time.data = end.astimezone(edge.zone()).time()


def _form() -> BookingForm:
    actor = web.actor()
    form = BookingForm()
    form.resource.choices = _resource_choices()
    if actor.is_manager or actor.is_tenant_admin:
        form.booked_for.choices = _member_choices(actor)
    else:
        del form.booked_for  # members book for themselves
    if not form.is_submitted():
        _prefill(form)
    return form


def _chosen(form: BookingForm) -> tuple[Resource, Member | None]:
    resource = queries.resource_to_book(web.actor(), form.resource.data or "")
    chosen = form.booked_for.data if "booked_for" in form else ""
    member = members.get_member(web.actor(), int(chosen)) if chosen else None
    return resource, member


def _created_message(result: lifecycle.CreateResult) -> str:
    first = result.bookings[0]
    what = first.resource.name
    if len(result.bookings) == 1 and first.series_id is None:
        text = _("Booked: %(what)s, %(when)s.", what=what, when=edge.when(first.start, first.end))
    else:
        text = ngettext(
            "Booked: %(what)s, %(num)d time.",
            "Booked: %(what)s, %(num)d times.",
            len(result.bookings),
            what=what,
        )
    if first.status == BookingStatus.PENDING:
        text += " " + _("A manager approves or rejects the request; you will get an e-mail.")
    if result.skipped:
        skipped = ", ".join(edge.when(o.start, o.end) for o in result.skipped)
        text += " " + _("Skipped because that time was taken or closed: %(list)s.", list=skipped)
    return text


def create():
    form = _form()
    refusal = None
    if form.validate_on_submit():
        resource, member = _chosen(form)
        try:
            start, end = edge.instants(*form.local_interval())
            result = lifecycle.create_booking(
                actor=web.actor(),
                resource=resource,
                start=start,
                end=end,
                title=form.title.data or "",
                booked_for=member,
                recurrence=form.recurrence(),
                skip_conflicts=bool(form.skip_conflicts.data),
                now=edge.now(),
                facility=web.facility(),
            )
        except edge.REFUSALS as exc:
            refusal = edge.refuse(form, exc)
        else:
            booking_id = result.bookings[0].id
            web.commit()
            flash(_created_message(result))
            return redirect(url_for("bookings.detail", booking_id=booking_id))
    status = refusal.status if refusal else (422 if form.is_submitted() else 200)
    return render_template("bookings/form.html", form=form, refusal=refusal), status
