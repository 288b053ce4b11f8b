"""OPS-2: docker-compose.yml and the Dockerfile describe the production shape, and everything they run exists.

No Docker engine runs here, so these tests read both files and check them against the project: every
``manage.py`` sub-command is a real Django command, the gunicorn target and the Celery app import, the
beat scheduler is the DatabaseScheduler the settings name, every environment variable compose sets is one
the settings read, ``depends_on`` conditions can be met, and the image contains what the commands need.
"""

from __future__ import annotations

import fnmatch
import importlib
import re
import shlex
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, dict] = COMPOSE["services"]
APP_SERVICES = ("migrate", "web", "worker", "beat")
SETTINGS_SOURCE = (ROOT / "portal" / "settings" / "__init__.py").read_text()


def interpolate(value: str) -> str:
    """Compose's variable substitution with the defaults written in the file (``$$`` is a literal ``$``)."""

    def replace(match: re.Match) -> str:
        expression = match.group(1)
        for separator in (":-", "-"):
            if separator in expression:
                return expression.split(separator, 1)[1]
        if ":?" in expression or "?" in expression:
            return "set-by-the-operator"
        return ""

    return re.sub(r"(?<!\$)\$\{([^}]*)\}", replace, value).replace("$$", "$")


def argv(command) -> list[str]:
    if isinstance(command, str):
        return shlex.split(interpolate(command))
    return [interpolate(str(part)) for part in command]


def option(args: list[str], *names: str) -> str | None:
    """The value of ``--name value``, ``--name=value`` or ``-n value`` in ``args``."""
    for index, arg in enumerate(args):
        for name in names:
            if arg == name and index + 1 < len(args):
                return args[index + 1]
            if name.startswith("--") and arg.startswith(name + "="):
                return arg.split("=", 1)[1]
    return None


def import_target(target: str):
    module_name, _, attribute = target.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attribute) if attribute else module


def check_gunicorn(args: list[str]) -> None:
    from gunicorn.config import Config

    try:
        parsed = Config().parser().parse_args(args[1:])  # gunicorn's own parser: unknown options fail
    except SystemExit as exc:
        raise AssertionError(f"gunicorn rejects its options: {args}") from exc
    assert len(parsed.args) == 1, f"gunicorn needs exactly one application target: {args}"
    application = import_target(parsed.args[0])
    assert callable(application), f"{parsed.args[0]} is not a WSGI callable"
    module, attribute = settings.WSGI_APPLICATION.rsplit(".", 1)
    assert parsed.args[0] == f"{module}:{attribute}", "gunicorn must serve settings.WSGI_APPLICATION"


def check_celery(args: list[str]) -> dict:
    """Parse the command line with Celery's own click commands (unknown options fail); return its options."""
    from celery import Celery
    from celery.app.utils import find_app
    from celery.bin.base import CLIContext
    from celery.bin.celery import celery as cli

    app_name = option(args, "-A", "--app")
    assert app_name, f"celery without -A: {args}"
    app = find_app(app_name)  # what ``celery -A`` does
    assert isinstance(app, Celery), f"{app_name} has no Celery app"
    assert app.main == "portal"
    index = next((i for i, arg in enumerate(args) if arg in cli.commands), None)
    assert index is not None, f"no celery sub-command in {args}"
    name = args[index]
    context = cli.make_context(
        "celery", args[1 : index + 1], obj=CLIContext(app=app, no_color=True, workdir=None, quiet=True)
    )
    params = cli.commands[name].make_context(name, args[index + 1 :], parent=context).params
    if name == "beat":
        assert params["scheduler"] == settings.CELERY_BEAT_SCHEDULER, "beat must use the DatabaseScheduler"
        import_target(params["scheduler"])
    return {"command": name, **params}


