"""Settings of the Celery worker processes that the fault tests start (tests/jobs/test_faults.py): the
project's settings, with mails recorded in the test database (so mails can be counted across processes, in
the transaction of the effect) and the test-only tasks imported."""

from portal.settings import *  # noqa: F403

EMAIL_BACKEND = "tests.jobs.mailbox.DatabaseMailBackend"
CELERY_IMPORTS = ["tests.jobs.tasks"]
