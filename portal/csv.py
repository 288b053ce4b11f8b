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
