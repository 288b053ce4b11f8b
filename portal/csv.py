"""CSV exports, streamed and spreadsheet-safe (UI-1; REP-1 reuses it for the licence report).

``csv_response(filename, header, rows)`` streams with ``StreamingHttpResponse``: rows are written as the
iterator yields them (iterate querysets with ``.iterator()``), so memory stays bounded however long the list.
Every cell goes through ``safe_cell``: a value a spreadsheet would read as a formula — starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return — is prefixed with an apostrophe (OWASP "CSV injection").
The file starts with a UTF-8 byte-order mark so spreadsheet programs read umlauts correctly.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def safe_cell(value) -> str:
    """One cell as text that no spreadsheet evaluates."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


class _Echo:
    """A file-like object whose write() returns the line instead of storing it (Django's streaming recipe)."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Iterable, rows: Iterable[Iterable]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield BOM + writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        yield writer.writerow([safe_cell(cell) for cell in row])


def csv_response(filename: str, header: Iterable, rows: Iterable[Iterable]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_lines(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- REP-1: a queryset streamed as CSV by the database itself ------------------------------------------------

COPY_BUFFER_BYTES = 256 * 1024


def _safe_sql(column_sql: str) -> str:
    """SQL for one cell, spreadsheet-safe like ``safe_cell``: the text value, with an apostrophe before a
    leading ``=``, ``+``, ``-``, ``@``, tab or carriage return (done by PostgreSQL, so COPY needs no Python)."""
    text = f"({column_sql})::text"
    return f"CASE WHEN left({text}, 1) IN ('=', '+', '-', '@', E'\\t', E'\\r') THEN '''' || {text} ELSE {text} END"


def copy_sql(queryset) -> tuple[str, tuple]:
    """``COPY (SELECT <safe cells> FROM (<queryset>) q) TO STDOUT WITH (FORMAT csv)`` and its parameters.

    ``queryset`` is a ``values_list(...)`` queryset; its columns become the CSV's, in order."""
    sql, params = queryset.query.sql_with_params()
    count = len(queryset.query.values_select) + len(queryset.query.annotation_select)
    columns = ", ".join(_safe_sql(f"q.c{i}") for i in range(count))
    names = ", ".join(f"c{i}" for i in range(count))
    # Only generated column names and the ORM's own SQL (values stay parameters): nothing from input.
    return f"COPY (SELECT {columns} FROM ({sql}) AS q({names})) TO STDOUT WITH (FORMAT csv)", params  # noqa: S608


def _copy_chunks(queryset, header: Iterable) -> Iterator[bytes]:
    """The header line, then the COPY stream in buffers of ~256 kB (memory stays bounded: psycopg hands
    over one row at a time and nothing keeps them)."""
    from django.db import connections

    connection = connections[queryset.db]
    writer = csv.writer(_Echo(), lineterminator="\n")  # COPY ends its lines with \n too
    yield (BOM + writer.writerow([safe_cell(cell) for cell in header])).encode()
    sql, params = copy_sql(queryset)
    connection.ensure_connection()
    buffer = bytearray()
    with connection.connection.cursor() as cursor, cursor.copy(sql, params or None) as copy:
        for data in copy:
            buffer += data
            if len(buffer) >= COPY_BUFFER_BYTES:
                yield bytes(buffer)
                buffer.clear()
    if buffer:
        yield bytes(buffer)


def _iterator_chunks(queryset, header: Iterable) -> Iterator[bytes]:
    lines: list[str] = []
    size = 0
    for line in csv_lines(header, queryset.iterator(chunk_size=2000)):
        lines.append(line)
        size += len(line)
        if size >= COPY_BUFFER_BYTES:
            yield "".join(lines).encode()
            lines, size = [], 0
    if lines:
        yield "".join(lines).encode()


def queryset_csv_chunks(queryset, header: Iterable) -> Iterator[bytes]:
    """The CSV of a ``values_list`` queryset as bytes: PostgreSQL's ``COPY … TO STDOUT`` through psycopg's
    ``cursor.copy()``; elsewhere (SQLite) the rows through Python's csv writer. Both quote formulas."""
    from django.db import connections

    if connections[queryset.db].vendor == "postgresql":
        return _copy_chunks(queryset, header)
    return _iterator_chunks(queryset, header)


def queryset_csv_response(filename: str, header: Iterable, queryset) -> StreamingHttpResponse:
    """Stream a ``values_list`` queryset as a CSV download with bounded memory (REP-1)."""
    response = StreamingHttpResponse(
        queryset_csv_chunks(queryset, list(header)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
