"""Signal receivers of the accounts app (issue 10 two-factor; connected in AccountsConfig.ready)."""

from __future__ import annotations

from django.db import transaction


def remember_second_factor(sender, request, user, **kwargs):
    """At log-in: a user with a device owes its code even where two-factor is optional (customers)."""
    from . import twofactor

    if request is not None and hasattr(request, "session") and twofactor.has_device(user):
        request.session[twofactor.PENDING_SESSION_KEY] = True


def device_removed(sender, instance, **kwargs):
    """A confirmed device that goes away (reset, the admin's device pages) ends the user's sessions: a session
    verified with it must not stay verified."""
    from .models import User, new_security_stamp

    if not getattr(instance, "confirmed", False):
        return
    user_id = instance.user_id
    transaction.on_commit(lambda: User.objects.filter(pk=user_id).update(security_stamp=new_security_stamp()))
