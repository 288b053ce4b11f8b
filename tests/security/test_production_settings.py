"""Production safety (OPS-2, issue 10 §3): settings refuse to start without a real SECRET_KEY when DEBUG is off,
and a variable that is set but blank means its default (compose files and CI often write ``DATABASE_URL=``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

SNIPPET = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'], 'name': str(s.DATABASES['default']['NAME']),"
    " 'broker': s.CELERY_BROKER_URL, 'debug': s.DEBUG}))"
)


def _run(tmp_path: Path, **overrides) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SECRET_KEY", "DEBUG", "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "EMAIL_URL"}
    }
    env.update(PORTAL_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="portal.settings", **overrides)
    return subprocess.run(
        [sys.executable, "-c", SNIPPET],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "secret",
    [
        None,  # not set at all
        "",  # set but blank
        "   ",  # only blanks
        "dev-insecure-9f3c7a1e2b4d6f8a0c2e4a6b8d0f2a4c6e8a0b2d4f6a8c0e2",  # the published development key
    ],
)
def test_ops2_debug_off_without_a_secret_key_refuses_to_start(tmp_path, secret):
    overrides = {"DEBUG": "0", "ALLOWED_HOSTS": "portal.example.com"}
    if secret is not None:
        overrides["SECRET_KEY"] = secret
    result = _run(tmp_path, **overrides)
    assert result.returncode != 0, result.stdout
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr


def test_ops2_debug_off_with_a_secret_key_starts(tmp_path):
    result = _run(tmp_path, DEBUG="0", SECRET_KEY="x" * 64, ALLOWED_HOSTS="portal.example.com")
    assert result.returncode == 0, result.stderr


def test_ops2_debug_on_keeps_the_development_key(tmp_path):
    result = _run(tmp_path, DEBUG="1")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("blank", ["", "  "])
def test_ops2_blank_service_urls_mean_the_defaults(tmp_path, blank):
    result = _run(
        tmp_path, DEBUG="1", DATABASE_URL=blank, REDIS_URL=blank, CELERY_BROKER_URL=blank, EMAIL_URL=blank
    )
    assert result.returncode == 0, result.stderr
    import json

    configured = json.loads(result.stdout.strip().splitlines()[-1])
    assert configured["engine"] == "django.db.backends.sqlite3"
    assert configured["name"] == str(tmp_path / "portal.sqlite3")
    assert configured["broker"] == "portalfs://"  # the embedded broker (portal/brokers.py)