def check_command(args: list[str]) -> str:
    """Assert that the program and everything it names exist; return the program's name."""
    assert args, "empty command"
    if args[0] in ("python", "python3") and len(args) > 1 and args[1] == "manage.py":
        assert (ROOT / "manage.py").exists()
        assert len(args) > 2, "manage.py without a sub-command"
        assert args[2] in get_commands(), f"manage.py {args[2]} is not a Django command of this project"
        return "manage.py"
    if args[0] in ("python", "python3") and len(args) > 2 and args[1] == "-c":
        compile(args[2], "<healthcheck>", "exec")
        for modules in re.findall(r"^\s*import ([\w., ]+)", args[2], flags=re.M):
            for module in modules.split(","):
                importlib.import_module(module.strip())
        return "python"
    if args[0] == "gunicorn":
        check_gunicorn(args)
        return "gunicorn"
    if args[0] == "celery":
        check_celery(args)
        return "celery"
    raise AssertionError(f"unknown program in docker-compose.yml: {args[0]}")


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    result = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def copied_paths() -> set[str]:
    paths: set[str] = set()
    for keyword, rest in dockerfile_instructions():
        if keyword in ("COPY", "ADD"):
            parts = [p for p in shlex.split(rest) if not p.startswith("--")]
            paths.update(p.rstrip("/") for p in parts[:-1])
    return paths


def is_copied(relative: str) -> bool:
    copied = copied_paths()
    if "." in copied:
        return not dockerignored(relative)
    head = relative.split("/")[0]
    return (relative in copied or head in copied) and not dockerignored(relative)


def dockerignored(relative: str) -> bool:
    ignore = ROOT / ".dockerignore"
    if not ignore.exists():
        return False
    patterns = [p.strip() for p in ignore.read_text().splitlines() if p.strip() and not p.startswith("#")]
    return any(fnmatch.fnmatch(relative, p) or fnmatch.fnmatch(relative.split("/")[0], p) for p in patterns)


def local_app_dirs() -> list[str]:
    return [app for app in settings.INSTALLED_APPS if "." not in app and (ROOT / app).is_dir()]


# --- compose ---------------------------------------------------------------------------------------------


def test_ops2_compose_has_the_production_services():
    assert {"postgres", "redis", "migrate", "web", "worker", "beat"} <= set(SERVICES)


@pytest.mark.parametrize("name", APP_SERVICES)
def test_ops2_every_compose_command_exists_in_the_project(name):
    service = SERVICES[name]
    assert service.get("build") == "." or service.get("image"), f"{name} has neither build nor image"
    program = check_command(argv(service["command"]))
    expected = {"migrate": "manage.py", "web": "gunicorn", "worker": "celery", "beat": "celery"}[name]
    assert program == expected


def test_ops2_compose_runs_migrate_web_worker_and_beat_as_intended():
    assert argv(SERVICES["migrate"]["command"])[2] == "migrate"
    worker = check_celery(argv(SERVICES["worker"]["command"]))
    beat = check_celery(argv(SERVICES["beat"]["command"]))
    assert worker["command"] == "worker" and beat["command"] == "beat"
    assert beat["scheduler"] == "django_celery_beat.schedulers:DatabaseScheduler"


@pytest.mark.parametrize("name", [n for n in SERVICES])
def test_ops2_healthchecks_run_real_commands(name):
    healthcheck = SERVICES[name].get("healthcheck")
    if name == "migrate":
        assert healthcheck is None  # one-shot: "completed successfully" is its health
        return
    assert healthcheck, f"{name} has no healthcheck"
    test = healthcheck["test"]
    assert test[0] in ("CMD", "CMD-SHELL"), test
    if name in APP_SERVICES:
        args = argv(test[1]) if test[0] == "CMD-SHELL" else argv(test[1:])
        if args[0] == "kill":  # beat: its pid file must be the one the command writes
            pidfile = check_celery(argv(SERVICES[name]["command"]))["pidfile"]
            assert pidfile and pidfile in test[1]
        else:
            check_command(args)


