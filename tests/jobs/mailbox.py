"""A mail backend for the fault tests: every mail becomes a row of ``test_sent_mail`` in the test database,
written on the sending connection (so inside the transaction around the effect, as an SMTP accept would
happen inside it), and countable from the test process."""

from __future__ import annotations

import os
import time

from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection

TABLE = "test_sent_mail"


def create_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} (id serial PRIMARY KEY, recipient text, subject text, "
            "message_id text, pid integer, sent_at timestamptz DEFAULT now())"
        )
        cursor.execute(f"TRUNCATE {TABLE}")


def drop_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")


def sent() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT recipient, message_id FROM {TABLE} ORDER BY id")
        return list(cursor.fetchall())


class DatabaseMailBackend(BaseEmailBackend):
    def send_messages(self, messages) -> int:
        with connection.cursor() as cursor:
            for message in messages:
                cursor.execute(
                    f"INSERT INTO {TABLE} (recipient, subject, message_id, pid) VALUES (%s, %s, %s, %s)",
                    [
                        ",".join(message.to),
                        message.subject,
                        message.extra_headers.get("Message-ID", ""),
                        os.getpid(),
                    ],
                )
        # A slow mail server: long enough for a test to kill the process while the mail is "being sent".
        time.sleep(float(os.environ.get("TEST_MAIL_DELAY", "0")))
        return len(messages)
