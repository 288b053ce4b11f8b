"""DRF plumbing that DRF's settings import by name (kept apart from portal.api, which imports DRF's views and
would import itself in a circle): a bounded JSON parser and a side-effect-free OPTIONS answer. API-1."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers
from rest_framework.metadata import SimpleMetadata

# How deep a JSON body may nest. No endpoint takes more than three levels; the limit keeps the parser and
# every recursive step after it (validation, error flattening) far from Python's recursion limit.
MAX_JSON_DEPTH = 32


def _check_depth_and_nul(data) -> None:
    """Walk the parsed body without recursion: refuse nesting deeper than MAX_JSON_DEPTH and NUL characters
    (PostgreSQL cannot store them; a lookup with one would fail in the database instead of answering 400)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise exceptions.ParseError(
                    _("The JSON body nests deeper than %(depth)d levels.") % {"depth": MAX_JSON_DEPTH}
                )
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str) and "\x00" in key:
                    raise exceptions.ParseError(_("The JSON body contains a NUL character."))
                stack.append((item, depth + 1))
        elif isinstance(value, str) and "\x00" in value:
            raise exceptions.ParseError(_("The JSON body contains a NUL character."))


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, bounded: a body nested too deep answers 400 instead of a RecursionError (500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise exceptions.ParseError(
                _("The JSON body nests deeper than %(depth)d levels.") % {"depth": MAX_JSON_DEPTH}
            ) from exc
        _check_depth_and_nul(data)
        return data


class Metadata(SimpleMetadata):
    """``OPTIONS`` names the view and its media types, nothing more. DRF's default also builds every writing
    serializer (and fetches the object for PUT), which fails on views without a queryset and reads objects
    as a side effect; the OpenAPI schema at /api/schema/ documents the fields."""

    def determine_actions(self, request, view):
        return {}
