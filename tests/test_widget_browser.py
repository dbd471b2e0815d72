"""The debtor page in a real browser (Debian chromium via Playwright) against the real action server, Rasa
server and web server (the `stack` fixture, demo ledger, today pinned to 2026-11-22).

Screenshots of every run go to reports/screenshots/ (git-ignored)."""
from __future__ import annotations

import os
import select
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import List

import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.page_server import cookie_value, sender_of
from tests.servers import TOKEN, free_port

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "reports" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
REPLY_TIMEOUT = 90_000   # ms; the first replies of a fresh Rasa server on 2 cores can be slow
BALANCE = "1,250.00 USD"

BOT = "#log .msg.bot"
USER = "#log .msg.user"


# ---------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def browser() -> Browser:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def new_context(browser):
    """A fresh browser context (so fresh cookies and localStorage, so a new conversation) per call."""
    contexts: List[BrowserContext] = []

    def make(viewport=DESKTOP) -> BrowserContext:
        context = browser.new_context(viewport=viewport)
        context.set_default_timeout(REPLY_TIMEOUT)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def open_page(context: BrowserContext, stack, path: str = "/") -> Page:
    page = context.new_page()
    page.dialogs = []          # type: ignore[attr-defined]
    page.problems = []         # type: ignore[attr-defined]
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda exc: page.problems.append(f"page error: {exc}"))
    page.on("console", lambda msg: page.problems.append(f"console: {msg.text}")
            if msg.type == "error" else None)
    page.goto(stack.web_url + path)
    return page


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


REPLIES = "#log .msg.bot, #log .notice"


def bot_count(page: Page) -> int:
    """Bot bubbles plus notices (e.g. "The assistant didn't reply"), so a missing answer fails fast and clearly."""
    return page.locator(REPLIES).count()


def wait_for_reply(page: Page, before: int) -> None:
    """Until the assistant's answer is on the page: more bot bubbles or notices, and nothing left to send."""
    page.wait_for_function(
        """([selector, n]) => document.querySelectorAll(selector).length > n
               && document.getElementById('typing').hidden
               && !document.querySelector('#log .msg.pending')""",
        arg=[REPLIES, before], timeout=REPLY_TIMEOUT)


def send(page: Page, text: str) -> None:
    before = bot_count(page)
    page.fill("#message", text)
    page.press("#message", "Enter")
    wait_for_reply(page, before)


def texts(page: Page, selector: str) -> List[str]:
    return page.locator(f"{selector} .text").all_inner_texts()


def start_verified_and_object(page: Page) -> None:
    """Deep link -> date of birth -> verified + balance -> "I'll pay next month" -> counter-script + buttons."""
    wait_for_reply(page, 0)
    greeting = texts(page, BOT)
    assert "date of birth" in greeting[-1], greeting
    assert not any("account reference?" in t for t in greeting), f"asked for the reference again: {greeting}"
    assert page.locator(USER).count() == 0, "the hidden /greet must not show as the user's message"

    send(page, "12 April 1980")
    expect(page.locator(BOT, has_text="verified")).to_have_count(1)
    expect(page.locator(BOT, has_text=BALANCE).first).to_be_visible()
    with_balance = page.locator(BOT, has_text=BALANCE).count()

    send(page, "I'll pay next month")
    assert page.locator(BOT, has_text=BALANCE).count() > with_balance, texts(page, BOT)
    expect(page.locator("#log .quick-reply:enabled").first).to_be_visible()


def assert_clean(page: Page) -> None:
    assert page.dialogs == [], page.dialogs                      # type: ignore[attr-defined]
    assert page.problems == [], page.problems                    # type: ignore[attr-defined]


# ---------------------------------------------------------------- tests

def test_deep_link_conversation_verifies_and_answers_objection(stack, new_context):
    page = open_page(new_context(DESKTOP), stack, "/?account=AC-10023")
    expect(page.locator("#creditor-name")).to_have_text("Northwind Supplies Ltd")
    start_verified_and_object(page)
    screenshot(page, "desktop-conversation")
    assert_clean(page)


def test_quick_reply_button_sends_payload_and_shows_title(stack, new_context):
    page = open_page(new_context(DESKTOP), stack, "/?account=AC-10023")
    start_verified_and_object(page)

    # Keyboard users reach the quick replies: Shift+Tab back from the input lands on one of them.
    page.focus("#message")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.classList.contains('quick-reply')"), \
        page.evaluate("document.activeElement.outerHTML")

    enabled = page.locator("#log .quick-reply:enabled")
    person = page.locator("#log .quick-reply:enabled", has_text="Talk to a person")
    button = person.first if person.count() else enabled.first
    title = button.inner_text()
    group = button.locator("xpath=..")
    before = bot_count(page)
    button.click()
    wait_for_reply(page, before)

    assert texts(page, USER)[-1] == title
    assert group.locator("button:enabled").count() == 0, "the clicked button group must be disabled"
    assert "/" not in texts(page, USER)[-1][:1], "the payload must not show as the user's message"
    screenshot(page, "desktop-quick-reply")
    assert_clean(page)


