"""Collector practice: role-play against the practice assistant (the debtor), scored by the rubric; and quality
scoring of any transcript.

Every signed-in staff user may practise; each sees only their own sessions and attempts (supervisors and admins
may open anyone's attempt). The console relays the collector's messages to the practice Rasa server
(PRACTICE_RASA_URL, else http://127.0.0.1:PRACTICE_RASA_PORT, default 5006; token RASA_AUTH_TOKEN) and reads
debtor intents for scoring from the main Rasa server (RASA_URL, else http://127.0.0.1:RASA_PORT, default 5005).

Page
  GET  /practice                                 scenarios, the card and chat, the scorecard, past attempts
JSON API (session cookie with X-CSRF-Token, or Authorization: Bearer <token>)
  GET  /api/practice/scenarios                   [{"id", "title", "difficulty", "objections", "debtor_kind", "trap",
                                                 "language", "language_name"}]  (?language=es: that language's only)
  POST /api/practice/sessions                    {"scenario"} -> 201 {"session_id", "card", "messages"}
  GET  /api/practice/sessions/{id}               {"session_id", "scenario", "title", "card", "messages", "ended",
                                                 "finished"}
  POST /api/practice/sessions/{id}/messages      {"text"} -> {"messages", "ended"} (the debtor's replies)
  POST /api/practice/sessions/{id}/finish        -> the scorecard
  GET  /api/practice/attempts                    {"criteria": [{"id", "title"}], "attempts": [{"session_id",
                                                 "scenario", "title", "started_at", "finished_at", "score",
                                                 "passed", "criteria": {id: passed}}], "open": [...]}
  GET  /api/practice/attempts/{id}               {"session_id", "username", "scenario", "title", "card", "messages",
                                                 "started_at", "finished_at", "scorecard"}
  POST /api/qa/score                             (supervisor, admin) a transcript -> its scorecard; an optional
                                                 "language" (en, es, zh) writes titles, advice and model answers in it
A practice session's scorecard is in its scenario's language. A message is {"speaker": "collector"|"debtor", "text",
"time"}; a scorecard is actions.rubric's.
"""
from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import uuid
from datetime import date, datetime, time, timedelta
from typing import Any, Dict, List

import aiohttp
from aiohttp import web

from actions.clock import today
from actions.review_store import chart
from actions.move_readers import HttpReaders, ReaderError
from actions.practice.scenarios import load_scenarios
from actions.language import LANGUAGES
from actions.rubric import (MAX_TURNS, Rubric, TranscriptError, annotate, load_rubric, parse_transcript,
                            transcript_language)
from web.staff.auth import STORE_KEY as STAFF_STORE_KEY, audit, current_user, json_error, require_api, require_page
from web.staff.layout import render
from web.staff.practice_store import PracticeError, PracticeSession, PracticeStore, iso

log = logging.getLogger("web.staff.practice")

MAX_MESSAGE = 1000          # characters in one collector message
RASA_TIMEOUT = 90           # seconds; a fresh Rasa server on 2 cores can be slow to answer its first messages
ACCOUNT_FIELDS = ("full_name", "date_of_birth", "balance", "currency", "due_date", "legal_action_allowed")


class PracticeConfig:
    def __init__(self, practice_url: str, main_url: str, token: str):
        self.practice_url, self.main_url, self.token = practice_url.rstrip("/"), main_url.rstrip("/"), token

    @classmethod
    def from_environment(cls) -> "PracticeConfig":
        practice = os.environ.get("PRACTICE_RASA_URL") or \
            f"http://127.0.0.1:{os.environ.get('PRACTICE_RASA_PORT') or 5006}"
        main = os.environ.get("RASA_URL") or f"http://127.0.0.1:{os.environ.get('RASA_PORT') or 5005}"
        return cls(practice, main, os.environ.get("RASA_AUTH_TOKEN", ""))

    def readers(self) -> HttpReaders:
        return HttpReaders(self.practice_url, self.main_url, self.token, timeout=RASA_TIMEOUT)


