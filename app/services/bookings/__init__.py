"""Bookings: rules, claims that forbid double booking, recurrence, quotas, notifications.

Entry points: `lifecycle` (create, move, cancel, approve, reject, check in,
release no-shows), `queries` (scoped lists, free/busy, labels), `quota`
(the one definition of billable hours).
"""
