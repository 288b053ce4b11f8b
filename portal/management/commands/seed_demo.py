from django.core.management.base import BaseCommand

from portal.demo import seed_demo


class Command(BaseCommand):
    help = "Create the SPEC §7 demo world (idempotent: running it twice changes nothing)."

    def handle(self, *args, **options):
        self.stdout.write("Seeding demo data …")
        seed_demo(self.stdout)
        self.stdout.write(
            self.style.SUCCESS("Demo data ready. Log in with any demo e-mail and password 'demo'.")
        )