def test_reload_shows_the_same_conversation(stack, new_context):
    context = new_context(PHONE)
    page = open_page(context, stack, "/?account=AC-10023")
    start_verified_and_object(page)
    conversation = cookie_value(context)
    assert conversation, "the page's conversation lives in its cookie"
    before_user, before_bot = texts(page, USER), texts(page, BOT)
    screenshot(page, "phone-before-reload")

    page.reload()
    expect(page.locator(BOT)).to_have_count(len(before_bot))
    page.wait_for_function("document.getElementById('log').getAttribute('aria-live') === 'polite'")
    page.wait_for_timeout(500)      # a resent /greet would have added messages by now
    assert texts(page, USER) == before_user
    assert texts(page, BOT) == before_bot
    expect(page.locator(BOT, has_text=BALANCE).first).to_be_visible()
    assert cookie_value(context) == conversation
    screenshot(page, "phone-after-reload")
    assert_clean(page)

    # A link for another account on the same device starts a new conversation: nothing of Jordan's shows.
    other = open_page(context, stack, "/?account=AC-10001")
    wait_for_reply(other, 0)
    assert cookie_value(context) not in ("", conversation)
    assert not any(BALANCE in t or "Jordan" in t for t in texts(other, BOT)), texts(other, BOT)
    assert_clean(other)


def test_user_text_is_never_html(stack, new_context):
    page = open_page(new_context(DESKTOP), stack, "/")
    wait_for_reply(page, 0)
    payload = "<img src=x onerror=alert(1)>"
    send(page, payload)
    expect(page.locator(USER).last.locator(".text")).to_have_text(payload)
    page.wait_for_timeout(300)
    assert page.locator("#log img").count() == 0
    assert page.dialogs == []                                    # type: ignore[attr-defined]
    assert_clean(page)


def test_fits_a_360px_phone(stack, new_context):
    page = open_page(new_context(PHONE), stack, "/?account=AC-10023")
    start_verified_and_object(page)
    send(page, "x" * 300)          # one very long word must wrap, not widen the page
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    box = page.locator("#send").bounding_box()
    assert box and box["x"] + box["width"] <= 360, "the Send button must be on screen"
    screenshot(page, "phone-conversation")
    assert_clean(page)


def test_keyboard_only(stack, new_context):
    context = new_context(DESKTOP)
    page = open_page(context, stack, "/?account=<script>alert(1)</script>")
    wait_for_reply(page, 0)
    # An invalid reference in the link is ignored: the page greets with a plain /greet.
    sender = sender_of(stack, cookie_value(context))
    first = [e["text"] for e in requests.get(f"{stack.rasa_url}/conversations/{sender}/tracker",
                                             params={"token": TOKEN}, timeout=30).json()["events"]
             if e["event"] == "user"][0]
    assert first == "/greet"
    page.evaluate("document.activeElement && document.activeElement.blur()")
    for _ in range(15):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "message":
            break
    assert page.evaluate("document.activeElement.id") == "message", "Tab never reached the message field"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none"), "the focused field needs a visible outline"

    before = bot_count(page)
    page.keyboard.type("hello, who is this?")
    page.keyboard.press("Enter")
    expect(page.locator(USER).last.locator(".text")).to_have_text("hello, who is this?")
    wait_for_reply(page, before)
    assert page.get_attribute("#log", "aria-live") == "polite"
    assert page.get_attribute("#log", "role") == "log"
    assert_clean(page)


def test_long_messages_are_refused(stack, new_context):
    page = open_page(new_context(PHONE), stack, "/")
    wait_for_reply(page, 0)
    page.fill("#message", "a" * 1001)
    assert len(page.input_value("#message")) <= 1000
    expect(page.locator("#counter")).to_have_text("1000 / 1000")
    expect(page.locator("#limit-note")).to_contain_text("1000-character limit")
    screenshot(page, "phone-limit")

    # Even if the field is forced past its limit, the page does not send it.
    page.evaluate("document.getElementById('message').value = 'b'.repeat(1001)")
    page.press("#message", "Enter")
    page.wait_for_timeout(500)
    assert page.locator(USER).count() == 0

    response = requests.post(f"{stack.web_url}/api/message", json={"message": "c" * 1001}, timeout=30)
    assert response.status_code == 413
    assert "error" in response.json()
    assert_clean(page)


