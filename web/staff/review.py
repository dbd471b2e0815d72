"""Supervisor review of the live assistant's conversations: inbox, transcript, dashboard and their JSON API.

Supervisors and admins only: collectors get 403, anonymous callers 401 (API) or the sign-in page. Conversations
come from Rasa's SQL tracker store (TRACKER_DB_URL, else the tracker_store of ENDPOINTS / endpoints.yml), indexed
incrementally by actions.conversation_index; review records live in ACCOUNTS_DB_URL. Every change is audited.
The rubric scores the assistant's conduct in each verified conversation in the background (every
REVIEW_SCORE_SECONDS, default 30; collector moves from the practice Rasa server at PRACTICE_RASA_URL or
PRACTICE_RASA_PORT) and again whenever a transcript is opened.

Pages
  GET  /review                                   the inbox; filters in the URL (same names as the API)
  GET  /review/export.csv                        the filtered list as CSV
  GET  /review/conversations/{id}                the transcript, scorecard and review forms
  POST /review/conversations/{id}/{what}         the forms: what = review | tags | notes | flag | intent | story
  GET  /review/dashboard                         charts over ?from=&to= (default: the last 30 days)
JSON API
  GET  /api/conversations                        ?from&to&outcome&intent&tone&flag&confidence_below&fallback
                                                 &status&tag&account&q&page -> {"total", "page", "page_size",
                                                 "items": [{"conversation_id", "started_at", "account_id", "outcome",
                                                 "max_tone", "objections", "flags", "turns", "min_confidence",
                                                 "fallbacks", "review_status", "tags", "score"}]}
  GET  /api/conversations/{id}                   {"conversation_id", "turns": [{"message_id", "speaker", "text",
                                                 "time", "intent", "confidence", "next_intents", "entities", "action",
                                                 "tone", "fallback", "slot_changes", "flagged", "corrected_intent"}],
                                                 "flags", "outcome", "recorded_outcome", "review_status", "tags",
                                                 "notes", "scorecard", ...}
  POST /api/conversations/{id}/review            {"status": "unreviewed"|"reviewed"|"saved_for_later"}
  POST /api/conversations/{id}/tags              {"add": [..], "remove": [..]} -> {"tags"}
  POST /api/conversations/{id}/notes             {"text"} -> 201 the note
  POST /api/conversations/{id}/messages/{message_id}/flag     {"reason", "flagged": true|false}
  POST /api/conversations/{id}/messages/{message_id}/intent   {"intent"} (a debtor message)
  POST /api/conversations/{id}/story             -> {"story": Rasa test-story YAML}
  GET  /api/dashboard                            ?from=&to= -> {"from", "to", "total", "charts": [{"id", "title",
                                                 "type", "labels", "series": [{"label", "values"}]}]}
"""
from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
import os
from datetime import date, datetime, timedelta, timezone
from typing import Any, Dict, Optional
from urllib.parse import urlencode

from aiohttp import web

from actions.conversation_index import ConversationIndex, Transcript
from actions.models import AccountRow
from actions.move_readers import HttpReaders, ReaderError
from actions.review_store import REVIEW_STATUSES, InboxFilter, ReviewError, ReviewStore
from actions.rubric import TranscriptAccount, Turn, annotate, load_rubric
from launcher.components import connect_host
from launcher.environment import bind_host
from web.staff.auth import PageError, audit, current_user, json_error, require_api, require_page, see_other
from web.staff.layout import render
from web.staff.practice import pass_rates

log = logging.getLogger("web.staff.review")

REVIEW_KEY = web.AppKey("review_store", ReviewStore)
SCORER_KEY = web.AppKey("review_scorer", asyncio.Task)
SCORE_SECONDS_KEY = web.AppKey("review_score_seconds", float)
SCORE_BATCH = 20
CSV_COLUMNS = ("conversation_id", "started_at", "account_id", "outcome", "max_tone", "objections", "flags", "turns",
               "min_confidence", "fallbacks", "review_status", "tags", "score")
DASHBOARD_DAYS = 30
MAX_DASHBOARD_DAYS = 366
FORM_ACTIONS = ("review", "tags", "notes", "flag", "intent", "story")


def _store(request: web.Request) -> ReviewStore:
    return request.app[REVIEW_KEY]


def _who(request: web.Request) -> str:
    return current_user(request).username


# ---------------------------------------------------------------- the assistant's own conduct, scored