STORE_KEY = web.AppKey("practice_store", PracticeStore)
CONFIG_KEY = web.AppKey("practice_config", PracticeConfig)
SCENARIOS_KEY = web.AppKey("practice_scenarios", dict)
RUBRIC_KEY = web.AppKey("practice_rubric", Rubric)
LOCKS_KEY = web.AppKey("practice_locks", dict)


class RelayError(RuntimeError):
    """The practice Rasa server could not be reached or answered with an error."""


# ---------------------------------------------------------------- helpers

async def _json_body(request: web.Request) -> Dict[str, Any]:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise PracticeError("send a JSON object as the request body") from None
    if not isinstance(body, dict):
        raise PracticeError("send a JSON object as the request body")
    return body


def _own_session(request: web.Request) -> PracticeSession:
    """The caller's own practice session; anyone else's is as unknown as a missing one."""
    session = request.app[STORE_KEY].get(request.match_info["session_id"])
    if session is None or session.user_id != current_user(request).id:
        raise PracticeError(f"no practice session {request.match_info['session_id'][:64]!r} of yours", 404)
    return session


def _title(request: web.Request, scenario_id: str) -> str:
    scenario = request.app[SCENARIOS_KEY].get(scenario_id)
    return scenario.title if scenario else scenario_id


async def _practice_call(request: web.Request, method: str, path: str, body: Any = None,
                         token: bool = True) -> Any:
    config = request.app[CONFIG_KEY]
    params = {"token": config.token} if token else None
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=RASA_TIMEOUT)) as client:
            async with client.request(method, config.practice_url + path, params=params, json=body) as response:
                if response.status >= 400:
                    raise RelayError(f"the practice assistant answered {response.status}")
                return await response.json(content_type=None)
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
        raise RelayError(f"the practice assistant is not reachable ({exc.__class__.__name__})") from exc


def _texts(messages: Any) -> List[str]:
    return [m["text"] for m in messages or [] if isinstance(m, dict) and isinstance(m.get("text"), str)]


async def _debtor_ended(request: web.Request, session_id: str) -> bool:
    tracker = await _practice_call(request, "GET", f"/conversations/{session_id}/tracker")
    return bool((tracker.get("slots") or {}).get("ended"))


def _transcript(session: PracticeSession, turns: List[Dict[str, str]]) -> Dict[str, Any]:
    return {"account": {k: session.card.get(k) for k in ACCOUNT_FIELDS}, "language": session.card.get("language"),
            "turns": [{"speaker": t["speaker"], "text": t["text"]} for t in turns]}


def _score(rubric: Rubric, readers: HttpReaders, transcript: Dict[str, Any]) -> Dict[str, Any]:
    account, turns = parse_transcript(transcript)
    return rubric.score(account, annotate(turns, readers), language=transcript_language(transcript))


async def _scored(request: web.Request, transcript: Dict[str, Any]) -> Dict[str, Any]:
    rubric, readers = request.app[RUBRIC_KEY], request.app[CONFIG_KEY].readers()
    return await asyncio.get_running_loop().run_in_executor(None, _score, rubric, readers, transcript)


def _errors(handler):
    """PracticeError and TranscriptError as 4xx, an unreachable model server as 502: always JSON with 'error'."""
    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except PracticeError as exc:
            return json_error(exc.status, str(exc))
        except TranscriptError as exc:
            return json_error(400, f"the transcript cannot be scored: {exc}")
        except (RelayError, ReaderError) as exc:
            log.warning("practice relay failed: %s", exc)
            return json_error(502, f"{exc}; nothing was lost, try again in a moment")
    return wrapped


# ---------------------------------------------------------------- page and API

@require_page()
async def practice_page(request: web.Request) -> web.Response:
    return render(request, "practice.html", title="Practice")


@require_api()
async def list_scenarios(request: web.Request) -> web.Response:
    language = request.query.get("language")
    if language is not None and language not in LANGUAGES:
        return json_error(400, f"unknown language {language[:16]!r}; one of {', '.join(LANGUAGES)}")
    return web.json_response([s.summary() for s in request.app[SCENARIOS_KEY].values()
                              if language is None or s.language == language])


