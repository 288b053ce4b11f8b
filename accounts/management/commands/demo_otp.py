"""``manage.py demo_otp EMAIL``: the current two-factor code of a demo user (issue 10; development only).

The demo users of vendor and partner accounts log in with a second factor; seed_demo gives them an
authenticator with a known key. This prints the code the user's device accepts next. Refused when DEBUG is
off: production users have their own authenticator apps.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import twofactor


class Command(BaseCommand):
    help = "Print the current two-factor code of a demo user (DEBUG only)."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument(
            "--wait", action="store_true", help="If both codes of this period were used, wait."
        )

    def handle(self, *args, email, wait=False, **options):
        if not settings.DEBUG:
            raise CommandError("demo_otp only runs with DEBUG on (development and demo).")
        device = TOTPDevice.objects.filter(user__email__iexact=email.strip(), confirmed=True).first()
        if device is None:
            raise CommandError(f"{email} has no authenticator (only vendor and partner demo users have one).")
        if device.key != twofactor.DEMO_TOTP_KEY:
            raise CommandError(f"{email} uses an authenticator app of its own, not the demo key.")
        try:
            self.stdout.write(twofactor.next_code(device, wait=wait))
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
