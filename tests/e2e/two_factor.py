"""The second log-in step in the browser tests (issue 10): demo vendor and partner users confirm their
log-in with the code of the demo authenticator (accounts.twofactor.DEMO_TOTP_KEY), as `manage.py demo_otp`
prints it for a person; a user who must have a second factor and has none enrols on the set-up page with
the key it shows."""

from __future__ import annotations

import re
from base64 import b32decode

from playwright.sync_api import Page, expect


def pass_second_factor(page: Page, email: str) -> None:
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts import twofactor
    from accounts.models import User

    device = TOTPDevice.objects.filter(user__email__iexact=email, confirmed=True).first()
    if device is not None:
        expect(page).to_have_url(re.compile(r"/login/verify/"))
        page.locator("#id_code").fill(twofactor.next_code(device, wait=True))
        page.locator("#id_code").press("Enter")
        return
    user = User.objects.filter(email__iexact=email).first()
    if user is None or not twofactor.is_required(user):
        return  # customers without an authenticator: no second step
    expect(page).to_have_url(re.compile(r"/2fa/setup/"))
    secret = page.locator("code.secret").inner_text().replace(" ", "")
    key = b32decode(secret + "=" * (-len(secret) % 8))
    page.locator("#id_code").fill(f"{totp(key):06d}")
    page.locator("#id_code").press("Enter")
    page.locator(".recovery-codes").wait_for()
    page.locator("a.button.primary").click()