class ScoreUnavailable(RuntimeError):
    """The scorer or the practice model's server cannot be used right now."""


def score_conduct(store: ReviewStore, transcript: Transcript) -> Dict[str, Any]:
    """The rubric's scorecard of the assistant's conduct (the assistant is the collector), or {"error"} when the
    conversation cannot be scored; raises ScoreUnavailable when the scorer cannot run now."""
    if not transcript.account_id:
        return {"error": "no account was verified in this conversation, so there is nothing to score it against"}
    with store.session() as session:
        account = session.get(AccountRow, transcript.account_id)
    if account is None:
        return {"error": f"account {transcript.account_id} is no longer in the ledger"}
    turns = [Turn("collector" if t.speaker == "assistant" else "debtor", t.text.strip()[:4000],
                  intent=t.intent if t.speaker == "debtor" else None) for t in transcript.turns if t.text.strip()]
    host = connect_host(bind_host())
    practice = os.environ.get("PRACTICE_RASA_URL") or f"http://{host}:{os.environ.get('PRACTICE_RASA_PORT') or 5006}"
    main = os.environ.get("RASA_URL") or f"http://{host}:{os.environ.get('RASA_PORT') or 5005}"
    try:
        scorecard = load_rubric().score(
            TranscriptAccount(account.full_name, account.date_of_birth, account.balance, account.currency,
                              account.due_date, bool(account.legal_action_allowed)),
            annotate(turns, HttpReaders(practice, main, os.environ.get("RASA_AUTH_TOKEN", ""), timeout=10)))
    except ReaderError as exc:
        raise ScoreUnavailable(f"could not score: {exc}") from exc
    store.set_score(transcript.conversation_id, scorecard.get("score"))
    return scorecard


def scorecard_or_error(store: ReviewStore, transcript: Transcript) -> Dict[str, Any]:
    try:
        return score_conduct(store, transcript)
    except ScoreUnavailable as exc:
        return {"error": str(exc)}


def score_unscored(store: ReviewStore, skip: set, batch: int = SCORE_BATCH) -> int:
    """Indexes new events, then scores up to ``batch`` verified conversations that have no score yet."""
    store.index.refresh()
    scored = 0
    for conversation_id in store.unscored(batch, sorted(skip)):
        transcript = store.index.transcript(conversation_id)
        if transcript is None or "error" in score_conduct(store, transcript):
            skip.add(conversation_id)
        else:
            scored += 1
    return scored


async def score_in_background(app: web.Application) -> None:
    """Keeps the inbox's score column filled: every REVIEW_SCORE_SECONDS, scores what changed since."""
    loop, skip = asyncio.get_running_loop(), set()
    while True:
        await asyncio.sleep(app[SCORE_SECONDS_KEY])
        try:
            await loop.run_in_executor(None, score_unscored, app[REVIEW_KEY], skip)
        except ScoreUnavailable as exc:
            log.info("conversations not scored this round: %s", exc)
        except Exception:
            log.exception("scoring conversations failed; trying again next round")


async def start_scoring(app: web.Application) -> None:
    app[SCORER_KEY] = asyncio.create_task(score_in_background(app))


async def stop_scoring(app: web.Application) -> None:
    app[SCORER_KEY].cancel()
    try:
        await app[SCORER_KEY]
    except asyncio.CancelledError:
        pass


# ---------------------------------------------------------------- helpers

async def _json_body(request: web.Request) -> Dict[str, Any]:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ReviewError("the body must be a JSON object")
    if not isinstance(body, dict):
        raise ReviewError("the body must be a JSON object")
    return body


