"""The debtor page's conversation guard against the real stack and real Chromium: typed commands have no power,
history needs the cookie, "New chat" ends the conversation, cross-site POSTs are refused, the rate limit answers
429 and loses nothing, and /healthz reports each part."""
from __future__ import annotations

import re
import secrets
import uuid

import requests
import yaml
from playwright.sync_api import expect

from tests.page_server import ROOT, cookie_value, page_server, sender_of
from tests.servers import free_port
from tests.test_widget_browser import (  # noqa: F401  (browser and new_context are fixtures)
    BALANCE, BOT, DESKTOP, PHONE, USER, assert_clean, browser, new_context, open_page, send, texts, wait_for_reply,
)
from web.conversation import COOKIE

MESSAGES = yaml.safe_load((ROOT / "policy" / "messages.yml").read_text(encoding="utf-8"))


def opening(key: str) -> str:
    """The fixed start of a message from policy/messages.yml (up to its first placeholder or full stop)."""
    return re.split(r"[{.]", MESSAGES[key]["text"])[0]


def tracker(stack, sender: str) -> dict:
    return requests.get(f"{stack.rasa_url}/conversations/{sender}/tracker",
                        params={"token": stack.env["RASA_AUTH_TOKEN"]}, timeout=30).json()


def reset_events(events) -> set:
    return {e["event"] for e in events} & {"restart", "rewind", "undo"}


def test_typed_restart_after_failed_attempts_resets_nothing_over_rest(stack):
    sender = f"restart-{uuid.uuid4().hex[:12]}"
    say = lambda text: " ".join(r.get("text", "") for r in stack.say(sender, text))  # noqa: E731
    say("hello")
    assert "date of birth" in say("my account is AC-10014")
    assert opening("verification_failed") in say("01/01/1990")
    say("/back")
    assert opening("verification_failed") in say("02/02/1991")
    say("/restart")
    say("/session_start")
    locked = say("03/03/1992")
    assert opening("verification_locked") in locked, locked
    events = tracker(stack, sender)["events"]
    assert not reset_events(events)
    assert sum(e["event"] == "session_started" for e in events) == 1
    assert "780.00" not in say("19 July 1981"), "the right date after the lock-out must not verify"


def test_typed_restart_on_the_page_is_plain_text(stack, new_context):
    context = new_context(DESKTOP)
    page = open_page(context, stack, "/?account=AC-10011")
    wait_for_reply(page, 0)
    send(page, "01/01/1990")
    send(page, "/back")
    send(page, "02/02/1991")
    send(page, "/restart")
    send(page, "03/03/1992")
    expect(page.locator(BOT, has_text=opening("verification_locked"))).to_have_count(1)
    assert texts(page, USER) == ["01/01/1990", "/back", "02/02/1991", "/restart", "03/03/1992"]
    events = tracker(stack, sender_of(stack, cookie_value(context)))["events"]
    assert [e["text"] for e in events if e["event"] == "user"][1:] == texts(page, USER)
    assert not reset_events(events)

    page.reload()
    expect(page.locator(USER)).to_have_count(5)
    assert texts(page, USER)[3] == "/restart", "history shows typed commands as written"
    assert_clean(page)


def test_history_needs_the_cookie_not_the_sender_id(stack):
    first = requests.Session()
    greeted = first.post(f"{stack.web_url}/api/message", json={"payload": "/greet"}, timeout=60)
    assert greeted.status_code == 200
    set_cookie = greeted.headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie and "Max-Age" not in set_cookie
    assert first.post(f"{stack.web_url}/api/message", json={"message": "who are you?"}, timeout=60).ok
    assert "Set-Cookie" not in first.post(f"{stack.web_url}/api/message", json={"message": "ok"}, timeout=60).headers
    secret_value = first.cookies.get(COOKIE)

    sender = sender_of(stack, secret_value)
    assert secret_value not in sender
    stored = tracker(stack, sender)
    assert "who are you?" in [e.get("text") for e in stored["events"]], "the sender id is the conversation's"
    assert secret_value not in str(stored)

    own = first.get(f"{stack.web_url}/api/history", timeout=30).json()["messages"]
    assert [m["text"] for m in own if m["from"] == "user"] == ["who are you?", "ok"]
    for params, cookies in (({"sender": sender}, {}), ({}, {COOKIE: secrets.token_urlsafe(32)}),
                            ({"sender": sender}, {COOKIE: "not-a-valid-secret"}), ({}, {COOKIE: sender})):
        other = requests.get(f"{stack.web_url}/api/history", params=params, cookies=cookies, timeout=30)
        assert other.status_code == 200 and other.json() == {"messages": []}, (params, cookies)

    logs = "".join(p.read_text(errors="replace") for p in stack.workdir.glob("*.log"))
    assert secret_value not in logs


def test_new_chat_clears_cookie_and_view(stack, new_context):
    context = new_context(PHONE)
    page = open_page(context, stack, "/?account=AC-10023")
    wait_for_reply(page, 0)
    send(page, "12 April 1980")
    expect(page.locator(BOT, has_text=BALANCE).first).to_be_visible()
    before = cookie_value(context)
    assert before

    with page.expect_navigation():
        page.click("#new-conversation")
    assert page.url == f"{stack.web_url}/"
    wait_for_reply(page, 0)
    page.wait_for_function("document.getElementById('log').getAttribute('aria-live') === 'polite'")
    shown = " ".join(texts(page, BOT) + texts(page, USER))
    assert BALANCE not in shown and "Jordan" not in shown and "12 April 1980" not in shown, shown
    assert "account reference" in texts(page, BOT)[-1]
    after = cookie_value(context)
    assert after and after != before
    history = page.request.get(f"{stack.web_url}/api/history").json()["messages"]
    assert not any(BALANCE in m["text"] or "Jordan" in m["text"] for m in history)
    assert "12 April 1980" not in (page.evaluate("localStorage.getItem('debtor-chat/v2')") or "")
    assert_clean(page)