def test_ops2_depends_on_conditions_can_be_met():
    valid = {"service_started", "service_healthy", "service_completed_successfully"}
    for name, service in SERVICES.items():
        for target, spec in (service.get("depends_on") or {}).items():
            assert target in SERVICES, f"{name} depends on unknown service {target}"
            condition = spec["condition"]
            assert condition in valid
            if condition == "service_healthy":
                assert SERVICES[target].get("healthcheck"), f"{target} has no healthcheck for {name}"
            if condition == "service_completed_successfully":
                assert SERVICES[target].get("restart") == "no", f"{target} must be a one-shot"
    for name in ("web", "worker", "beat"):
        depends = SERVICES[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_ops2_app_services_get_their_settings_from_the_environment(name):
    environment = SERVICES[name]["environment"]
    for key in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS"):
        assert key in environment, f"{name} lacks {key}"
    assert str(environment["DEBUG"]) == "0"
    assert (
        environment["DATABASE_URL"].startswith("postgres://") and "@postgres:" in environment["DATABASE_URL"]
    )
    assert environment["REDIS_URL"].startswith("redis://redis:")
    # A typo would be silently ignored by the settings: every variable set must be one they read.
    for key in environment:
        assert f'"{key}"' in SETTINGS_SOURCE, f"{key} is not read by portal/settings"


def test_ops2_named_volumes_are_declared():
    declared = set(COMPOSE.get("volumes") or {})
    for name, service in SERVICES.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if not source.startswith((".", "/")):
                assert source in declared, f"{name} uses undeclared volume {source}"


# --- Dockerfile -------------------------------------------------------------------------------------------


def test_ops2_dockerfile_base_image_system_libraries_and_user():
    instructions = dockerfile_instructions()
    assert instructions[0] == ("FROM", "python:3.11-slim")
    runs = " ".join(rest for keyword, rest in instructions if keyword == "RUN")
    for package in ("libpango-1.0-0", "libpangoft2-1.0-0", "gettext"):
        assert package in runs, f"{package} is not installed"
    assert re.search(r"pip install [^&]*\.(\s|$)", runs), "the project is not pip-installed"
    assert "collectstatic" in runs and "compilemessages" in runs
    users = [rest for keyword, rest in instructions if keyword == "USER"]
    assert users and users[-1] not in ("root", "0"), "the image must run as a non-root user"


def test_ops2_dockerfile_default_command_is_the_web_server():
    cmd = next(rest for keyword, rest in reversed(dockerfile_instructions()) if keyword == "CMD")
    check_command(yaml.safe_load(cmd))


def test_ops2_dockerfile_copies_what_the_commands_need():
    needed = ["pyproject.toml", "manage.py", *local_app_dirs()]
    needed += [str(Path(d).relative_to(ROOT)) for d in settings.TEMPLATES[0]["DIRS"]]
    needed += [str(Path(d).relative_to(ROOT)) for d in settings.STATICFILES_DIRS]
    needed += [str(Path(d).relative_to(ROOT)) for d in settings.LOCALE_PATHS]
    for relative in needed:
        assert (ROOT / relative).exists(), f"{relative} is missing from the project"
        assert is_copied(relative), f"the Dockerfile does not copy {relative}"
    # Everything pip installs as a package must be in the image too.
    include = re.search(r"include = \[([^\]]*)\]", (ROOT / "pyproject.toml").read_text()).group(1)
    for pattern in re.findall(r'"([^"]+)"', include):
        package = pattern.rstrip("*")
        assert is_copied(package), f"the Dockerfile does not copy package {package}"


def test_ops2_image_runs_from_the_source_tree():
    # pip install . also puts the packages into site-packages; PYTHONPATH keeps /app (with templates/,
    # static/ and locale/ next to it) first, so settings.BASE_DIR is /app.
    instructions = dockerfile_instructions()
    workdir = [rest for keyword, rest in instructions if keyword == "WORKDIR"][-1]
    env = " ".join(rest for keyword, rest in instructions if keyword == "ENV")
    assert f"PYTHONPATH={workdir}" in env
