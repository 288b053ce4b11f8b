"""``manage.py import_legacy --accounts a.csv --tenants t.csv --links l.csv`` (CHK-1 case C).

Imports accounts, tenants and their links from legacy CSV exports. A tenant linked to a second account is kept
as a flagged legacy link for the set-up check to report and for support to resolve (``support.services``).
"""

from django.core.management.base import BaseCommand, CommandError

from portal import access
from support import services


class Command(BaseCommand):
    help = (
        "Import legacy accounts, tenants and links from CSV; double links are flagged for the set-up check."
    )

    def add_arguments(self, parser):
        parser.add_argument("--accounts", help="CSV: number,name,kind,purpose,contact_email,leading_number")
        parser.add_argument("--tenants", help="CSV: number,name,environment,account_number")
        parser.add_argument("--links", help="CSV: tenant_number,account_number")

    def handle(self, *args, **options):
        if not any(options.get(name) for name in ("accounts", "tenants", "links")):
            raise CommandError("Give at least one of --accounts, --tenants, --links.")
        try:
            report = services.import_legacy(
                actor=access.SYSTEM,
                accounts_csv=options.get("accounts"),
                tenants_csv=options.get("tenants"),
                links_csv=options.get("links"),
                source=" ".join(
                    filter(None, (options.get("accounts"), options.get("tenants"), options.get("links")))
                ),
            )
        except (OSError, KeyError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read the CSV: {exc}") from exc
        for error in report.errors:
            self.stderr.write(error)
        self.stdout.write(
            f"accounts created: {report.accounts_created}, tenants created: {report.tenants_created}, "
            f"legacy double links flagged: {report.links_flagged}"
        )
