"""Signed tokens of grant links (DEL-2): ``signing.dumps({"i": invitation id, "n": nonce})``.

The signature stops tampering and carries the issue time (checked against LINK_VALIDITY); the nonce must
match the stored row, which is consumed once (``GrantInvitation.used_at``) under a row lock.
"""

from __future__ import annotations

from datetime import timedelta

from django.core import signing

SALT = "delegations.grant-link"
LINK_VALIDITY = timedelta(days=14)


class TokenInvalid(Exception):
    pass


class TokenExpired(Exception):
    pass


def make_token(invitation) -> str:
    return signing.dumps({"i": invitation.pk, "n": invitation.nonce}, salt=SALT, compress=False)


def read_token(token: str) -> tuple[int, str]:
    """(invitation id, nonce) of a well-signed token younger than LINK_VALIDITY; raises TokenInvalid/TokenExpired."""
    try:
        payload = signing.loads((token or "").strip(), salt=SALT, max_age=LINK_VALIDITY)
    except signing.SignatureExpired as exc:
        raise TokenExpired() from exc
    except (signing.BadSignature, ValueError) as exc:
        raise TokenInvalid() from exc
    if (
        not isinstance(payload, dict)
        or not isinstance(payload.get("i"), int)
        or not isinstance(payload.get("n"), str)
    ):
        raise TokenInvalid()
    return payload["i"], payload["n"]
