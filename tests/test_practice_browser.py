"""The practice page in real Chromium against the real staff console, practice Rasa server, main Rasa server and
action server: sign in, play a whole scenario by keyboard, see the scorecard and the attempt in history; a
collector cannot open another's attempt; an anonymous visitor gets nothing; the page fits a 360 px phone; the
language filter shows the Chinese scenarios and a Chinese chat fits a 360 px phone."""
from __future__ import annotations

import re
from pathlib import Path
from typing import List

import pytest
import requests
from playwright.sync_api import Page, expect, sync_playwright

from actions.practice.scenarios import load_scenarios
from tests.practice_console import PracticeConsole
from tests.staff_console import PASSWORD, ROOT
from tests.test_practice_api import SCENARIO, good_collector_lines

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = ROOT / "reports" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}
REPLY_TIMEOUT = 120_000  # ms: a fresh Rasa server on 2 cores can be slow with its first answers


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    servers = PracticeConsole(tmp_path_factory.mktemp("practice-browser")).start()
    try:
        for name in ("cara", "colin"):
            servers.console.add_user(name, "collector")
        yield servers
    finally:
        servers.stop()


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
        page = browser.new_context(viewport=viewport).new_page()
        page.set_default_timeout(REPLY_TIMEOUT)
        page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
        page.on("console", lambda message: problems.append(message.text)
                if message.type == "error" and "Content Security Policy" in message.text else None)
        pages.append(page)
        return page

    yield make
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for number, page in enumerate(pages):
        page.screenshot(path=str(SCREENSHOTS / f"practice-{request.node.name}-{number}.png"), full_page=True)
        page.context.close()
    assert not problems, problems


def sign_in(page: Page, url: str, username: str, path: str = "/practice") -> None:
    page.goto(url + path)
    expect(page.locator("h1")).to_have_text("Sign in")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(path)))
    expect(page.locator("h1")).to_have_text("Practice")


def say(page: Page, text: str) -> None:
    """Types a message and presses Enter; waits for the debtor's answer."""
    before = page.locator("#log .msg.debtor").count()
    page.locator("#message").focus()
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    expect(page.locator("#log .msg.collector").last).to_have_text("You: " + text)
    expect(page.locator("#log .msg.debtor").nth(before)).to_be_visible(timeout=REPLY_TIMEOUT)


def test_a_collector_plays_a_whole_scenario_sees_the_scorecard_and_the_attempt_in_history(running, open_page):
    scenario = load_scenarios()[SCENARIO]
    page = open_page()
    sign_in(page, running.console.url, "cara")
    expect(page.locator("#history-empty")).to_be_visible()

    page.locator("#filter-difficulty").select_option("easy")
    page.locator("#filter-objection").select_option(scenario.objections[0])
    shown = page.locator("#scenarios li.scenario h3")
    expect(shown.filter(has_text=scenario.title)).to_have_count(1)
    for title in shown.all_inner_texts():
        listed = next(s for s in load_scenarios().values() if s.title == title)
        assert listed.difficulty == "easy" and scenario.objections[0] in listed.objections
    start = page.get_by_role("button", name=f"Start {scenario.title}")
    start.focus()
    page.keyboard.press("Enter")

    expect(page.locator("#session")).to_be_visible()
    expect(page.locator("#card")).to_contain_text(scenario.full_name)
    expect(page.locator("#card")).to_contain_text(scenario.account_id)
    expect(page.locator("#log .msg.debtor").first).to_be_visible()
    expect(page.locator("#message")).to_be_focused()

    card = {"balance": float(scenario.balance), "currency": scenario.currency,
            "due_date": page.locator("#card dd").nth(
                page.locator("#card dt").all_inner_texts().index("Due date")).inner_text()}
    lines = good_collector_lines(card)
    for line in lines:
        say(page, line)
    expect(page.locator("#session-status")).to_contain_text("ended the conversation")

    page.get_by_role("button", name="End and score").click()
    expect(page.locator("#result")).to_be_visible()
    expect(page.locator("#result-summary")).to_have_text(re.compile(r"^Score 100 of 100 .*: passed\.$"))
    criteria = page.locator("#criteria li.criterion")
    expect(criteria).to_have_count(11)
    first = page.locator('#criteria li[data-criterion="identify_self_and_creditor"]')
    expect(first.locator("q")).to_have_text(lines[0])
    for item in criteria.all():
        expect(item.locator(".advice")).not_to_be_empty()
        expect(item.locator(".model-answer blockquote")).not_to_be_empty()

    expect(page.locator("#attempts tbody tr")).to_have_count(1)
    expect(page.locator("#attempts tbody tr").first).to_contain_text(scenario.title)
    expect(page.locator("#trend-chart")).to_have_attribute("data-rendered", "yes")
    expect(page.locator("#trend-table tbody tr")).to_have_count(12)  # 11 criteria and the score

    page.reload()
    page.get_by_role("button", name=re.compile(r"^Open the attempt at ")).click()
    expect(page.locator("#result")).to_be_visible()
    expect(page.locator("#result-transcript .msg.collector")).to_have_count(len(lines))


