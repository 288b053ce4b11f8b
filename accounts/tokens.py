"""API tokens: issue, list, revoke, and ending them all (issue 10 §1, API-1).

Tokens are django-rest-knox tokens (``accounts.ApiToken`` is a proxy of knox's model): the database holds
only a SHA-512 digest of each, every token expires after ``API_TOKEN_TTL_HOURS`` (``REST_KNOX["TOKEN_TTL"]``),
a user has several tokens (at most MAX_TOKENS_PER_USER live), each revocable on its own by its public prefix. Why knox and not DRF's ``authtoken``: DRF keeps one
plaintext key per user that never expires; knox is the well-kept library with hashing, expiry and per-token
revocation built in, and its ``TokenAuthentication`` is DRF's, so the API (and the idempotency middleware)
authenticate through it unchanged.

Every token of a user ends on a password change or reset (``User.save``) and on "log out everywhere", which
also ends every session (the security stamp is part of the session hash). Issuing needs a verified second
factor where two-factor authentication applies (accounts.twofactor).
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from portal.audit import record_event
from portal.errors import NotFound

from .models import ApiToken, User, new_security_stamp

MAX_TOKENS_PER_USER = 20


@transaction.atomic
def issue_api_token(*, user: User, via: str = "password") -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the row and the token itself (shown once, never stored)."""
    # Oldest first out: a script that logs in on every run cannot pile up live tokens.
    live = ApiToken.objects.filter(user=user).order_by("-created").values_list("digest", flat=True)
    ApiToken.objects.filter(digest__in=list(live[MAX_TOKENS_PER_USER - 1 :])).delete()
    token, raw = ApiToken.objects.create(user=user)
    record_event(
        actor=user,
        action="api_token.issued",
        target=user,
        data={
            "token": token.token_key,
            "via": via,
            "expiry": token.expiry.isoformat() if token.expiry else None,
        },
    )
    return token, raw


@transaction.atomic
def revoke_api_token(*, actor: User, token_key: str) -> None:
    """End one of the actor's own tokens; NotFound for anyone else's (or an unknown key)."""
    deleted, _details = ApiToken.objects.filter(user=actor, token_key=token_key).delete()
    if not deleted:
        raise NotFound(_("There is no such token."), code="token_not_found")
    record_event(actor=actor, action="api_token.revoked", target=actor, data={"token": token_key})


def revoke_all_api_tokens(*, user: User, reason: str, actor: User | None = None) -> int:
    with transaction.atomic():
        deleted, _details = ApiToken.objects.filter(user=user).delete()
        if deleted:
            record_event(
                actor=actor or user,
                action="api_token.revoked_all",
                target=user,
                data={"count": deleted, "reason": reason},
            )
    return deleted


@transaction.atomic
def log_out_everywhere(*, user: User) -> int:
    """End every session (a new security stamp invalidates their hash) and every API token of ``user``."""
    User.objects.filter(pk=user.pk).update(security_stamp=new_security_stamp())
    user.security_stamp = User.objects.values_list("security_stamp", flat=True).get(pk=user.pk)
    count = revoke_all_api_tokens(user=user, reason="log_out_everywhere")
    record_event(actor=user, action="user.logged_out_everywhere", target=user, data={"tokens": count})
    return count