@require_api()
@_errors
async def start_session(request: web.Request) -> web.Response:
    body = await _json_body(request)
    scenario_id = body.get("scenario")
    scenario = request.app[SCENARIOS_KEY].get(scenario_id) if isinstance(scenario_id, str) else None
    if scenario is None:
        raise PracticeError(f"unknown scenario {str(scenario_id)[:64]!r}; GET /api/practice/scenarios lists them")
    card = json.loads(json.dumps(scenario.card(today()), default=str))
    session_id = uuid.uuid4().hex
    answer = await _practice_call(request, "POST", f"/conversations/{session_id}/trigger_intent",
                                  {"name": "start_scenario", "entities": {"scenario": scenario.id}})
    opening = _texts(answer.get("messages"))
    request.app[STORE_KEY].start(session_id, current_user(request).id, scenario.id, card, opening)
    audit(request, "practice.start", session_id, {"scenario": scenario.id})
    return web.json_response({"session_id": session_id, "card": card,
                              "messages": [{"speaker": "debtor", "text": t} for t in opening]}, status=201)


@require_api()
@_errors
async def get_session(request: web.Request) -> web.Response:
    session = _own_session(request)
    return web.json_response({"session_id": session.id, "scenario": session.scenario_id,
                              "title": _title(request, session.scenario_id), "card": session.card,
                              "messages": request.app[STORE_KEY].turns(session.id), "ended": session.debtor_ended,
                              "finished": session.finished_at is not None})


@require_api()
@_errors
async def send_message(request: web.Request) -> web.Response:
    session = _own_session(request)
    body = await _json_body(request)
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        raise PracticeError("'text' must be a non-empty message")
    text = text.strip()
    if len(text) > MAX_MESSAGE:
        raise PracticeError(f"a message may be at most {MAX_MESSAGE} characters; this one has {len(text)}")
    lock = request.app[LOCKS_KEY].setdefault(session.id, asyncio.Lock())
    async with lock:
        session = _own_session(request)
        if session.finished_at is not None:
            raise PracticeError("this practice session is already finished; start a new one", 409)
        if session.debtor_ended:
            raise PracticeError("the debtor has ended this conversation; end and score it", 409)
        store = request.app[STORE_KEY]
        if len(store.turns(session.id)) + 1 >= MAX_TURNS:
            raise PracticeError(f"a practice session holds at most {MAX_TURNS} messages; end and score it", 409)
        replies = _texts(await _practice_call(request, "POST", "/webhooks/rest/webhook",
                                              {"sender": session.id, "message": text}, token=False))
        try:
            ended = await _debtor_ended(request, session.id)
        except RelayError as exc:  # the replies arrived: keep them; the next message reads the state again
            log.warning("could not read whether the debtor ended %s: %s", session.id, exc)
            ended = False
        store.add_exchange(session.id, text, replies, ended)
    return web.json_response({"messages": [{"speaker": "debtor", "text": t} for t in replies], "ended": ended})


@require_api()
@_errors
async def finish_session(request: web.Request) -> web.Response:
    session = _own_session(request)
    lock = request.app[LOCKS_KEY].setdefault(session.id, asyncio.Lock())
    async with lock:
        session = _own_session(request)
        if session.finished_at is not None:
            raise PracticeError("this practice session is already finished; its scorecard is at "
                                f"/api/practice/attempts/{session.id}", 409)
        store = request.app[STORE_KEY]
        turns = store.turns(session.id)
        if not any(t["speaker"] == "collector" for t in turns):
            raise PracticeError("there is nothing to score yet: send the debtor at least one message", 409)
        scorecard = await _scored(request, _transcript(session, turns))
        store.finish(session.id, scorecard)
    request.app[LOCKS_KEY].pop(session.id, None)
    audit(request, "practice.finish", session.id, {"score": scorecard["score"], "passed": scorecard["passed"]})
    return web.json_response(scorecard)