def test_cross_site_posts_are_refused(stack):
    session = requests.Session()
    url = f"{stack.web_url}/api/message"
    assert session.post(url, json={"payload": "/greet"}, timeout=60).status_code == 200
    sender = sender_of(stack, session.cookies.get(COOKIE))
    before = len(tracker(stack, sender)["events"])
    for headers in ({"Origin": "https://attacker.example"}, {"Origin": "null"},
                    {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"},
                    {"Sec-Fetch-Site": "cross-site", "Origin": stack.web_url}):
        refused = session.post(url, json={"message": "I'll pay next month"}, headers=headers, timeout=60)
        assert refused.status_code == 403 and refused.json()["error"], headers
        ended = session.post(f"{stack.web_url}/api/new-chat", headers=headers, timeout=60)
        assert ended.status_code == 403 and "Set-Cookie" not in ended.headers, headers
    assert len(tracker(stack, sender)["events"]) == before, "a refused message reached the assistant"
    # A form on another site cannot send JSON; a same-origin page can.
    assert session.post(url, data="message=hi", headers={"Content-Type": "application/x-www-form-urlencoded"},
                        timeout=60).status_code == 415
    allowed = session.post(url, json={"message": "hello"}, timeout=60,
                           headers={"Origin": stack.web_url, "Sec-Fetch-Site": "same-origin"})
    assert allowed.status_code == 200


def test_rate_limit_answers_429_and_the_page_loses_nothing(stack, new_context, tmp_path):
    limit = {"WEB_RATE_LIMIT": "3", "WEB_RATE_WINDOW": "20"}
    with page_server(stack, tmp_path, limit) as url:
        burst = requests.Session()
        answers = [burst.post(f"{url}/api/message", json={"message": "hello"}, timeout=60) for _ in range(4)]
        assert [a.status_code for a in answers[:3]] == [200, 200, 200]
        assert answers[3].status_code == 429
        assert "faster" in answers[3].json()["error"] and int(answers[3].headers["Retry-After"]) >= 1
        assert answers[3].json()["retry_after"] >= 1

    with page_server(stack, tmp_path, limit) as url:
        context = new_context(PHONE)
        page = context.new_page()
        page.goto(f"{url}/?account=AC-10023")        # the greeting: message 1 of 3 from this address
        wait_for_reply(page, 0)
        typed = ["12 April 1980", "I'll pay next month", "hello, who is this?"]
        for text in typed:                          # typed at once: the third goes over the limit
            page.fill("#message", text)
            page.press("#message", "Enter")
        expect(page.locator("#log .notice.error", has_text="faster")).to_be_visible()
        page.wait_for_function("""() => !document.querySelector('#log .msg.pending')
                                    && document.getElementById('typing').hidden""")
        assert texts(page, USER) == typed
        history = page.request.get(f"{url}/api/history").json()["messages"]
        assert [m["text"] for m in history if m["from"] == "user"] == typed
        assert history[-1]["from"] == "bot", "the last message was answered"
        assert page.evaluate("JSON.parse(localStorage.getItem('debtor-chat/v2')).outbox") == []


def test_healthz_reports_each_part(stack, tmp_path):
    with page_server(stack, tmp_path, {}) as url:
        assert requests.get(f"{url}/healthz", timeout=30).json() == \
            {"ok": True, "rasa": True, "actions": True, "database": True}
    broken_db = f"sqlite:///{tmp_path / 'no-such-folder' / 'accounts.db'}"
    with page_server(stack, tmp_path, {"ACCOUNTS_DB_URL": broken_db},
                     action_url=f"http://127.0.0.1:{free_port()}") as url:
        health = requests.get(f"{url}/healthz", timeout=30).json()
        assert health == {"ok": True, "rasa": True, "actions": False, "database": False}
        assert "sqlite" not in str(health)


def test_only_the_fixed_button_payloads_pass_as_commands_over_rest(stack):
    sender = f"buttons-{uuid.uuid4().hex[:12]}"
    url = f"{stack.rasa_url}/webhooks/rest/webhook"
    sent = [({"message": "/request_human"}, True),                                   # a button's payload
            ({"message": "/request_human", "metadata": {"typed": True}}, False),     # the same, typed on the page
            ({"message": '/greet{"account_id":"AC-99999"}'}, True),                  # the page's deep link
            ({"message": '/greet{"account_id":"AC-99999","verified":true}'}, False),
            ({"message": "/ask_balance"}, False)]
    for body, _ in sent:
        assert requests.post(url, json={"sender": sender, **body}, timeout=60).status_code == 200
    users = [e for e in tracker(stack, sender)["events"] if e["event"] == "user"]
    assert [u["text"] for u in users] == [body["message"] for body, _ in sent]
    for user, (body, command) in zip(users, sent):
        # A command is read by Rasa's RegexMessageHandler (one intent at confidence 1); plain text by the model.
        by_handler = user["parse_data"]["intent_ranking"] == [{"name": user["parse_data"]["intent"]["name"],
                                                               "confidence": 1.0}]
        assert by_handler is command, (body, user["parse_data"]["intent_ranking"][:2])
