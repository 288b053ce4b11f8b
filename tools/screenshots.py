"""``make screenshots``: the main pages of the demo at 1280 and 375 px for every demo role, as PNGs in
var/screenshots/ (UI-1). Runs its own demo (SQLite in var/screenshots-demo/, jobs inline) on a spare port with
Django's runserver, drives Debian's chromium with Playwright, and stops the server again.

    .venv/bin/python tools/screenshots.py [--out var/screenshots] [--widths 1280,375] [--base-url URL]

With ``--base-url`` it photographs a portal that is already running instead (log-ins must be the demo's).
It also prints, per page, whether the page scrolls sideways at that width.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
ROLES = {
    "owner": "owner@shop.example",
    "sales": "sales@partner.example",
    "tech": "tech@partner.example",
    "support": "support@vendor.example",
    "reseller": "admin@reseller.example",
    "vendor-admin": "admin@vendor.example",
}
PAGES = {
    "dashboard": "/",
    "tenants": "/tenants/",
    "tenant": "/tenants/{tenant}/",
    "delegations": "/delegations/",
    "notifications": "/delegations/notifications/",
    "audit": "/audit/",
    "accounts": "/accounts/",
    "profile": "/profile/",
}
TENANT_OF = {"reseller": "T-000002", "support": "T-000001", "vendor-admin": "T-000001"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_demo(port: int) -> tuple[subprocess.Popen, str]:
    var = ROOT / "var" / "screenshots-demo"
    shutil.rmtree(var, ignore_errors=True)
    var.mkdir(parents=True)
    env = {
        **os.environ,
        "PORTAL_VAR_DIR": str(var),
        "PORT": str(port),
        "SITE_URL": f"http://127.0.0.1:{port}",
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "AXES_ENABLED": "0",
    }
    for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"):
        env.pop(name, None)
    manage = [PYTHON, str(ROOT / "manage.py")]
    for command in (["migrate", "--no-input", "-v", "0"], ["createcachetable"], ["seed_demo"]):
        subprocess.run(manage + command, env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    server = subprocess.Popen(
        manage + ["runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _attempt in range(100):
        try:
            urllib.request.urlopen(base + "/login/", timeout=1)  # noqa: S310 - our own local server
            return server, base
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("The demo server did not start.")


def photograph(base: str, out: Path, widths: list[int]) -> int:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    overflowing = 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"), args=["--no-sandbox"]
        )
        for role, email in ROLES.items():
            for width in widths:
                context = browser.new_context(viewport={"width": width, "height": 900}, locale="de-DE")
                page = context.new_page()
                page.goto(base + "/login/")
                page.fill("#id_username", email)
                page.fill("#id_password", "demo")
                page.click("button[type=submit].primary")
                page.wait_for_url(re.compile(r".*/$"))
                for name, path in PAGES.items():
                    page.goto(base + path.format(tenant=TENANT_OF.get(role, "T-000001")))
                    wide = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
                    overflowing += bool(wide)
                    target = out / f"{role}-{width}-{name}.png"
                    page.screenshot(path=str(target), full_page=True)
                    print(
                        f"{target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}"
                        f"{'  SCROLLS SIDEWAYS' if wide else ''}"
                    )
                context.close()
        browser.close()
    return overflowing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "var" / "screenshots"))
    parser.add_argument("--widths", default="1280,375")
    parser.add_argument("--base-url", default="")
    args = parser.parse_args()
    widths = [int(width) for width in args.widths.split(",")]
    server = None
    base = args.base_url.rstrip("/")
    if not base:
        server, base = start_demo(free_port())
    try:
        overflowing = photograph(base, Path(args.out), widths)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
    print(f"{overflowing} page(s) scroll sideways.")


if __name__ == "__main__":
    main()
