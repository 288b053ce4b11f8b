"""Two-factor authentication: TOTP (authenticator app) with recovery codes, on django-otp. Issue 10 §1.

Who must use it: members of the account kinds in ``PORTAL_2FA_REQUIRED_KINDS`` (default ``vendor,partner``:
vendor staff and partner users, as Microsoft requires of partners who hold delegated admin rights) and
staff users with Django-admin access when ``vendor`` is listed. Customers may enrol; once they have a
device, their log-ins ask for the code too.

- Log-in: password first (django-axes counts failures), then ``/login/verify/`` asks for the code; until
  then ``TwoFactorMiddleware`` lets the session reach nothing else (HTML redirects, API 403).
- A user who must have a second factor and has none is sent to ``/2fa/setup/`` before anything else.
- Recovery codes: ten single-use codes (django-otp's static device), shown once, replaceable.
- API tokens are issued only with a valid code where it applies (``verify_for_token``).
- Reset: a vendor admin removes a user's devices (audited); that also ends every session and token of the
  user, so the next log-in enrols anew. Deleting a device any other way (the admin's device pages) ends the
  sessions too (signal in accounts.apps).
- Guessing: django-otp throttles every device after failures (exponential back-off), and a TOTP code is
  accepted once only.
"""

from __future__ import annotations

import secrets
import time
from base64 import b32encode

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp import DEVICE_ID_SESSION_KEY, devices_for_user, user_has_device
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal import access
from portal.audit import record_event
from portal.errors import NotPermitted, RuleViolation

from .models import User

PENDING_SESSION_KEY = "2fa_pending"  # set at log-in for users with a device who need not have one
RECOVERY_CODES = 10
TOTP_NAME = "Authenticator"
RECOVERY_NAME = "Recovery codes"


def required_kinds() -> set[str]:
    return {kind.strip() for kind in getattr(settings, "PORTAL_2FA_REQUIRED_KINDS", []) if kind.strip()}


def is_required(user) -> bool:
    """Must this user have a second factor? Members of a required account kind; Django-admin staff when vendor
    accounts require it."""
    if not getattr(user, "is_authenticated", False):
        return False
    kinds = required_kinds()
    if not kinds:
        return False
    if "vendor" in kinds and (user.is_staff or user.is_superuser):
        return True
    return bool(kinds & set(access.subject(user).kinds.values()))


def has_device(user) -> bool:
    return user_has_device(user, confirmed=True)


def is_verified(request) -> bool:
    """Did this session pass the second factor? django-otp stores the device in the session at that moment;
    a device removed later ends the session anyway (security stamp), so the key is enough — no query per
    request (django-otp's OTPMiddleware, which would load the device on every request, is not used)."""
    return bool(request.session.get(DEVICE_ID_SESSION_KEY))


def needs_verification(request) -> bool:
    user = request.user
    if not user.is_authenticated or is_verified(request):
        return False
    return bool(request.session.get(PENDING_SESSION_KEY)) or is_required(user)


# --- Verification -------------------------------------------------------------------------------------


def _clean_code(code: str) -> str:
    return "".join((code or "").split()).replace("-", "")


def verify(user: User, code: str):
    """The device that accepts ``code`` (a TOTP code or an unused recovery code), or None. Throttled by
    django-otp per device; a TOTP code is accepted once only."""
    code = _clean_code(code)
    if not code or len(code) > 32:
        return None
    with transaction.atomic():
        for device in devices_for_user(user, confirmed=True, for_verify=True):
            if device.verify_token(code):
                if isinstance(device, StaticDevice):
                    record_event(actor=user, action="two_factor.recovery_code_used", target=user)
                return device
    return None


def verify_for_token(user: User, code: str) -> None:
    """API token log-in (accounts.api): where two-factor applies, a valid code is required."""
    required, enrolled = is_required(user), has_device(user)
    if not required and not enrolled:
        return
    if not enrolled:
        raise NotPermitted(
            _("Set up two-factor authentication in the portal first; then ask for a token with its code."),
            code="two_factor_setup_required",
        )
    if not _clean_code(code):
        raise RuleViolation(
            _("Enter the code of your authenticator app."),
            code="two_factor_required",
            fields={"otp": [_("Required.")]},
        )
    if verify(user, code) is None:
        raise RuleViolation(
            _("The code is wrong or was used already."),
            code="two_factor_invalid",
            fields={"otp": [_("Wrong code.")]},
        )