@require_api()
async def list_attempts(request: web.Request) -> web.Response:
    store, user = request.app[STORE_KEY], current_user(request)
    rubric = request.app[RUBRIC_KEY]
    attempts = [{"session_id": row.id, "scenario": row.scenario_id, "title": _title(request, row.scenario_id),
                 "started_at": iso(row.started_at), "finished_at": iso(row.finished_at), "score": row.score,
                 "passed": row.passed, "criteria": results}
                for row, results in store.attempts(user.id)]
    unfinished = [{"session_id": row.id, "scenario": row.scenario_id, "title": _title(request, row.scenario_id),
                   "started_at": iso(row.started_at)} for row in store.open_sessions(user.id)]
    return web.json_response({"criteria": [{"id": c.id, "title": c.title} for c in rubric.criteria],
                              "attempts": attempts, "open": unfinished})


@require_api()
@_errors
async def get_attempt(request: web.Request) -> web.Response:
    user, store = current_user(request), request.app[STORE_KEY]
    session = store.get(request.match_info["session_id"])
    if session is None or (session.user_id != user.id and not user.has_role("supervisor")):
        raise PracticeError(f"no practice attempt {request.match_info['session_id'][:64]!r} you may open", 404)
    if session.finished_at is None:
        raise PracticeError("this practice session is not finished yet; end and score it first", 409)
    if session.user_id != user.id:
        audit(request, "practice.view", session.id, {"collector": session.username})
    return web.json_response({"session_id": session.id, "username": session.username,
                              "scenario": session.scenario_id, "title": _title(request, session.scenario_id),
                              "card": session.card, "messages": store.turns(session.id),
                              "started_at": iso(session.started_at), "finished_at": iso(session.finished_at),
                              "scorecard": store.scorecard(session.id)})


@require_api("supervisor")
@_errors
async def score_transcript(request: web.Request) -> web.Response:
    """Quality review of any chat: the transcript format of `make score-transcript`."""
    body = await _json_body(request)
    parse_transcript(body)
    scorecard = await _scored(request, body)
    audit(request, "qa.score", "", {"turns": len(body["turns"]), "score": scorecard["score"]})
    return web.json_response(scorecard)


def pass_rates(start: date, end: date) -> List[Dict[str, Any]]:
    """For the review dashboard: practice pass rate (%) per collector and per criterion, attempts finished from
    ``start`` to ``end`` (whole days, inclusive), as its chart dicts."""
    collectors, criteria = PracticeStore().pass_rates(datetime.combine(start, time()),
                                                      datetime.combine(end + timedelta(days=1), time()))
    titles = {c.id: c.title for c in load_rubric().criteria}
    order = {c.id: n for n, c in enumerate(load_rubric().criteria)}
    criteria = sorted(criteria, key=lambda row: order.get(row[0], len(order)))
    rate = lambda passed, total: round(100 * passed / total) if total else 0  # noqa: E731
    return [chart("practice_per_collector", "Collector", "Practice pass rate per collector (%)", "bar",
                  [name for name, _, _ in collectors], {"Pass rate (%)": [rate(p, t) for _, p, t in collectors]}),
            chart("practice_per_criterion", "Criterion", "Practice pass rate per criterion (%)", "bar",
                  [titles.get(c, c) for c, _, _ in criteria], {"Pass rate (%)": [rate(p, t) for _, p, t in criteria]})]


def setup(app: web.Application) -> None:
    app[STORE_KEY] = PracticeStore(app[STAFF_STORE_KEY].url)
    app[CONFIG_KEY] = PracticeConfig.from_environment()
    app[SCENARIOS_KEY] = load_scenarios()
    app[RUBRIC_KEY] = load_rubric()
    app[LOCKS_KEY] = {}
    app.router.add_get("/practice", practice_page)
    app.router.add_get("/api/practice/scenarios", list_scenarios)
    app.router.add_post("/api/practice/sessions", start_session)
    app.router.add_get("/api/practice/sessions/{session_id}", get_session)
    app.router.add_post("/api/practice/sessions/{session_id}/messages", send_message)
    app.router.add_post("/api/practice/sessions/{session_id}/finish", finish_session)
    app.router.add_get("/api/practice/attempts", list_attempts)
    app.router.add_get("/api/practice/attempts/{session_id}", get_attempt)
    app.router.add_post("/api/qa/score", score_transcript)
