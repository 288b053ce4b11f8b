"""Append new msgids to locale/<lang>/LC_MESSAGES/django.po without rewriting the rest (small, mergeable diffs).

    .venv/bin/python tools/po_add.py de /tmp/fresh.po translations.py

``fresh.po`` is a makemessages result; entries it has and the committed catalogue lacks are appended, with the
German texts from ``translations.py`` (a dict ``T``: msgid or (msgctxt, msgid) or (msgid, plural) → text or
(singular, plural)). Anything without a translation is reported and left out.
"""

import runpy
import sys

import polib

language, fresh_path, texts_path = sys.argv[1:4]
path = f"locale/{language}/LC_MESSAGES/django.po"
catalogue = polib.pofile(path, wrapwidth=79)
fresh = polib.pofile(fresh_path)
texts = runpy.run_path(texts_path)["T"]
known = {(entry.msgctxt, entry.msgid) for entry in catalogue}
missing = []
added = []
for entry in fresh:
    if entry.obsolete or (entry.msgctxt, entry.msgid) in known:
        continue
    key = (
        (entry.msgctxt, entry.msgid)
        if entry.msgctxt
        else ((entry.msgid, entry.msgid_plural) if entry.msgid_plural else entry.msgid)
    )
    text = texts.get(key)
    if text is None:
        missing.append(entry.msgid)
        continue
    new = polib.POEntry(
        msgid=entry.msgid,
        msgctxt=entry.msgctxt,
        occurrences=entry.occurrences[:3],
        flags=[flag for flag in entry.flags if flag != "fuzzy"],
    )
    if entry.msgid_plural:
        new.msgid_plural = entry.msgid_plural
        new.msgstr_plural = {0: text[0], 1: text[1]}
    else:
        new.msgstr = text
    added.append(new)
# Appended as text: the committed entries stay byte for byte as they are.
with open(path, "a", encoding="utf-8") as handle:
    for new in added:
        handle.write("\n" + new.__unicode__(wrapwidth=79))
print("missing:", *missing, sep="\n  ")
