"""Supervisor review over HTTP and in real Chromium: the real staff console process reading the real tracker store,
filled by real conversations through the real Rasa and action servers (the `stack` fixture, demo ledger)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Dict, List

import pytest
import requests
import yaml
from playwright.sync_api import expect, sync_playwright

from launcher.processes import ROOT
from tests.servers import TOKEN, free_port, wait_for
from web.staff.store import StaffStore

PASSWORD = "review-tests-pass-9"


def texts(replies) -> str:
    return " ".join(r.get("text", "") for r in replies)


def converse(stack, prefix: str, *messages: str) -> str:
    sender = f"{prefix}-{uuid.uuid4().hex[:10]}"
    for message in messages:
        stack.say(sender, message)
    return sender


@pytest.fixture(scope="session")
def conversations(stack) -> Dict[str, str]:
    """Conversations whose outcome, tone and flags are known from what was said."""
    legal = converse(stack, "rv-legal", "hello", "my account is AC-10004", "born 21 August 1968",
                     "I'll pay next month", "I lost my job", "my boss is away", "I want to speak to a person")
    assert stack.slots(legal)["tone"] == "legal"
    dispute = converse(stack, "rv-dispute", "hi", "my account is AC-10001", "born 14 June 1985",
                       "I dispute this debt, I don't owe you anything")
    assert stack.slots(dispute)["compliance_flag"] == "DISPUTE"
    promise = converse(stack, "rv-promise", "hi", "my account is AC-10023", "born 12 April 1980",
                       "I'll pay next month", "I can pay 300 on Friday", "yes")
    assert stack.slots(promise)["outcome"] == "PROMISE_TO_PAY"
    unverified = converse(stack, "rv-anon", "hi", "what is the weather like on mars")
    return {"legal": legal, "dispute": dispute, "promise": promise, "unverified": unverified}


@pytest.fixture(scope="session")
def practice_server(stack):
    """The practice Rasa server over the same tracker store, as `make run` starts it: it reads the assistant's
    moves for the scorecard, and its sessions must stay out of the live inbox."""
    port = free_port()
    log = stack.workdir / "practice.log"
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "rasa"), "run", "--model", "models/practice.tar.gz", "--credentials",
         "practice/credentials.yml", "--endpoints", str(stack.workdir / "endpoints.yml"), "--interface",
         "127.0.0.1", "--port", str(port), "--enable-api", "--auth-token", TOKEN],
        cwd=ROOT, env=stack.env, stdout=open(log, "w"), stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/status?token={TOKEN}", process, log, timeout=300)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="session")
def console(stack, conversations, practice_server, tmp_path_factory):
    """The staff console on a free port over the stack's accounts database and tracker store."""
    workdir = tmp_path_factory.mktemp("review-console")
    store = StaffStore(stack.db_url)
    users = {}
    for username, role in (("sup-review", "supervisor"), ("col-review", "collector"), ("adm-review", "admin")):
        store.create_user(username, role, PASSWORD)
        users[role] = store.issue_token(username, "review tests")
    practice_session = f"rv-practice-{uuid.uuid4().hex[:8]}"
    requests.post(f"{practice_server}/webhooks/rest/webhook", json={"sender": practice_session,
                                                                   "message": "Hello, this is Sam from Northwind"},
                  timeout=120).raise_for_status()
    port = free_port()
    env = {**os.environ, "ACCOUNTS_DB_URL": stack.db_url, "ENDPOINTS": str(stack.workdir / "endpoints.yml"),
           "STAFF_SECRET_KEY": "review-tests-secret-key-0123456789abcdef", "RASA_URL": stack.rasa_url,
           "PRACTICE_RASA_URL": practice_server, "RASA_AUTH_TOKEN": TOKEN, "REVIEW_SCORE_SECONDS": "1"}
    env.pop("TRACKER_DB_URL", None)
    log = workdir / "console.log"
    process = subprocess.Popen([sys.executable, "-m", "web.staff", "--host", "127.0.0.1", "--port", str(port)],
                               cwd=ROOT, env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT,
                               start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/healthz", process, log)
        yield {"url": url, "tokens": users, "db_url": stack.db_url, "log": log, "env": env,
               "practice_session": practice_session}
    finally:
        process.terminate()
        process.wait(timeout=20)


def call(console, method: str, path: str, role: str = "supervisor", **kwargs) -> requests.Response:
    headers = {"Authorization": f"Bearer {console['tokens'][role]}"} if role else {}
    return requests.request(method, console["url"] + path, headers=headers, timeout=60, **kwargs)


def make(target: str, out: Path, env: Dict[str, str]) -> None:
    """``make <target> OUT=<out>`` as a person runs it (the set-up is taken as done: tests never reinstall)."""
    subprocess.run(["make", "-s", "-o", "setup", "-o", ".venv/.stamp-deps", target, f"OUT={out}"], cwd=ROOT, env=env,
                   check=True)


def listed(console, **filters) -> Dict:
    response = call(console, "GET", "/api/conversations", params=filters)
    assert response.status_code == 200, response.text
    return response.json()


def every_item(console, **filters) -> List[Dict]:
    """Every page of a view (other tests share the stack, so ours need not be on the first page)."""
    items, page = [], 1
    while True:
        found = listed(console, page=str(page), **filters)
        items += found["items"]
        if len(items) >= found["total"] or not found["items"]:
            return items
        page += 1


def ids(items) -> List[str]:
    return [item["conversation_id"] for item in items]


def test_inbox_counts_outcomes_and_flags_match_what_happened(console, conversations):
    everything = listed(console)
    assert everything["total"] >= 4
    ours = {item["conversation_id"]: item for item in every_item(console)}
    assert set(conversations.values()) <= set(ours) and len(ours) == everything["total"]
    legal, dispute, anon = (ours[conversations[k]] for k in ("legal", "dispute", "unverified"))
    assert (legal["account_id"], legal["outcome"], legal["max_tone"]) == ("AC-10004", "HUMAN_HANDOFF", "legal")
    assert legal["flags"] == ["HUMAN_HANDOFF"] and legal["turns"] == 7
    assert set(legal["objections"]) == {"objection_next_month", "objection_no_job", "objection_boss_absent"}
    assert (dispute["account_id"], dispute["outcome"], dispute["flags"]) == ("AC-10001", "DISPUTE", ["DISPUTE"])
    assert anon["account_id"] is None and anon["outcome"] == "NO_COMMITMENT" and anon["flags"] == []
    promise = ours[conversations["promise"]]
    assert (promise["account_id"], promise["outcome"], promise["flags"]) == ("AC-10023", "PROMISE_TO_PAY", [])
    promised = every_item(console, outcome="PROMISE_TO_PAY", account="AC-10023")
    assert conversations["promise"] in ids(promised)
    assert all(i["outcome"] == "PROMISE_TO_PAY" and i["account_id"] == "AC-10023" for i in promised)
    assert all(0 < item["min_confidence"] <= 1 for item in (legal, dispute, anon))
    assert [i["started_at"] for i in everything["items"]] == sorted((i["started_at"] for i in everything["items"]),
                                                                   reverse=True)
    assert console["practice_session"] not in ours  # practice sessions share the store but are not live
    assert call(console, "GET", f"/api/conversations/{console['practice_session']}").status_code == 404
    legal_tone = every_item(console, tone="legal")
    assert conversations["legal"] in ids(legal_tone) and conversations["dispute"] not in ids(legal_tone)
    assert all(i["max_tone"] == "legal" for i in legal_tone)
    disputes = every_item(console, flag="DISPUTE", account="AC-10001")
    assert conversations["dispute"] in ids(disputes)
    assert all("DISPUTE" in i["flags"] and i["account_id"] == "AC-10001" for i in disputes)
    assert conversations["legal"] in ids(every_item(console, intent="objection_no_job", outcome="HUMAN_HANDOFF",
                                                    q="BOSS IS AWAY"))
    assert listed(console, q="no such words were ever said zzqx")["total"] == 0


def test_the_inbox_shows_scores_of_conversations_nobody_opened(console, conversations):
    deadline = time.time() + 180
    while time.time() < deadline:
        item = next(i for i in every_item(console, account="AC-10001")
                    if i["conversation_id"] == conversations["dispute"])
        if item["score"] is not None:
            break
        time.sleep(1)
    assert item["score"] is not None and 0 <= item["score"] <= 100
    anon = next(i for i in every_item(console) if i["conversation_id"] == conversations["unverified"])
    assert anon["score"] is None  # nothing verified, nothing to score against


def test_transcript_shows_what_the_assistant_understood_and_did(console, conversations):
    response = call(console, "GET", f"/api/conversations/{conversations['legal']}")
    assert response.status_code == 200, response.text
    detail = response.json()
    debtor = [t for t in detail["turns"] if t["speaker"] == "debtor"]
    assistant = [t for t in detail["turns"] if t["speaker"] == "assistant"]
    assert [t["text"] for t in debtor][:2] == ["hello", "my account is AC-10004"]
    assert debtor[0]["intent"] == "greet" and 0 < debtor[0]["confidence"] <= 1
    assert len(debtor[0]["next_intents"]) == 2 and all("confidence" in r for r in debtor[0]["next_intents"])
    assert debtor[1]["entities"][0]["entity"] == "account_id" and debtor[1]["entities"][0]["value"] == "AC-10004"
    assert {t["action"] for t in assistant} >= {"action_greet", "action_counter_objection", "action_request_human"}
    assert "legal" in {t["tone"] for t in assistant if t["action"] == "action_counter_objection"}
    changes = [c for t in detail["turns"] for c in t["slot_changes"]]
    assert {"slot": "verified", "value": True} in changes and {"slot": "tone", "value": "legal"} in changes
    assert detail["outcome"] == "HUMAN_HANDOFF" and detail["recorded_outcome"]["outcome"] == "HUMAN_HANDOFF"
    assert "HUMAN_HANDOFF" in detail["flags"]
    assert set(detail) >= {"conversation_id", "turns", "flags", "outcome", "review_status", "tags", "notes",
                           "scorecard"}
    scorecard = detail["scorecard"]
    assert "error" not in scorecard, scorecard
    assert 0 <= scorecard["score"] <= 100 and scorecard["criteria"]
    by_id = {c["id"]: c for c in scorecard["criteria"]}
    assert by_id["identify_self_and_creditor"]["passed"] and "Northwind" in by_id["identify_self_and_creditor"][
        "evidence"]
    assert by_id["verify_before_disclosure"]["passed"]
    listed_score = next(i for i in every_item(console, account="AC-10004")
                        if i["conversation_id"] == conversations["legal"])["score"]
    assert listed_score == scorecard["score"]


def test_review_status_tags_notes_flags_corrections_and_stories(console, conversations, tmp_path):
    cid = conversations["dispute"]
    assert call(console, "POST", f"/api/conversations/{cid}/review", json={"status": "saved_for_later"}).json()[
        "review_status"] == "saved_for_later"
    assert cid in ids(every_item(console, status="saved_for_later"))
    tags = call(console, "POST", f"/api/conversations/{cid}/tags", json={"add": ["<b>bold</b>", "dispute"]}).json()
    assert tags["tags"] == ["<b>bold</b>", "dispute"]
    assert call(console, "POST", f"/api/conversations/{cid}/tags", json={"remove": ["dispute"]}).json()["tags"] == [
        "<b>bold</b>"]
    assert ids(every_item(console, tag="<b>bold</b>")) == [cid]
    note = call(console, "POST", f"/api/conversations/{cid}/notes", json={"text": "check the recording"})
    assert note.status_code == 201
    detail = call(console, "GET", f"/api/conversations/{cid}").json()
    assert detail["notes"][0]["text"] == "check the recording" and detail["notes"][0]["author"] == "sup-review"
    dispute_message = next(t for t in detail["turns"] if t["speaker"] == "debtor" and "dispute" in t["text"])
    flagged = call(console, "POST", f"/api/conversations/{cid}/messages/{dispute_message['message_id']}/flag",
                   json={"reason": "good catch"})
    assert flagged.json() == {"message_id": dispute_message["message_id"], "flagged": True}
    corrected = call(console, "POST", f"/api/conversations/{cid}/messages/{dispute_message['message_id']}/intent",
                     json={"intent": "refuse_to_pay"})
    assert corrected.status_code == 200 and corrected.json()["corrected_intent"] == "refuse_to_pay"
    after = call(console, "GET", f"/api/conversations/{cid}").json()
    turn = next(t for t in after["turns"] if t["message_id"] == dispute_message["message_id"])
    assert turn["flagged"] and turn["corrected_intent"] == "refuse_to_pay"
    story = call(console, "POST", f"/api/conversations/{cid}/story").json()["story"]
    steps = yaml.safe_load(story)["stories"][0]["steps"]
    assert {"intent": "refuse_to_pay", "user": dispute_message["text"] + "\n"} in steps

    env = {**console["env"]}
    out, stories = tmp_path / "corrections.yml", tmp_path / "stories.yml"
    make("export-annotations", out, env)
    make("export-test-stories", stories, env)
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader
    examples = RasaYAMLReader().reads(out.read_text()).intent_examples
    assert (dispute_message["text"], "refuse_to_pay") in {(m.get("text"), m.get("intent")) for m in examples}
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
    assert YAMLStoryReader().read_from_string(stories.read_text())

    audit = call(console, "GET", "/api/staff/audit", role="admin", params={"username": "sup-review"}).json()
    actions = {item["action"] for item in audit["items"]}
    assert {"conversation.review", "conversation.tags", "conversation.note", "conversation.flag_message",
            "conversation.correct_intent", "conversation.save_story"} <= actions


def test_csv_export_has_the_filtered_list(console, conversations):
    response = call(console, "GET", "/review/export.csv", params={"tone": "legal"})
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    lines = response.text.splitlines()
    assert lines[0].startswith("conversation_id,started_at,account_id,outcome")
    assert any(line.startswith(conversations["legal"] + ",") for line in lines[1:])
    assert not any(line.startswith(conversations["dispute"] + ",") for line in lines[1:])


ROUTES = [("GET", "/review"), ("GET", "/review/dashboard"), ("GET", "/review/export.csv"),
          ("GET", "/review/conversations/x"), ("POST", "/review/conversations/x/review"),
          ("GET", "/api/conversations"), ("GET", "/api/conversations/x"), ("POST", "/api/conversations/x/review"),
          ("POST", "/api/conversations/x/tags"), ("POST", "/api/conversations/x/notes"),
          ("POST", "/api/conversations/x/story"), ("POST", "/api/conversations/x/messages/1/flag"),
          ("POST", "/api/conversations/x/messages/1/intent"), ("GET", "/api/dashboard")]


def test_anonymous_gets_401_on_every_api_route_and_pages_send_to_sign_in(console):
    for method, path in ROUTES:
        response = call(console, method, path, role=None, allow_redirects=False, json={})
        if path.startswith("/api/"):
            assert response.status_code == 401, (method, path)
        else:
            assert response.status_code in (303, 401) and (
                response.status_code == 401 or response.headers["Location"].startswith("/login")), (method, path)


def test_collectors_get_403(console, conversations):
    for method, path in ROUTES:
        path = path.replace("/x", f"/{conversations['legal']}")
        response = call(console, method, path, role="collector", allow_redirects=False, json={})
        assert response.status_code == 403, (method, path, response.status_code)


def test_bad_input_gets_a_clear_4xx(console, conversations):
    cid = conversations["unverified"]
    for filters in ({"page": "0"}, {"page": "many"}, {"from": "yesterday"}, {"tone": "furious"},
                    {"confidence_below": "2"}, {"fallback": "maybe"}, {"outcome": "<script>"}, {"q": "x" * 500},
                    {"from": "2026-11-10", "to": "2026-11-01"}, {"colour": "red"}):
        response = call(console, "GET", "/api/conversations", params=filters)
        assert response.status_code == 400 and response.json()["error"], filters
    assert call(console, "GET", "/review", params={"page": "many"}).status_code == 400
    assert call(console, "GET", "/api/conversations/no-such-conversation").status_code == 404
    assert call(console, "GET", "/review/conversations/no-such-conversation").status_code == 404
    assert call(console, "POST", "/api/conversations/nope/review", json={"status": "reviewed"}).status_code == 404
    assert call(console, "POST", f"/api/conversations/{cid}/review", json={"status": "done"}).status_code == 400
    assert call(console, "POST", f"/api/conversations/{cid}/review", data="not json").status_code == 400
    assert call(console, "POST", f"/api/conversations/{cid}/notes", json={"text": "n" * 100_000}).status_code == 413
    assert call(console, "POST", f"/api/conversations/{cid}/notes", json={"text": "n" * 5_000_000}).status_code == 413
    assert call(console, "POST", f"/api/conversations/{cid}/notes", json={"text": ""}).status_code == 400
    assert call(console, "POST", f"/api/conversations/{cid}/tags", json={"add": ["x" * 41]}).status_code == 400
    assert call(console, "POST", f"/api/conversations/{cid}/tags", json={"add": 5}).status_code == 400
    assert call(console, "POST", f"/api/conversations/{cid}/messages/99999999/flag", json={}).status_code == 404
    assert call(console, "POST", f"/api/conversations/{cid}/messages/abc/intent",
                json={"intent": "greet"}).status_code == 404
    first = call(console, "GET", f"/api/conversations/{cid}").json()["turns"][0]
    assert call(console, "POST", f"/api/conversations/{cid}/messages/{first['message_id']}/intent",
                json={"intent": "no_such_intent"}).status_code == 400
    assert call(console, "GET", "/api/dashboard", params={"from": "2020-01-01", "to": "2026-01-01"}).status_code == 400
    assert call(console, "POST", f"/api/conversations/{cid}/notes", json={"text": "still here"}).status_code == 201
    assert "Traceback" not in console["log"].read_text()


def test_tags_with_html_are_shown_as_text(console, conversations):
    cid = conversations["unverified"]
    call(console, "POST", f"/api/conversations/{cid}/tags", json={"add": ["<img src=x onerror=alert(1)>"]})
    call(console, "POST", f"/api/conversations/{cid}/notes", json={"text": "<script>alert(2)</script>"})
    page = call(console, "GET", f"/review/conversations/{cid}").text
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<script>alert(2)" not in page and "&lt;script&gt;alert(2)&lt;/script&gt;" in page
    inbox = call(console, "GET", "/review", params={"tag": "<img src=x onerror=alert(1)>"}).text
    assert "&lt;img src=x onerror=alert(1)&gt;" in inbox and "<img src=x" not in inbox


def test_dashboard_figures(console, conversations):
    data = call(console, "GET", "/api/dashboard", params={"from": "2026-01-01", "to": "2026-12-31"}).json()
    charts = {c["id"]: c for c in data["charts"]}
    assert {"per_day", "outcomes", "promise_rate", "promises", "stops", "handoffs", "fallback_rate", "intents",
            "tones", "practice_per_collector", "practice_per_criterion"} == set(charts)
    assert sum(charts["per_day"]["series"][0]["values"]) == data["total"] >= 3
    outcomes = dict(zip(charts["outcomes"]["labels"], charts["outcomes"]["series"][0]["values"]))
    assert outcomes["HUMAN_HANDOFF"] >= 1 and outcomes["DISPUTE"] >= 1
    stops = dict(zip(charts["stops"]["labels"], charts["stops"]["series"][0]["values"]))
    assert stops["DISPUTE"] >= 1
    promises = dict(zip(charts["promises"]["labels"], charts["promises"]["series"][0]["values"]))
    assert promises["open"] >= 1  # the promise made in the fixture, not yet due
    commitment = call(console, "GET", f"/api/conversations/{conversations['promise']}").json()
    changes = [c for t in commitment["turns"] for c in t["slot_changes"]]
    assert {"slot": "commitment", "value": "promise"} in changes
    assert {"slot": "outcome", "value": "PROMISE_TO_PAY"} in changes
    assert commitment["recorded_outcome"]["promise_amount"] == "300.00"


# ---------------------------------------------------------------- in real Chromium

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = ROOT / "reports" / "screenshots"
CONFIDENCE = re.compile(r"^(0\.\d\d|1\.00)$")


@pytest.fixture
def page():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser`")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        errors = []
        opened = context.new_page()
        opened.on("pageerror", lambda error: errors.append(str(error)))
        opened.set_default_timeout(30_000)
        yield opened
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        opened.screenshot(path=str(SCREENSHOTS / "review-last.png"), full_page=True)
        browser.close()
        assert not errors, errors


def test_a_supervisor_filters_reviews_tags_corrects_and_reads_the_dashboard(page, console, conversations, tmp_path):
    url, legal = console["url"], conversations["legal"]
    page.goto(f"{url}/review")
    page.fill("input[name=username]", "sup-review")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Review: live conversations")

    page.select_option("select[name=tone]", "legal")
    page.click("form.review-filters button[type=submit]")
    expect(page).to_have_url(f"{url}/review?tone=legal")
    row = page.locator(f"tr[data-conversation='{legal}']")
    expect(row).to_be_visible()
    expect(page.locator(f"tr[data-conversation='{conversations['dispute']}']")).to_have_count(0)
    row.locator("a").click()

    expect(page.locator("h1")).to_have_text(f"Conversation {legal}")
    first = page.locator("li.turn.debtor").first
    expect(first.locator("strong.intent")).to_have_text("greet")
    expect(first.locator(".confidence").first).to_have_text(CONFIDENCE)
    expect(page.locator("li.turn.assistant .tone", has_text="legal").first).to_be_visible()

    page.fill("input[name=add]", "legal-review, <i>html</i>")
    page.click("button:has-text('Add tags')")
    expect(page.locator("#tags .tag", has_text="legal-review")).to_be_visible()
    expect(page.locator("#tags .tag", has_text="<i>html</i>")).to_be_visible()
    page.select_option("form[action$='/review'] select[name=status]", "reviewed")
    page.click("button:has-text('Set status')")
    expect(page.locator("#review-status")).to_have_text("reviewed")

    page.goto(f"{url}/review?status=reviewed")
    expect(page.locator(f"tr[data-conversation='{legal}'] .review-status")).to_have_text("reviewed")

    page.goto(f"{url}/review/conversations/{legal}")
    boss = page.locator("li.turn.debtor", has_text="my boss is away")
    boss.locator("select[name=intent]").select_option("objection_signatory_left")
    boss.locator("button", has_text="Correct").click()
    expect(page.locator("li.turn.debtor", has_text="my boss is away").locator("strong.corrected")).to_have_text(
        "objection_signatory_left")
    out = tmp_path / "corrections.yml"
    make("export-annotations", out, console["env"])
    exported = out.read_text()
    assert "- intent: objection_signatory_left" in exported and "- my boss is away" in exported

    page.goto(f"{url}/review/dashboard?from=2026-01-01&to=2026-12-31")
    canvases = page.locator("canvas.chart")
    expect(canvases.first).to_be_visible()
    assert canvases.count() == 11
    for index in range(canvases.count()):
        canvas = canvases.nth(index)
        expect(canvas).to_have_attribute("data-rendered", "yes")
        box = canvas.bounding_box()
        assert box and box["width"] > 50 and box["height"] > 50
        assert canvas.evaluate("c => Chart.getChart(c) !== undefined")
    expect(page.locator("table.chart-table").first.locator("tbody tr").first).to_be_visible()