# --- Enrolment -------------------------------------------------------------------------------------------


def pending_totp_device(user: User) -> TOTPDevice:
    """The unconfirmed TOTP device of an enrolment in progress (created on first use)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)
    return device


def secret_of(device: TOTPDevice) -> str:
    """The key as the authenticator apps want it typed (base32, in groups of four)."""
    text = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The ``otpauth://`` URL as an inline SVG QR code (segno; no inline style or script)."""
    import segno

    return segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#1f2937", light="#ffffff")


@transaction.atomic
def confirm_totp(*, user: User, code: str) -> list[str]:
    """Finish enrolment: the code proves the app holds the key. Replaces any earlier TOTP device and returns
    fresh recovery codes (shown once)."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        raise RuleViolation(_("Start the set-up again."), code="two_factor_no_setup")
    if not device.verify_token(_clean_code(code)):
        raise RuleViolation(
            _("The code is wrong. Check the time on your phone and enter the current code."),
            code="two_factor_invalid",
            fields={"code": [_("Wrong code.")]},
        )
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _new_recovery_codes(user)
    record_event(actor=user, action="two_factor.enabled", target=user, data={"device": device.name})
    return codes


def _new_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [f"{secrets.token_hex(2)}-{secrets.token_hex(2)}" for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(
        [StaticToken(device=device, token=code.replace("-", "")) for code in codes]
    )
    return codes


@transaction.atomic
def regenerate_recovery_codes(*, user: User) -> list[str]:
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise RuleViolation(_("Set up the authenticator app first."), code="two_factor_not_enabled")
    codes = _new_recovery_codes(user)
    record_event(actor=user, action="two_factor.recovery_codes_renewed", target=user)
    return codes


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user).count()


def mark_verified(request, device) -> None:
    """After a valid code: the session counts as two-factor verified (django-otp's session key)."""
    from django_otp import login as otp_login

    otp_login(request, device)
    request.session.pop(PENDING_SESSION_KEY, None)


@transaction.atomic
def disable_two_factor(*, user: User) -> None:
    """A customer (for whom it is optional) turns two-factor off; refused where it is required."""
    if is_required(user):
        raise NotPermitted(
            _("Two-factor authentication is required for your account."), code="two_factor_required"
        )
    _remove_devices(user)
    record_event(actor=user, action="two_factor.disabled", target=user)


def _remove_devices(user: User) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


def may_reset(actor: User) -> bool:
    """Vendor admins reset other users' second factor: whoever may manage the members of a vendor account
    (asked of the authority)."""
    from .models import Account

    vendor_accounts = [pk for pk, kind in access.subject(actor).kinds.items() if kind == "vendor"]
    return any(
        access.can(actor, "manage_members", account)
        for account in Account.objects.filter(pk__in=vendor_accounts)
    )


@transaction.atomic
def reset_two_factor(*, actor: User, user: User, reason: str = "") -> None:
    """A vendor admin removes ``user``'s devices (lost phone): every session and token of the user ends, the next
    log-in asks to enrol again. Audited."""
    from portal.text import clean_single_line

    from .tokens import log_out_everywhere

    if not may_reset(actor):
        raise NotPermitted(_("Only vendor administrators reset two-factor authentication."))
    reason = clean_single_line(reason, "reason")[:200]
    _remove_devices(user)
    log_out_everywhere(user=user)
    record_event(
        actor=actor, action="two_factor.reset", target=user, data={"user": user.email, "reason": reason}
    )


# --- Demo (make run) -----------------------------------------------------------------------------------------

# RFC 6238's test key: the demo users' authenticator secret (never in production: accounts.demo, demo_otp).
DEMO_TOTP_KEY = "3132333435363738393031323334353637383930"


def next_code(device: TOTPDevice, *, wait: bool = False) -> str:
    """The code the device accepts next: the current one, or — when that was used already — the next period's
    (accepted within the tolerance); with ``wait`` it sleeps until a fresh one is acceptable."""
    while True:
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        totp.time = time.time()
        step = max(totp.t(), device.last_t + 1)
        if step <= totp.t() + device.tolerance:
            totp.time = device.t0 + (step - device.drift) * device.step
            return f"{totp.token():0{device.digits}d}"
        if not wait:
            raise RuntimeError("both codes of this period were used; wait for the next one")
        time.sleep(1)
        device.refresh_from_db()
