"""A statement as plain JSON-ready data (the API's and the CLI's JSON)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from .build import Statement


def _instant(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def statement_document(statement: Statement) -> dict[str, Any]:
    """Instants in UTC (ISO-8601, `Z`), hours and amounts as decimal strings ("12.50")."""
    return {
        "tenant": {
            "id": statement.tenant_id,
            "name": statement.tenant_name,
            "slug": statement.tenant_slug,
        },
        "month": str(statement.month),
        "start": _instant(statement.start),
        "end": _instant(statement.end),
        "generated_at": _instant(statement.generated_at),
        "provisional": statement.provisional,
        "has_plan": statement.has_plan,
        "allow_overage": statement.allow_overage,
        "currency": statement.currency,
        "total_amount": _amount(statement.total_amount),
        "kinds": [
            {
                "kind": kind.kind.value,
                "included_hours": _amount(kind.included_hours),
                "billable_hours": _amount(kind.billable_hours),
                "overage_hours": _amount(kind.overage_hours),
                "rate": _amount(kind.rate),
                "amount": _amount(kind.amount),
            }
            for kind in statement.kinds
        ],
        "lines": [
            {
                "source": line.source,
                "id": line.source_id,
                "resource": line.resource,
                "resource_slug": line.resource_slug,
                "kind": line.kind.value if line.kind else None,
                "start": _instant(line.start),
                "end": _instant(line.end),
                "member": line.member,
                "title": line.title,
                "status": line.status,
                "ongoing": line.ongoing,
                "hours": _amount(line.hours),
                "billable_hours": _amount(line.billable_hours),
                "included_hours": _amount(line.included_hours),
                "overage_hours": _amount(line.overage_hours),
                "rate": _amount(line.rate),
                "amount": _amount(line.amount),
            }
            for line in statement.lines
        ],
    }


def statement_json(statement: Statement) -> bytes:
    return json.dumps(statement_document(statement), ensure_ascii=False, indent=2).encode("utf-8")
