"""Test and benchmark harness helpers (never imported by the running portal)."""

from __future__ import annotations


def otp_verified(client, user) -> None:
    """Make ``client``'s session count as two-factor verified for ``user`` (issue 10), as the code page does
    after a valid code: a confirmed TOTP device for the user where two-factor applies, its id in the session."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts import twofactor
    from accounts.models import User

    fresh = User.objects.get(pk=user.pk)  # access caches roles on the object: never on the test's own
    if not (twofactor.is_required(fresh) or twofactor.has_device(fresh)):
        return
    device = TOTPDevice.objects.filter(user=fresh, confirmed=True).first() or TOTPDevice.objects.create(
        user=fresh, name="test", confirmed=True
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.pop(twofactor.PENDING_SESSION_KEY, None)
    session.save()
