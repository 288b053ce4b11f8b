"""The demo world of SPEC §7, built idempotently through the services.

Each app contributes a ``<app>/demo.py`` with ``seed(world)``, found by app (in INSTALLED_APPS order, so
accounts come before tenants, tenants before delegations, …); ``world`` is a dict of named objects that
earlier steps created (users by e-mail, accounts by key, tenants by number). The ground floor names no app. Running it twice changes
nothing: every step looks its objects up by natural key before creating them.
"""

from __future__ import annotations

import importlib

from django.db import transaction

DEMO_PASSWORD = "demo"  # only in demo data (SPEC §7)


def steps() -> list[str]:
    from django.apps import apps

    return [f"{config.name}.demo" for config in apps.get_app_configs() if config.name != __package__]


def seed_demo(stdout=None) -> dict:
    world: dict = {}
    for name in steps():
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        with transaction.atomic():
            module.seed(world)
        if stdout is not None:
            stdout.write(f"  {name}: ok")
    return world
