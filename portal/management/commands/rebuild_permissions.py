from django.core.management.base import BaseCommand

from portal import access


class Command(BaseCommand):
    help = "Recompute all django-guardian rows and partner role groups from the source relations."

    def handle(self, *args, **options):
        result = access.rebuild_all()
        self.stdout.write(f"added {result['added']}, removed {result['removed']}")