def test_history_from_tracker_events():
    from channels.commands import CommandList
    from web.server import history_from_events
    buttons = [{"title": "Talk to a person", "payload": "/request_human"}]
    events = [
        {"event": "action", "name": "action_session_start"},
        {"event": "user", "text": '/greet{"account_id":"AC-10023"}'},
        {"event": "bot", "text": "What is your date of birth?", "data": {}},
        {"event": "user", "text": "12 April 1980"},
        {"event": "bot", "text": "How would you like to settle this?", "data": {"buttons": buttons}},
        {"event": "user", "text": "/request_human"},
        {"event": "user", "text": "/request_human", "metadata": {"typed": True}},
        {"event": "user", "text": "/some_other_intent"},
        {"event": "bot", "text": "I've asked a colleague.", "data": {"buttons": None}},
    ]
    assert history_from_events(events, CommandList.load()) == [
        {"from": "bot", "text": "What is your date of birth?", "buttons": []},
        {"from": "user", "text": "12 April 1980", "buttons": []},
        {"from": "bot", "text": "How would you like to settle this?", "buttons": buttons},
        {"from": "user", "text": "Talk to a person", "buttons": []},
        {"from": "user", "text": "/request_human", "buttons": []},
        {"from": "user", "text": "/some_other_intent", "buttons": []},
        {"from": "bot", "text": "I've asked a colleague.", "buttons": []},
    ]
    assert history_from_events(None, CommandList.load()) == []


def test_server_contract(stack):
    page = requests.get(stack.web_url + "/", timeout=30)
    assert page.status_code == 200 and 'id="log"' in page.text
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "Access-Control-Allow-Origin" not in page.headers

    config = requests.get(stack.web_url + "/config.json", timeout=30).json()
    assert config["creditor_name"] == "Northwind Supplies Ltd"
    assert config["max_message_length"] == 1000
    assert requests.get(stack.web_url + config["logo_url"], timeout=30).status_code == 200

    assert requests.get(stack.web_url + "/healthz", timeout=30).json() == \
        {"ok": True, "rasa": True, "actions": True, "database": True}
    history = requests.get(stack.web_url + "/api/history", timeout=30)
    assert history.status_code == 200 and history.json() == {"messages": []}
    assert "test-token" not in history.text

    post = lambda body: requests.post(stack.web_url + "/api/message", data=body,  # noqa: E731
                                      headers={"Content-Type": "application/json"}, timeout=30)
    assert post("{not json").status_code == 400
    assert post('{"message": "   "}').status_code == 400
    assert post('{"payload": "/restart"}').status_code == 400


class SwitchableProxy:
    """A TCP relay to Rasa that can be switched on late: until then, Rasa looks unreachable."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.port = free_port()
        self.server = None

    def start(self) -> None:
        target = self.target_port

        class Relay(socketserver.BaseRequestHandler):
            def handle(self):
                upstream = socket.create_connection(("127.0.0.1", target))
                ends = [self.request, upstream]
                try:
                    while True:
                        readable, _, _ = select.select(ends, [], [], 1)
                        for end in readable:
                            data = end.recv(65536)
                            if not data:
                                return
                            (upstream if end is self.request else self.request).sendall(data)
                finally:
                    upstream.close()

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", self.port), Relay)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()


def test_unreachable_assistant_shows_banner_and_sends_queued_messages_when_back(stack, new_context, tmp_path):
    proxy = SwitchableProxy(stack.rasa_port)
    port = free_port()
    log = open(tmp_path / "web.log", "w")
    web = subprocess.Popen([sys.executable, "-m", "web.server", "--port", str(port),
                            "--rasa-url", f"http://127.0.0.1:{proxy.port}", "--token", TOKEN],
                           cwd=Path(__file__).resolve().parent.parent, stdout=log, stderr=subprocess.STDOUT,
                           start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if requests.get(url + "/healthz", timeout=2).json()["rasa"] is False:
                    break
            except requests.RequestException:
                time.sleep(0.3)
        page = new_context(PHONE).new_page()
        page.goto(url + "/?account=AC-10023")
        expect(page.locator("#banner")).to_contain_text("reach the assistant")
        page.fill("#message", "12 April 1980")
        page.press("#message", "Enter")
        expect(page.locator("#log .msg.user.pending")).to_have_count(1)
        expect(page.locator("#log .msg.user.pending")).to_contain_text("Not sent yet")
        screenshot(page, "phone-offline")

        proxy.start()      # the assistant is back: the page notices by itself and sends what was typed
        expect(page.locator("#banner")).to_be_empty(timeout=REPLY_TIMEOUT)
        expect(page.locator(BOT, has_text=BALANCE).first).to_be_visible(timeout=REPLY_TIMEOUT)
        assert page.locator("#log .msg.pending").count() == 0
        assert texts(page, USER) == ["12 April 1980"]
        assert "date of birth" in " ".join(texts(page, BOT))
    finally:
        proxy.stop()
        if web.poll() is None:
            os.killpg(web.pid, signal.SIGTERM)
            web.wait(timeout=20)
        log.close()
