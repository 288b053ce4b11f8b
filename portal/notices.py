"""In-app notices across apps: work handed from one role to the next reaches someone (UI-1 hand-offs).

The ground floor imports no app. An app that stores notices (delegations: its ``Notification`` rows, shown by
the bell) registers the *sink*; apps that hand work on register their notice *kinds* with a text and call
``notify()`` — usually from a task enqueued after commit. Texts are rendered when read, in the reader's
language, from ``kind`` and ``data``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

_TEXTS: dict[str, object] = {}
_RESOLVERS: dict[str, Callable] = {}
_SINK: Callable[..., int] | None = None


class _SafeDict(dict):
    def __missing__(self, key):
        return "–"


def register_kind(kind: str, text, *, resolve: Callable | None = None) -> None:
    """``text`` is a lazy translation with ``%(name)s`` placeholders filled from the notice's data;
    ``resolve(data, reader) -> data`` fills values that depend on the reader when the notice is read (a
    domain's name, masked for a reader who may not see it — also if it became confidential later, TEN-4)."""
    _TEXTS[kind] = text
    if resolve is not None:
        _RESOLVERS[kind] = resolve


def register_sink(sink: Callable[..., int]) -> None:
    """``sink(user_ids, *, kind, data, url, dedupe_key) -> int`` stores one notice per user (at most once per
    user and dedupe key) and returns how many were new."""
    global _SINK
    _SINK = sink


def text(kind: str, data: dict, reader=None) -> str | None:
    """The notice in the active language, as ``reader`` may read it, or None for a kind no app registered."""
    template = _TEXTS.get(kind)
    if template is None:
        return None
    data = dict(data or {})
    resolve = _RESOLVERS.get(kind)
    if resolve is not None:
        data = resolve(data, reader)
    return str(template) % _SafeDict(data)


def notify(user_ids: Iterable[int], *, kind: str, data: dict, url: str, dedupe_key: str) -> int:
    if kind not in _TEXTS:
        raise ValueError(f"Unknown notice kind {kind!r}")
    ids = sorted(set(user_ids))
    if not ids or _SINK is None:
        return 0
    return _SINK(ids, kind=kind, data=data, url=url, dedupe_key=dedupe_key)
