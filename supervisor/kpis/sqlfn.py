"""Two SQL helpers that SQLite and PostgreSQL spell differently: seconds since the epoch of a
timestamp column, and the floor of a non-negative number as an integer."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Float
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class epoch(FunctionElement[float]):
    """Seconds since 1970-01-01 UTC of a ``UtcDateTime`` column (SQLite stores naive UTC text)."""

    type = Float()
    inherit_cache = True
    name = "kpi_epoch"


class floor_int(FunctionElement[int]):
    """The floor of a non-negative number, as an integer."""

    type = BigInteger()
    inherit_cache = True
    name = "kpi_floor"


@compiles(epoch)
def _epoch_pg(element: epoch, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) AS DOUBLE PRECISION)"


@compiles(epoch, "sqlite")
def _epoch_sqlite(element: epoch, compiler: SQLCompiler, **kw: Any) -> str:
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"


@compiles(floor_int)
def _floor_pg(element: floor_int, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(FLOOR({compiler.process(element.clauses, **kw)}) AS BIGINT)"


@compiles(floor_int, "sqlite")
def _floor_sqlite(element: floor_int, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS INTEGER)"
