"""Hand-offs in the browser (UI-1, issue 13 §2): when sales books a service that needs deploying, the tech user
sees a to-do on the dashboard and a notice behind the bell; marking a notice read updates the bell's count
without reloading the page (htmx action → HX-Trigger → the bell re-reads its count)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.two_factor import pass_second_factor

pytestmark = pytest.mark.e2e


def log_in(page: Page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("E-Mail").fill(email)
    page.get_by_label("Passwort").fill("demo")
    page.get_by_role("button", name="Anmelden").click()
    pass_second_factor(page, email)
    expect(page.get_by_role("link", name=email)).to_be_visible()


def bell_count(page: Page) -> int:
    count = page.locator("#nav-bell .bell-count")
    return int(count.get_attribute("data-count") or 0)


def test_ui1_tech_sees_a_todo_and_a_notice_after_sales_books_a_service(e2e, browser):
    page, base_url = e2e
    tech_context = browser.new_context(locale="de-DE")
    tech = tech_context.new_page()
    log_in(tech, base_url, "tech@partner.example")
    todos = tech.locator("#todos")
    expect(todos.get_by_text(re.compile(r"^T-000003 "))).to_have_count(0)  # everything there is deployed
    before = bell_count(tech)

    log_in(page, base_url, "sales@partner.example")
    page.goto(f"{base_url}/tenants/T-000003/")
    page.locator("[data-action=add-services]").first.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("checkbox", name=re.compile(r"^E-Mail-Archiv")).check()
    expect(dialog.locator("output[data-running-total]")).not_to_have_text("0,00 €")
    dialog.locator("[data-action=submit]").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.locator(".msg.success")).to_be_visible()

    tech.reload()
    todo = todos.locator("li", has_text=re.compile(r"^T-000003 "))
    expect(todo).to_contain_text("1 Service wartet auf Bereitstellung")
    assert bell_count(tech) == before + 1
    todo.get_by_role("link", name="Bereitstellen").click()
    expect(tech).to_have_url(re.compile(r"/tenants/T-000003/$"))
    expect(tech.locator("[data-action=deploy]")).to_be_visible()
    tech.get_by_role("link", name="Benachrichtigungen", exact=True).click()
    expect(tech.locator(".notifications li").first).to_contain_text("bereit zur Bereitstellung")
    tech_context.close()


def test_ui1_bell_count_changes_after_marking_a_notice_read(e2e):
    page, base_url = e2e
    log_in(page, base_url, "tech@partner.example")
    bell = page.get_by_role("link", name="Benachrichtigungen", exact=True)
    expect(bell).to_be_visible()
    before = bell_count(page)
    assert before > 0
    bell.click()
    page.locator("[data-action=read]").first.click()
    # No reload: the bell re-reads its count after the htmx action.
    expect(page.locator("#nav-bell .bell-count")).to_have_attribute("data-count", str(before - 1))
    page.locator("[data-action=read-all]").click()
    expect(page.locator("#nav-bell .bell-count")).to_have_attribute("data-count", "0")
    expect(page.locator("#nav-bell .bell-count")).to_be_hidden()
