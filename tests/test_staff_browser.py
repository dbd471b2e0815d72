"""The staff console's layout in real Chromium against a real console process: sign in by keyboard, see the
navigation your role allows, sign out; a phone-width screen; an admin's user management; no CSP violations."""
from __future__ import annotations

import re
from pathlib import Path
from typing import List

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from tests.staff_console import PASSWORD, ROOT, StaffConsole

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = ROOT / "reports" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("staff-browser")
    running = StaffConsole(workdir, f"sqlite:///{workdir / 'staff.db'}").start()
    try:
        running.add_user("ada", "admin")
        running.add_user("cole", "collector")
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser`")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def open_page(browser, request):
    """A fresh browser context per page; fails the test on any script error or CSP violation."""
    problems: List[str] = []
    pages: List[Page] = []

    def make(viewport=DESKTOP) -> Page:
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
        page.on("console", lambda message: problems.append(message.text)
                if message.type == "error" and "Content Security Policy" in message.text else None)
        pages.append(page)
        return page

    yield make
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for number, page in enumerate(pages):
        page.screenshot(path=str(SCREENSHOTS / f"staff-{request.node.name}-{number}.png"), full_page=True)
        page.context.close()
    assert not problems, problems


def sign_in_by_keyboard(page: Page, username: str) -> None:
    """The sign-in form's username field has focus on arrival; Tab to the password; Enter submits."""
    expect(page.locator("h1")).to_have_text("Sign in")
    expect(page.locator("#username")).to_be_focused()
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    expect(page.locator("#password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).not_to_have_url(re.compile(r"/login"))


def test_an_admin_signs_in_sees_the_navigation_and_signs_out(console, open_page):
    page = open_page()
    page.goto(f"{console.url}/admin/users")
    expect(page).to_have_url(f"{console.url}/login?next=%2Fadmin%2Fusers")
    sign_in_by_keyboard(page, "ada")

    expect(page).to_have_url(f"{console.url}/admin/users")
    expect(page.locator("h1")).to_have_text("Staff users")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link")).to_have_text(["Practice", "Review", "Dashboard", "Users", "Audit log"])
    expect(nav.get_by_role("link", name="Users")).to_have_attribute("aria-current", "page")
    expect(page.locator(".who-name")).to_contain_text("ada")

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{console.url}/login?signed_out=1")
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)
    page.goto(f"{console.url}/admin/users")
    expect(page.locator("h1")).to_have_text("Sign in")


def test_a_collector_on_a_phone_sees_only_their_links_and_no_sideways_scrolling(console, open_page):
    page = open_page(PHONE)
    page.goto(f"{console.url}/")
    sign_in_by_keyboard(page, "cole")
    expect(page.locator("h1")).to_have_text("Staff console")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link")).to_have_text(["Practice"])
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    expect(page.get_by_role("button", name="Sign out")).to_be_in_viewport()

    # Keyboard: the first Tab reaches the skip link, which moves focus to the content.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    page.goto(f"{console.url}/admin/users")
    expect(page.locator("h1")).to_have_text("Not allowed")
    expect(page.locator("main")).to_contain_text("Your role (collector) cannot open this page")


def test_an_admin_adds_a_user_and_changes_the_role_on_the_users_page(console, open_page):
    page = open_page()
    page.goto(f"{console.url}/login")
    sign_in_by_keyboard(page, "ada")
    page.goto(f"{console.url}/admin/users")

    add = page.locator("form[action='/admin/users']")
    add.get_by_label("Username").fill("Nina")
    add.get_by_label("Role").select_option("collector")
    add.get_by_label("Password").fill("nina's own password")
    add.get_by_role("button", name="Add user").click()
    expect(page.get_by_role("status")).to_have_text("Created nina.")
    row = page.locator("tr[data-username='nina']")
    expect(row.locator("select[name=role]")).to_have_value("collector")

    row.get_by_label("Role of nina").select_option("supervisor")
    row.get_by_role("button", name="Change role").click()
    expect(page.get_by_role("status")).to_have_text("Changed the role of nina.")
    expect(page.locator("tr[data-username='nina'] select[name=role]")).to_have_value("supervisor")

    page.goto(f"{console.url}/admin/audit")
    expect(page.locator("table.audit tbody tr").first).to_contain_text("staff_user.role")
    expect(page.locator("table.audit")).to_contain_text("staff_user.create")
