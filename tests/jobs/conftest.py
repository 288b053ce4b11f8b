"""Fixtures of the background-job tests: a broker on the test Redis for this process, mails recorded in the
test database, and real Celery worker processes (started, killed with SIGKILL, restarted)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from conftest import redis_available, redis_url, require_service

from . import mailbox

ROOT = Path(__file__).resolve().parents[2]


def wait_for(condition, timeout: float = 30.0, message: str = "the condition did not hold in time"):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, message
        time.sleep(0.1)


def reset_broker_pools(app) -> None:
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def redis_broker(transactional_db):
    """This process publishes to the test Redis (tasks are not run eagerly here: mark the test
    ``celery_worker``); the Redis database starts empty."""
    import redis

    from portal.celery import app

    url = redis_url()
    require_service(redis_available(url), f"needs Redis at {url}")
    redis.Redis.from_url(url).flushdb()
    previous = {key: app.conf.get(key) for key in ("broker_url", "broker_transport_options")}
    app.conf.broker_url = url
    app.conf.broker_transport_options = {}
    reset_broker_pools(app)
    yield url
    app.conf.update(previous)
    reset_broker_pools(app)
    redis.Redis.from_url(url).flushdb()


@pytest.fixture
def recorded_mails(transactional_db):
    """Mails as rows of the test database (tests.jobs.mailbox), countable across processes."""
    mailbox.create_table()
    yield mailbox
    connection.close()  # a worker's open transaction must not keep the table
    mailbox.drop_table()


class WorkerProcess:
    """One ``celery worker`` process group, logging to a file."""

    def __init__(self, popen: subprocess.Popen, log: Path, name: str):
        self.popen, self.log, self.name = popen, log, name

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self, timeout: float = 60.0) -> None:
        wait_for(
            lambda: "ready." in self.output() or not self.alive(),
            timeout,
            f"worker {self.name} did not start",
        )
        assert self.alive(), self.output()[-3000:]

    def kill(self) -> None:
        """SIGKILL to the main process and its pool children: no warm shutdown, no acknowledgement."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)


@pytest.fixture
def worker_processes(redis_broker, recorded_mails, require_postgres, tmp_path):
    """``start(concurrency=2, mail_delay=0.0)`` → a real worker process on the test Redis and the test
    database, with the test tasks and the recorded mails. Every process is killed at the end."""
    settings_dict = connection.settings_dict
    database_url = (
        f"postgres://{settings_dict['USER']}:{settings_dict.get('PASSWORD') or ''}@"
        f"{settings_dict['HOST'] or '127.0.0.1'}:{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"
    )
    started: list[WorkerProcess] = []

    def start(*, concurrency: int = 2, mail_delay: float = 0.0) -> WorkerProcess:
        name = f"faults{len(started)}"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.jobs.worker_settings",
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": redis_broker,
            "OUTBOX_RETRY_BASE_SECONDS": "0.2",
            "TEST_MAIL_DELAY": str(mail_delay),
            "LOG_LEVEL": "INFO",
        }
        log = tmp_path / f"{name}.log"
        command = [sys.executable, "-m", "celery", "-A", "portal", "worker", "-P", "prefork"]
        command += ["-c", str(concurrency), "-n", f"{name}@%h", "-l", "INFO"]
        command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        with log.open("wb") as output:
            popen = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
            )
        worker = WorkerProcess(popen, log, name)
        started.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in started:
        if worker.alive():
            worker.kill()
