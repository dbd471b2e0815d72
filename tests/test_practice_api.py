"""The practice API and POST /api/qa/score over HTTP against the real staff console, the real practice Rasa server,
the real main Rasa server and the real action server (tests.practice_console), over one SQLite database."""
from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from actions.practice.lines import format_day, format_money
from actions.practice.scenarios import load_scenarios
from tests.practice_console import TODAY, PracticeConsole

TRANSCRIPTS = Path(__file__).resolve().parent / "data" / "transcripts"
SCENARIO = "sofa-next-month"
TIMEOUT = 180


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    servers = PracticeConsole(tmp_path_factory.mktemp("practice-api")).start()
    try:
        console = servers.console
        for name, role in (("cara", "collector"), ("colin", "collector"), ("sue", "supervisor")):
            console.add_user(name, role)
        yield servers
    finally:
        servers.stop()


@pytest.fixture(scope="module")
def cara(running):
    return Caller(running.console.url, running.console.sign_in("cara"))


@pytest.fixture(scope="module")
def colin(running):
    return Caller(running.console.url, running.console.sign_in("colin"))


class Caller:
    """A signed-in browser session calling the JSON API with its CSRF header."""

    def __init__(self, url: str, session: requests.Session):
        self.url, self.session = url, session

    def get(self, path: str) -> requests.Response:
        return self.session.get(self.url + path, timeout=TIMEOUT)

    def post(self, path: str, body=None, raw: str = None) -> requests.Response:
        headers = {"X-CSRF-Token": self.session.csrf}
        if raw is not None:
            return self.session.post(self.url + path, data=raw, headers={**headers, "Content-Type": "application/json"},
                                     timeout=TIMEOUT)
        return self.session.post(self.url + path, json=body, headers=headers, timeout=TIMEOUT)


def good_collector_lines(card):
    amount = format_money(Decimal(str(card["balance"])), card["currency"])
    due = format_day(date.fromisoformat(card["due_date"]))
    pay_on = format_day(date.fromisoformat(TODAY) + timedelta(days=5))
    return [
        "Hello, this is Sam Reid calling from Northwind Supplies. Before we go on, could you confirm your date "
        "of birth?",
        "Thank you. I have to tell you this is an attempt to collect a debt, and any information obtained will be "
        "used for that purpose.",
        f"Your balance with us is {amount}.",
        f"I understand, that sounds like a difficult situation. Under our agreement the {amount} was due on {due}. "
        f"Could you pay the full amount on {pay_on}?",
        f"So just to confirm: {amount} on {pay_on}. Is that right?",
        "Thank you for your time, goodbye.",
    ]


def test_anonymous_callers_get_401_and_the_page_sends_them_to_sign_in(running):
    url = running.console.url
    for method, path in (("GET", "/api/practice/scenarios"), ("POST", "/api/practice/sessions"),
                         ("GET", "/api/practice/attempts"), ("GET", "/api/practice/attempts/x"),
                         ("GET", "/api/practice/sessions/x"), ("POST", "/api/practice/sessions/x/messages"),
                         ("POST", "/api/practice/sessions/x/finish"), ("POST", "/api/qa/score")):
        answer = requests.request(method, url + path, json={}, timeout=30)
        assert answer.status_code == 401, (method, path)
        assert "Bearer" in answer.json()["error"]
    page = requests.get(url + "/practice", allow_redirects=False, timeout=30)
    assert page.status_code == 303 and page.headers["Location"].startswith("/login")


def test_the_scenarios_are_those_of_the_scenario_file(cara):
    listed = cara.get("/api/practice/scenarios").json()
    scenarios = load_scenarios()
    assert [s["id"] for s in listed] == list(scenarios)
    for entry in listed:
        assert {"id", "title", "difficulty", "objections"} <= set(entry)
        assert entry["difficulty"] in ("easy", "medium", "hard") and entry["objections"]


def test_a_whole_session_is_played_scored_and_kept_in_the_collectors_history(running, cara, colin):
    started = cara.post("/api/practice/sessions", {"scenario": SCENARIO})
    assert started.status_code == 201, started.text
    session = started.json()
    assert set(session) == {"session_id", "card", "messages"}
    card, sid = session["card"], session["session_id"]
    scenario = load_scenarios()[SCENARIO]
    assert card["full_name"] == scenario.full_name and card["account_id"] == scenario.account_id
    assert session["messages"] and all(m["speaker"] == "debtor" and m["text"] for m in session["messages"])

    replies = []
    for line in good_collector_lines(card):
        answer = cara.post(f"/api/practice/sessions/{sid}/messages", {"text": line})
        assert answer.status_code == 200, answer.text
        replies.append(answer.json())
    assert format_day(scenario.date_of_birth) in " ".join(m["text"] for m in replies[0]["messages"])
    assert replies[-1]["ended"] is True

    # Someone else's session is as unknown as a missing one.
    assert colin.post(f"/api/practice/sessions/{sid}/messages", {"text": "Hi"}).status_code == 404
    assert colin.post(f"/api/practice/sessions/{sid}/finish").status_code == 404
    assert colin.get(f"/api/practice/sessions/{sid}").status_code == 404

    scored = cara.post(f"/api/practice/sessions/{sid}/finish")
    assert scored.status_code == 200, scored.text
    card_json = scored.json()
    said = good_collector_lines(card)
    assert card_json["auto_fail"] == [] and card_json["passed"] is True, json.dumps(card_json, indent=1)
    assert card_json["score"] == 100, json.dumps(card_json, indent=1)
    read_back = next(c for c in card_json["criteria"] if c["id"] == "read_back_commitment")
    pay_on = format_day(date.fromisoformat(TODAY) + timedelta(days=5))
    assert read_back["evidence"] == said[4] and pay_on in read_back["model_answer"]
    assert [c["id"] for c in card_json["criteria"]][0] == "identify_self_and_creditor"
    assert next(c for c in card_json["criteria"] if c["id"] == "identify_self_and_creditor")["evidence"] == said[0]

    again = cara.post(f"/api/practice/sessions/{sid}/finish")
    assert again.status_code == 409 and "already finished" in again.json()["error"]
    late = cara.post(f"/api/practice/sessions/{sid}/messages", {"text": "One more thing"})
    assert late.status_code == 409

    history = cara.get("/api/practice/attempts").json()
    assert [a["session_id"] for a in history["attempts"]] == [sid]
    assert history["attempts"][0]["criteria"]["identify_self_and_creditor"] is True
    assert [c["id"] for c in history["criteria"]][-1] == "respectful_language"
    attempt = cara.get(f"/api/practice/attempts/{sid}").json()
    assert attempt["scorecard"] == card_json
    assert [m["text"] for m in attempt["messages"] if m["speaker"] == "collector"] == said

    assert colin.get(f"/api/practice/attempts/{sid}").status_code == 404
    assert colin.get("/api/practice/attempts").json()["attempts"] == []
    supervisor = Caller(running.console.url, running.console.sign_in("sue"))
    assert supervisor.get(f"/api/practice/attempts/{sid}").json()["username"] == "cara"


