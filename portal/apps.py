from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")

    def ready(self):
        # Register every app's tasks now, not when a worker first asks (Celery's autodiscovery is lazy): a web
        # process, a test or a shell that names a task by the beat schedule finds it registered.
        from portal.celery import app

        app.autodiscover_tasks(force=True)
