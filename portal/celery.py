"""The Celery app. Jobs that follow a state change go through the transactional outbox (portal.outbox): written
in the change's transaction, handed to Celery after commit, swept again by beat. The embedded broker of
``make run`` is portal.broker's safe filesystem transport (``portalfs://``)."""

import os

from celery import Celery

from portal import broker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

broker.register()  # before any connection: settings may name portalfs://
app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="portal.ping")
def ping() -> str:
    return "pong"