def test_an_unlawful_threat_ends_the_call_and_fails_the_attempt_outright(cara):
    sid = cara.post("/api/practice/sessions", {"scenario": SCENARIO}).json()["session_id"]
    cara.post(f"/api/practice/sessions/{sid}/messages", {"text": "Hello, it's Sam from Northwind Supplies."})
    threat = cara.post(f"/api/practice/sessions/{sid}/messages",
                       {"text": "If you don't pay today, we'll have you arrested."}).json()
    assert threat["ended"] is True
    after = cara.post(f"/api/practice/sessions/{sid}/messages", {"text": "Hello? Are you still there?"})
    assert after.status_code == 409 and "ended" in after.json()["error"]
    card = cara.post(f"/api/practice/sessions/{sid}/finish").json()
    assert card["passed"] is False and "lawful_consequences_only" in card["auto_fail"]
    quoted = next(c for c in card["criteria"] if c["id"] == "lawful_consequences_only")["evidence"]
    assert quoted == "If you don't pay today, we'll have you arrested."


def test_bad_input_gets_a_clear_4xx_and_loses_nothing(cara):
    assert cara.post("/api/practice/sessions", {"scenario": "no-such-scenario"}).status_code == 400
    assert cara.post("/api/practice/sessions", raw="{not json").status_code == 400
    assert cara.post("/api/practice/sessions", {"scenario": ["x"]}).status_code == 400
    sid = cara.post("/api/practice/sessions", {"scenario": SCENARIO}).json()["session_id"]
    nothing = cara.post(f"/api/practice/sessions/{sid}/finish")
    assert nothing.status_code == 409 and "nothing to score" in nothing.json()["error"]
    for body in ({"text": ""}, {"text": "   "}, {"text": 42}, {}, {"text": "x" * 1001}):
        answer = cara.post(f"/api/practice/sessions/{sid}/messages", body)
        assert answer.status_code == 400, body
        assert answer.json()["error"]
    huge = cara.post(f"/api/practice/sessions/{sid}/messages", {"text": "x" * 2_000_000})
    assert huge.status_code == 413
    assert cara.post("/api/practice/sessions/nope/messages", {"text": "Hi"}).status_code == 404
    assert cara.get("/api/practice/attempts/nope").status_code == 404
    unfinished = cara.get(f"/api/practice/attempts/{sid}")
    assert unfinished.status_code == 409
    kept = cara.get(f"/api/practice/sessions/{sid}").json()
    assert kept["finished"] is False and all(m["speaker"] == "debtor" for m in kept["messages"])
    assert sid in [s["session_id"] for s in cara.get("/api/practice/attempts").json()["open"]]


def test_quality_scoring_of_a_transcript_is_for_supervisors(running, cara):
    transcript = json.loads((TRANSCRIPTS / "ignored_dispute.json").read_text())
    assert cara.post("/api/qa/score", transcript).status_code == 403
    token = running.console.token("sue")
    headers = {"Authorization": f"Bearer {token}"}
    answer = requests.post(running.console.url + "/api/qa/score", json=transcript, headers=headers, timeout=TIMEOUT)
    assert answer.status_code == 200, answer.text
    card = answer.json()
    assert card["auto_fail"] == ["honour_stop_requests"] and card["passed"] is False
    bad = requests.post(running.console.url + "/api/qa/score", headers=headers, timeout=TIMEOUT,
                        json={"account": transcript["account"], "turns": [{"speaker": "manager", "text": "Hi"}]})
    assert bad.status_code == 400 and "turns[1].speaker" in bad.json()["error"]


def test_the_dashboard_pass_rates_count_the_finished_attempts(running, monkeypatch):
    from web.staff.practice import pass_rates
    monkeypatch.setenv("ACCOUNTS_DB_URL", running.console.db_url)
    today = date.today()
    by_collector, by_criterion = pass_rates(today - timedelta(days=1), today + timedelta(days=1))
    assert by_collector["id"] == "practice_per_collector" and by_collector["labels"] == ["cara"]
    assert by_collector["series"][0]["values"] == [50]  # the good session passed, the threatening one did not
    rates = dict(zip(by_criterion["labels"], by_criterion["series"][0]["values"]))
    assert rates["Names only lawful consequences"] == 50 and rates["Stays respectful"] == 100
    assert pass_rates(today + timedelta(days=5), today + timedelta(days=6))[0]["labels"] == []
