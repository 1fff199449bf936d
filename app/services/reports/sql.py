"""Seconds from timestamps in SQL, for SQLite and PostgreSQL alike.

Reports add up clipped durations inside the database: ``epoch_seconds(column)``
turns a stored instant into seconds since 1970 (a float), so clipping to a
period is plain arithmetic with bounds given as numbers, and the scalar
``least``/``greatest`` are spelled the way each database wants.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Float
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def seconds(moment: dt.datetime) -> float:
    """An aware instant as seconds since 1970, the unit of `epoch_seconds`."""
    return (moment - EPOCH).total_seconds()


class epoch_seconds(FunctionElement[float]):
    type = Float()
    inherit_cache = True
    name = "epoch_seconds"


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    # Instants are stored as UTC text ("2026-11-01 10:00:00.000000"): julianday reads it.
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"


@compiles(epoch_seconds, "postgresql")
def _epoch_postgresql(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    # date_part gives a double precision itself; EXTRACT gives a numeric (PostgreSQL 14
    # and later) that costs a conversion per row
    inner = compiler.process(element.clauses, **kw)
    return f"date_part('epoch', {inner})"


class least(FunctionElement[float]):
    type = Float()
    inherit_cache = True
    name = "least"


class greatest(FunctionElement[float]):
    type = Float()
    inherit_cache = True
    name = "greatest"


@compiles(least, "sqlite")
def _least_sqlite(element: least, compiler: Any, **kw: Any) -> str:
    return f"min({compiler.process(element.clauses, **kw)})"


@compiles(greatest, "sqlite")
def _greatest_sqlite(element: greatest, compiler: Any, **kw: Any) -> str:
    return f"max({compiler.process(element.clauses, **kw)})"


@compiles(least)
def _least_default(element: least, compiler: Any, **kw: Any) -> str:
    return f"least({compiler.process(element.clauses, **kw)})"


@compiles(greatest)
def _greatest_default(element: greatest, compiler: Any, **kw: Any) -> str:
    return f"greatest({compiler.process(element.clauses, **kw)})"


def overlap_seconds(
    start: ColumnElement[Any], end: ColumnElement[Any], lower: Any, upper: Any
) -> ColumnElement[float]:
    """Seconds of [start, end) inside [lower, upper) (numbers from `seconds`, or bound
    parameters holding them), never negative."""
    clipped = least(end, upper) - greatest(start, lower)
    return greatest(clipped, 0.0)


class shifted(FunctionElement[dt.datetime]):
    """`column` moved by a number of seconds (an SQL float, bound or not), still comparable
    with stored instants. The seconds are a clause of their own, so two statements that
    shift by different amounts never share a compiled form."""

    inherit_cache = True
    name = "shifted"

    def __init__(self, column: Any, secs: Any) -> None:
        super().__init__(column, secs)


@compiles(shifted, "sqlite")
def _shifted_sqlite(element: shifted, compiler: Any, **kw: Any) -> str:
    # datetime() drops the microseconds ("...:00" sorts before "...:00.000000"): a bound
    # at most a second looser, which only lower bounds use.
    column, secs = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"datetime({column}, ({secs}) || ' seconds')"


@compiles(shifted, "postgresql")
def _shifted_postgresql(element: shifted, compiler: Any, **kw: Any) -> str:
    column, secs = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"({column} + make_interval(secs => {secs}))"