def _message_id(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 18:
        raise ReviewError("no such message", 404)
    return int(raw)


def api_errors(handler):
    async def guarded(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except ReviewError as exc:
            return json_error(exc.status, str(exc))
    guarded.__name__ = handler.__name__
    return guarded


def page_errors(handler):
    async def guarded(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except ReviewError as exc:
            raise PageError(exc.status, "Not found" if exc.status == 404 else "Cannot do that", str(exc))
    guarded.__name__ = handler.__name__
    return guarded


def _filter(request: web.Request) -> InboxFilter:
    return InboxFilter.parse(request.query, _store(request).vocabulary)


def utc_today() -> date:
    """Conversations are stamped with the real clock, so the dashboard's default range follows it too."""
    return datetime.now(timezone.utc).date()


def _dashboard_range(request: web.Request):
    try:
        end = date.fromisoformat(request.query["to"]) if request.query.get("to") else utc_today()
        start = date.fromisoformat(request.query["from"]) if request.query.get("from") else \
            end - timedelta(days=DASHBOARD_DAYS - 1)
    except ValueError:
        raise ReviewError("from and to must be dates written YYYY-MM-DD")
    if end < start:
        raise ReviewError("'to' is before 'from'")
    if (end - start).days >= MAX_DASHBOARD_DAYS:
        raise ReviewError(f"the dashboard covers at most {MAX_DASHBOARD_DAYS} days")
    return start, end


def _dashboard(request: web.Request) -> Dict[str, Any]:
    """The live conversations' figures, then the practice pass rate per collector and per criterion."""
    start, end = _dashboard_range(request)
    data = _store(request).dashboard(start, end)
    data["charts"] += pass_rates(start, end)
    return data


async def _detail(request: web.Request, conversation_id: str) -> Dict[str, Any]:
    store = _store(request)
    transcript = store.transcript(conversation_id)
    scorecard = await asyncio.get_running_loop().run_in_executor(None, scorecard_or_error, store, transcript)
    return store.detail(conversation_id, scorecard)


# ---------------------------------------------------------------- actions shared by the API and the forms

async def _apply(request: web.Request, what: str, conversation_id: str, body: Dict[str, Any],
                 message_id: Optional[int] = None) -> Dict[str, Any]:
    store, who = _store(request), _who(request)
    if what == "review":
        status = store.set_status(conversation_id, body.get("status"), who)
        audit(request, "conversation.review", conversation_id, {"status": status})
        return {"conversation_id": conversation_id, "review_status": status}
    if what == "tags":
        tags = store.change_tags(conversation_id, body.get("add"), body.get("remove"), who)
        audit(request, "conversation.tags", conversation_id, {"add": body.get("add"), "remove": body.get("remove")})
        return {"conversation_id": conversation_id, "tags": tags}
    if what == "notes":
        note = store.add_note(conversation_id, body.get("text"), who)
        audit(request, "conversation.note", conversation_id, {"length": len(note["text"])})
        return note
    if what == "flag":
        flagged = store.flag_message(conversation_id, message_id, body.get("reason"), body.get("flagged"), who)
        audit(request, "conversation.flag_message", conversation_id, {"message_id": message_id, "flagged": flagged})
        return {"message_id": message_id, "flagged": flagged}
    if what == "intent":
        correction = store.correct_intent(conversation_id, message_id, body.get("intent"), who)
        audit(request, "conversation.correct_intent", conversation_id, correction)
        return correction
    if what == "story":
        story = store.save_story(conversation_id, who)
        audit(request, "conversation.save_story", conversation_id)
        return {"conversation_id": conversation_id, "story": story}
    raise ReviewError("no such review action", 404)


# ---------------------------------------------------------------- JSON API

@require_api("supervisor")
@api_errors
async def api_list(request: web.Request) -> web.Response:
    return web.json_response(_store(request).inbox(_filter(request)))


@require_api("supervisor")
@api_errors
async def api_detail(request: web.Request) -> web.Response:
    return web.json_response(await _detail(request, request.match_info["id"]))


def _api_action(what: str, with_message: bool = False):
    @require_api("supervisor")
    @api_errors
    async def handler(request: web.Request) -> web.Response:
        body = await _json_body(request) if what != "story" or request.can_read_body else {}
        message_id = _message_id(request.match_info["message_id"]) if with_message else None
        result = await _apply(request, what, request.match_info["id"], body, message_id)
        return web.json_response(result, status=201 if what == "notes" else 200)
    handler.__name__ = f"api_{what}"
    return handler


@require_api("supervisor")
@api_errors
async def api_dashboard(request: web.Request) -> web.Response:
    return web.json_response(_dashboard(request))


# ---------------------------------------------------------------- pages

def _csv_cell(value: Any) -> str:
    text = ";".join(value) if isinstance(value, list) else "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text  # never a formula in a spreadsheet


@require_page("supervisor")
@page_errors
async def inbox_page(request: web.Request) -> web.Response:
    store = _store(request)
    where = _filter(request)
    if any(not value for value in request.query.values()):  # the filter form sends every field; keep URLs short
        clean = urlencode(where.as_query())
        return see_other("/review" + (f"?{clean}" if clean else ""))
    found = store.inbox(where)
    pages = max(1, -(-found["total"] // found["page_size"]))
    link = lambda **changes: "/review?" + urlencode(where.as_query(**changes))  # noqa: E731
    return render(request, "review_inbox.html", title="Review", found=found, where=where, query=where.as_query(),
                  vocabulary=store.vocabulary, statuses=REVIEW_STATUSES, pages=pages,
                  previous=link(page=where.page - 1) if where.page > 1 else None,
                  following=link(page=where.page + 1) if where.page < pages else None,
                  export="/review/export.csv?" + urlencode(where.as_query(page=None)))


@require_page("supervisor")
@page_errors
async def export_csv(request: web.Request) -> web.Response:
    where = _filter(request)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for item in _store(request).all_matching(where):
        writer.writerow([_csv_cell(item[c]) for c in CSV_COLUMNS])
    audit(request, "conversation.export_csv", "", where.as_query(page=None))
    return web.Response(text=out.getvalue(), content_type="text/csv",
                        headers={"Content-Disposition": 'attachment; filename="conversations.csv"'})


@require_page("supervisor")
@page_errors
async def conversation_page(request: web.Request) -> web.Response:
    conversation = await _detail(request, request.match_info["id"])
    return render(request, "review_conversation.html", title=f"Conversation {conversation['conversation_id']}",
                  c=conversation, statuses=REVIEW_STATUSES, intents=[
                      i for i in _store(request).vocabulary.intents if i != "nlu_fallback"],
                  done=request.query.get("done", ""))


@require_page("supervisor")
@page_errors
async def conversation_form(request: web.Request) -> web.StreamResponse:
    conversation_id, what = request.match_info["id"], request.match_info["what"]
    if what not in FORM_ACTIONS:
        raise ReviewError("no such review action", 404)
    form = await request.post()
    field = lambda name: form.get(name) if isinstance(form.get(name), str) else None  # noqa: E731
    body: Dict[str, Any] = {"status": field("status"), "text": field("text"), "reason": field("reason") or "",
                            "intent": field("intent")}
    if what == "tags":
        body["add"] = [t for t in (field("add") or "").split(",") if t.strip()] or None
        body["remove"] = [field("remove")] if field("remove") else None
    if what == "flag":
        body["flagged"] = field("flagged") != "no"
    message_id = _message_id(field("message_id") or "") if what in ("flag", "intent") else None
    await _apply(request, what, conversation_id, body, message_id)
    return see_other(f"/review/conversations/{conversation_id}?done={what}")


@require_page("supervisor")
@page_errors
async def dashboard_page(request: web.Request) -> web.Response:
    data = _dashboard(request)
    return render(request, "review_dashboard.html", title="Dashboard", data=data, charts=data["charts"],
                  start=data["from"], end=data["to"])


# ---------------------------------------------------------------- wiring

def setup(app: web.Application) -> None:
    raw = os.environ.get("REVIEW_SCORE_SECONDS") or "30"
    try:
        seconds = float(raw)
    except ValueError:
        seconds = 0
    if not 0 < seconds <= 86400:
        raise SystemExit(f"REVIEW_SCORE_SECONDS={raw!r} must be a number of seconds above 0 and at most 86400")
    try:
        app[REVIEW_KEY] = ReviewStore(ConversationIndex())
    except (ValueError, OSError) as exc:
        raise SystemExit(f"Refusing to start the staff console's review: {exc}") from None
    app[SCORE_SECONDS_KEY] = seconds
    app.on_startup.append(start_scoring)
    app.on_cleanup.append(stop_scoring)
    app.router.add_get("/review", inbox_page)
    app.router.add_get("/review/export.csv", export_csv)
    app.router.add_get("/review/dashboard", dashboard_page)
    app.router.add_get("/review/conversations/{id}", conversation_page)
    app.router.add_post("/review/conversations/{id}/{what}", conversation_form)
    app.router.add_get("/api/conversations", api_list)
    app.router.add_get("/api/dashboard", api_dashboard)
    app.router.add_get("/api/conversations/{id}", api_detail)
    for what in ("review", "tags", "notes", "story"):
        app.router.add_post(f"/api/conversations/{{id}}/{what}", _api_action(what))
    for what in ("flag", "intent"):
        app.router.add_post(f"/api/conversations/{{id}}/messages/{{message_id}}/{what}", _api_action(what, True))
