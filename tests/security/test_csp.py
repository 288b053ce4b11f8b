"""Content-Security-Policy (issue 10 §3, django-csp): every page sends a policy that allows scripts and styles
from this site only; no template carries inline scripts, event-handler attributes or style attributes; and
in a real browser the pages (htmx overlays, the account switcher, the admin, the API docs) work with no
policy violation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from accounts.tests.factories import AccountFactory, member

INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event-handler attribute"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]
ALLOWED_STYLE_ELEMENT = {
    "tenants/offer_pdf.html",  # WeasyPrint's self-contained input, also served as the printable offer: <style nonce=…>
    "reports/statement_pdf.html",  # WeasyPrint's input (reports.selectors.statement_pdf); the nonce if ever served
}


def _templates():
    roots = [Path(settings.BASE_DIR) / "templates", *Path(settings.BASE_DIR).glob("*/templates")]
    for root in roots:
        for path in root.rglob("*.html"):
            yield path.relative_to(root).as_posix(), path.read_text()


def test_ui1_no_template_has_inline_script_handlers_or_styles():
    found = []
    for name, text in _templates():
        for pattern, what in INLINE:
            if pattern.search(text):
                found.append(f"{name}: {what}")
        if "<style" in text and name not in ALLOWED_STYLE_ELEMENT:
            found.append(f"{name}: <style> element")
        if name in ALLOWED_STYLE_ELEMENT:
            assert "csp_nonce" in text
    assert found == []


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/login/", "/", "/tenants/", "/profile/", "/api/docs/", "/password-reset/"])
def test_ui1_pages_send_the_policy(path):
    client = Client()
    if path not in ("/login/", "/password-reset/"):
        client.force_login(member(AccountFactory(), "owner"))
    response = client.get(path)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"


WATCH = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sourceFile || '') + ':' + e.lineNumber);
});
"""


@pytest.mark.e2e
def test_ui1_pages_work_without_policy_violations(e2e):
    from tests.e2e.two_factor import pass_second_factor

    page, base_url = e2e
    page.add_init_script(WATCH)
    console = []
    page.on("console", lambda message: console.append(message.text))

    def visit(path):
        page.goto(f"{base_url}{path}")
        page.wait_for_load_state("load")
        violations = page.evaluate("window.__cspViolations")
        assert violations == [], (path, violations)

    page.goto(f"{base_url}/login/")
    page.locator("#id_username").fill("sales@partner.example")
    page.locator("#id_password").fill("demo")
    page.locator("#id_password").press("Enter")
    pass_second_factor(page, "sales@partner.example")
    page.wait_for_url(re.compile(r"/$"))
    for path in ("/", "/tenants/", "/tenants/new/", "/delegations/", "/profile/", "/audit/", "/api/docs/"):
        visit(path)
    # htmx works under script-src 'self': the tenant page opens an overlay and Escape closes it.
    visit("/tenants/T-000001/")
    overlay_link = page.locator("a[hx-get]").first
    overlay_link.click()
    page.locator("#overlay .card").first.wait_for()
    page.keyboard.press("Escape")
    assert page.locator("#overlay .card").count() == 0
    # The account switcher submits on change (data-autosubmit in static/js/portal.js).
    options = page.locator("#account-select option")
    if options.count() > 1:
        page.select_option("#account-select", index=1)
        page.wait_for_load_state("load")
    assert page.evaluate("window.__cspViolations") == []
    assert not [text for text in console if "Content Security Policy" in text], console


@pytest.mark.e2e
def test_ui1_admin_and_two_factor_pages_work_without_policy_violations(e2e):
    from tests.e2e.two_factor import pass_second_factor

    page, base_url = e2e
    page.add_init_script(WATCH)
    page.goto(f"{base_url}/login/")
    page.locator("#id_username").fill("admin@vendor.example")
    page.locator("#id_password").fill("demo")
    page.locator("#id_password").press("Enter")
    assert page.evaluate("window.__cspViolations") == []
    pass_second_factor(page, "admin@vendor.example")
    page.wait_for_url(re.compile(r"/$"))
    for path in ("/admin/", "/admin/accounts/user/", "/admin/accounts/account/1/change/", "/2fa/setup/"):
        page.goto(f"{base_url}{path}")
        page.wait_for_load_state("load")
        assert page.evaluate("window.__cspViolations") == [], path
