"""Licence keys (LIC-3): 125 random bits from ``secrets`` in Crockford base32, five groups of five characters
and a check character (Luhn mod 32 over the alphabet), e.g. ``7Q2MZ-0KX4T-HB9RD-3VNWE-PC61A-K``.

``normalize_key`` is the one way every interface reads a key a person or a client typed: case, spaces, dashes
and the look-alikes O→0, I/L→1 do not matter, and a key whose check character does not match is refused
(``None``) before any lookup — a mistyped key is "not a valid key", never "unknown".
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-_]+")
DATA_CHARS = 25  # 125 random bits
GROUP = 5
KEY_LENGTH = DATA_CHARS + 1 + DATA_CHARS // GROUP  # with dashes: 31


def check_character(data: str) -> str:
    """Luhn mod 32 over the Crockford alphabet: catches every single wrong character and every swap of two
    neighbouring different characters."""
    factor = 2
    total = 0
    for ch in reversed(data):
        addend = factor * _VALUE[ch]
        factor = 1 if factor == 2 else 2
        total += addend // 32 + addend % 32
    return ALPHABET[(32 - total % 32) % 32]


def format_key(data: str) -> str:
    groups = [data[i : i + GROUP] for i in range(0, len(data), GROUP)]
    return "-".join([*groups, check_character(data)])


def generate_key() -> str:
    """A new key in its normalized, grouped form."""
    data = "".join(secrets.choice(ALPHABET) for _ in range(DATA_CHARS))
    return format_key(data)


def normalize_key(text) -> str | None:
    """The stored form of a typed key, or None when it is not a valid key (wrong length, characters or check
    character)."""
    if not isinstance(text, str) or len(text) > 100:
        return None
    compact = _SEPARATORS.sub("", text).upper().translate(_LOOKALIKES)
    if len(compact) != DATA_CHARS + 1 or any(ch not in _VALUE for ch in compact):
        return None
    data, check = compact[:-1], compact[-1]
    if check_character(data) != check:
        return None
    return format_key(data)


def is_valid_key(text) -> bool:
    return normalize_key(text) is not None
