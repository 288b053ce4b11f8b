"""Account background jobs. Implements ACC-2 (the invitation mail: set your password, join the account).

An outbox task (portal.outbox): the inviting service records it in its transaction; a worker sends the mail
after commit, once per job (``send_mail_once``), retried when the mail server is unavailable.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation

from portal.outbox import outbox_task


@outbox_task(name="accounts.tasks.send_invitation_mail")
def send_invitation_mail(user_id: int, account_id: int, invited_by_id: int | None = None) -> bool:
    """Mail the invited user a set-your-password link, in the user's language; nothing if user or account
    are gone meanwhile."""
    from accounts.models import Account, User
    from accounts.services import send_invitation_mail as send

    user = User.objects.filter(pk=user_id, is_active=True).first()
    account = Account.objects.filter(pk=account_id).first()
    if user is None or account is None:
        return False
    invited_by = User.objects.filter(pk=invited_by_id).first() if invited_by_id else None
    with translation.override(user.language or settings.LANGUAGE_CODE):
        return send(user=user, account=account, invited_by=invited_by)