def finished_attempt(running, username: str) -> str:
    """An attempt finished through the API (start, one message, finish), for the access tests."""
    session = running.console.sign_in(username)
    headers = {"X-CSRF-Token": session.csrf}
    url = running.console.url
    sid = session.post(f"{url}/api/practice/sessions", json={"scenario": SCENARIO}, headers=headers,
                       timeout=180).json()["session_id"]
    session.post(f"{url}/api/practice/sessions/{sid}/messages", json={"text": "Hello, it's Sam from Northwind."},
                 headers=headers, timeout=180).raise_for_status()
    session.post(f"{url}/api/practice/sessions/{sid}/finish", headers=headers, timeout=180).raise_for_status()
    return sid


def test_a_collector_cannot_open_another_collectors_attempt(running, open_page):
    theirs = finished_attempt(running, "cara")
    page = open_page()
    sign_in(page, running.console.url, "colin", f"/practice?attempt={theirs}")
    expect(page.locator("#practice-error")).to_have_text("That attempt does not exist or is not yours.")
    expect(page.locator("#result")).to_be_hidden()
    status = page.evaluate(f"fetch('/api/practice/attempts/{theirs}').then(r => r.status)")
    assert status == 404
    expect(page.locator("#attempts tbody tr")).to_have_count(0)


def test_an_anonymous_visitor_gets_nothing(running, open_page):
    page = open_page()
    page.goto(running.console.url + "/practice")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fpractice"))
    assert "practice" not in page.locator("main").inner_text().lower()
    for path in ("/api/practice/scenarios", "/api/practice/attempts"):
        assert page.evaluate(f"fetch('{path}').then(r => r.status)") == 401
    assert requests.get(running.console.url + "/static/practice.js", timeout=30).status_code == 200  # code, no data


def test_the_page_fits_a_phone_and_works_by_keyboard(running, open_page):
    scenario = load_scenarios()[SCENARIO]
    page = open_page(PHONE)
    sign_in(page, running.console.url, "colin")
    only = [s for s in load_scenarios().values() if scenario.objections[0] in s.objections and
            s.difficulty == scenario.difficulty and s.language == scenario.language]
    page.locator("#filter-language").select_option(scenario.language)
    page.locator("#filter-objection").select_option(scenario.objections[0])
    page.locator("#filter-difficulty").select_option(scenario.difficulty)
    expect(page.locator("#scenario-count")).to_have_text(f"{len(only)} of {len(load_scenarios())} scenarios")
    assert only == [scenario]
    page.get_by_role("button", name="Surprise me").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#session-title")).to_have_text(scenario.title)
    expect(page.locator("#log .msg.debtor").first).to_be_visible()
    say(page, "Hello, this is Sam from Northwind Supplies.")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.keyboard.press("Tab")
    expect(page.locator("#send")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="End and score")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#result")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_language_filter_shows_the_chinese_scenarios_and_a_chinese_chat_fits_a_phone(running, open_page):
    chinese = [s for s in load_scenarios().values() if s.language == "zh"]
    page = open_page(PHONE)
    sign_in(page, running.console.url, "colin")
    expect(page.locator("#filter-language option")).to_have_text(["Any language", "English", "Español", "中文"])
    page.locator("#filter-language").select_option("zh")
    shown = page.locator("#scenarios li.scenario")
    expect(shown).to_have_count(len(chinese))
    assert shown.locator("h3").all_inner_texts() == [s.title for s in chinese]
    assert {item.get_attribute("data-language") for item in shown.all()} == {"zh"}
    expect(shown.first.locator(".badge.language")).to_have_text("中文")
    expect(page.locator("#scenario-count")).to_have_text(f"{len(chinese)} of {len(load_scenarios())} scenarios")

    scenario = chinese[0]
    page.get_by_role("button", name=f"Start {scenario.title}").click()
    expect(page.locator("#session-title")).to_have_text(scenario.title)
    expect(page.locator("#log")).to_have_attribute("lang", "zh")
    opening = page.locator("#log .msg.debtor").first
    expect(opening).to_be_visible()
    assert re.search(r"[\u4e00-\u9fff]", opening.inner_text())
    say(page, "您好，我是北风供应的王丽。在继续之前，请您确认一下出生日期。")
    reply = page.locator("#log .msg.debtor").nth(1)
    expect(reply).to_contain_text(f"{scenario.date_of_birth.year}年")
    long_line = ("我理解您的难处。按照合同，这笔欠款早就应该付清了，我们也一直很珍惜和贵公司多年的合作关系，"
                 "所以想跟您商量一个大家都能接受的付款日期。")
    say(page, long_line)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for message in page.locator("#log .msg").all():
        box = message.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], message.inner_text()
    mine = page.locator("#log .msg.collector").last
    line_height = page.evaluate("parseFloat(getComputedStyle(document.querySelector('#log .msg.collector')).lineHeight)"
                                " || 20")
    assert mine.bounding_box()["height"] > 1.5 * line_height  # the long Chinese line wraps instead of overflowing
