"""The debtor web page: serves the chat page and relays its messages to Rasa's REST channel.

    python -m web.server --port 8080 --rasa-url http://127.0.0.1:5005 --action-url http://127.0.0.1:5055

Routes
  GET  /                 the page (web/static/index.html); /static/... its scripts, styles and logo
  GET  /config.json      branding for the page, from policy/creditor.yml
  GET  /brand.css        the creditor's colours as CSS variables (so the page never paints unbranded)
  GET  /healthz          200 {"ok": true, "rasa": bool, "actions": bool, "database": bool}; "ok" means this
                         page is up, the others are each part's status
  POST /api/message      {"message": typed text} or {"payload": one of the page's button payloads}, optionally
                         with "language": "en" / "es" / "zh" (the page's language switch)
                         -> {"messages": [{"text", "buttons"}], "language"?, "notice"?, "notice_code"?}
                         ("language": the conversation now goes on in it, so the page's own words follow);
                         429 {"error", "code", "retry_after"} past the rate limit. Every error is {"error": English
                         text, "code": one of ERROR_CODES}; the page says the code's text in the debtor's language
  GET  /api/history      the conversation of this browser's cookie -> {"messages": [{"from", "text", "buttons"}]}
  POST /api/new-chat     ends this browser's conversation (clears the cookie) -> {"ok": true}

The conversation is bound to a secret in the HttpOnly, SameSite=Strict cookie "conversation"; Rasa's sender id
is derived from it (web.conversation). Cross-site POSTs are refused. The Rasa auth token stays on this server.

Environment: BIND_HOST (default loopback), WEB_SECRET_KEY and RASA_AUTH_TOKEN (launcher.environment refuses
public defaults outside development), WEB_RATE_LIMIT messages per WEB_RATE_WINDOW seconds and client address
(default 60 per 60), TRUSTED_PROXIES (the load balancers whose X-Forwarded-For names the client address the limit
counts; web.proxies), WEB_PUBLIC_ORIGIN (comma-separated origins also accepted on POSTs, e.g. behind a proxy
that rewrites Host), ACCOUNTS_DB_URL (checked by /healthz).
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from aiohttp import ClientError, ClientSession, ClientTimeout, web
from sqlalchemy import create_engine, text

from actions.creditor import load_creditor
from actions.language import LANGUAGES
from actions.models import database_url
from channels.commands import (
    MAX_MESSAGE_LENGTH, CommandList, RequestRefused, message_text, parse_json_object,
)
from launcher.environment import bind_host, secret
from web import conversation
from web.proxies import TrustedProxies
from web.rate_limit import RateLimiter

ROOT = Path(__file__).resolve().parent.parent
STATIC = Path(__file__).resolve().parent / "static"
CREDITOR_FILE = ROOT / "policy" / "creditor.yml"

MAX_BODY_BYTES = 16 * 1024
# A larger body is still read (and dropped) up to this size, so the client gets its 413 rather than a reset.
DRAIN_BYTES = 1024 * 1024
EXPECTED = '{"message": "..."} or {"payload": "/..."}, optionally with "language"'

UNAVAILABLE = "The assistant is unavailable right now. Your message was not sent; it will be retried."
NO_REPLY = "The assistant didn't reply. Please try again in a moment."
TOO_SLOW = "The assistant is taking too long to answer. Please try again in a moment."
UPSTREAM_ERROR = "The assistant couldn't handle that message. Please try again or rephrase it."
TOO_MANY = ("You're sending messages faster than the assistant can take them. Please wait {seconds} seconds; "
            "your message will be sent then.")
CROSS_SITE = "Requests from other sites are not accepted."
# What went wrong, for the page to say in the debtor's language (web/static/app.js PAGE_TEXT errors).
ERROR_CODES = ("bad_request", "too_long", "cross_site", "rate_limited", "too_slow", "unavailable", "upstream",
               "no_reply", "history_unavailable")

SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; img-src 'self' data:; style-src 'self'; "
                                "script-src 'self'; connect-src 'self'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

log = logging.getLogger("web.server")

CONFIG_KEY = web.AppKey("config", dict)
SETTINGS_KEY = web.AppKey("settings", dict)
SESSION_KEY = web.AppKey("session", ClientSession)
COMMANDS_KEY = web.AppKey("commands", CommandList)
LIMITER_KEY = web.AppKey("limiter", RateLimiter)
PROXIES_KEY = web.AppKey("proxies", TrustedProxies)


# ---------------------------------------------------------------- branding

def load_branding(path: Path = CREDITOR_FILE) -> Dict[str, Any]:
    """The page's names, colours and logo from policy/creditor.yml (actions.creditor, the one loader).

    A mistake in the file stops the server with ``PolicyError`` naming the file and the problem."""
    creditor = load_creditor(path)
    creditor.branding.require_logo_in(STATIC, str(path))
    return {"creditor_name": creditor.creditor_name, "assistant_name": creditor.assistant_name,
            "primary_colour": creditor.branding.primary_colour, "accent_colour": creditor.branding.accent_colour,
            "logo_url": f"/static/{creditor.branding.logo}", "max_message_length": MAX_MESSAGE_LENGTH,
            "languages": [{"code": code, "name": name} for code, name in LANGUAGES.items()],
            "_css": creditor.branding.css_variables()}


# ---------------------------------------------------------------- helpers

def error(status: int, message: str, code: str, **extra: Any) -> web.Response:
    return web.json_response({"error": message, "code": code, **extra}, status=status)


def messages_from_rasa(replies: Any) -> List[Dict[str, Any]]:
    """Rasa REST replies ``[{recipient_id, text, buttons?}]`` -> ``[{text, buttons}]`` for the page."""
    messages = []
    for reply in replies if isinstance(replies, list) else []:
        if not isinstance(reply, dict):
            continue
        message = {"text": reply.get("text") if isinstance(reply.get("text"), str) else "",
                   "buttons": clean_buttons(reply.get("buttons"))}
        if message["text"] or message["buttons"]:
            messages.append(message)
    return messages


def language_from_rasa(replies: Any) -> Optional[str]:
    """The language a reply says the conversation now goes on in (utter_language_switched's custom part)."""
    for reply in replies if isinstance(replies, list) else []:
        custom = reply.get("custom") if isinstance(reply, dict) else None
        if isinstance(custom, dict) and custom.get("language") in LANGUAGES:
            return custom["language"]
    return None


def clean_buttons(buttons: Any) -> List[Dict[str, str]]:
    cleaned = []
    for button in buttons if isinstance(buttons, list) else []:
        if isinstance(button, dict) and isinstance(button.get("title"), str) and isinstance(button.get("payload"), str):
            cleaned.append({"title": button["title"], "payload": button["payload"]})
    return cleaned


def history_from_events(events: Any, commands: CommandList) -> List[Dict[str, Any]]:
    """The visible conversation from Rasa tracker events.

    Typed text is shown as written, "/" included. A command (the page's greeting or a button payload) is
    shown as the title of the button that carried it, or not at all (the hidden greeting)."""
    history: List[Dict[str, Any]] = []
    for event in events if isinstance(events, list) else []:
        if not isinstance(event, dict):
            continue
        kind, text = event.get("event"), event.get("text")
        text = text if isinstance(text, str) else ""
        if kind == "user":
            typed = bool((event.get("metadata") or {}).get("typed"))
            if not typed and commands.allows(text):
                title = _button_title(history, text.strip())
                if title is None:
                    continue
                text = title
            if text.strip():
                history.append({"from": "user", "text": text, "buttons": []})
        elif kind == "bot":
            buttons = clean_buttons((event.get("data") or {}).get("buttons"))
            if text or buttons:
                history.append({"from": "bot", "text": text, "buttons": buttons})
    return history


def _button_title(history: List[Dict[str, Any]], payload: str) -> Optional[str]:
    for message in reversed(history):
        if message["from"] == "bot":
            for button in message["buttons"]:
                if button["payload"] == payload:
                    return button["title"]
    return None


async def read_body(request: web.Request) -> bytes:
    chunks, size = [], 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size <= MAX_BODY_BYTES:
            chunks.append(chunk)
        elif size > DRAIN_BYTES:
            break
    if size > MAX_BODY_BYTES:
        raise RequestRefused(413, f"Messages can be at most {MAX_MESSAGE_LENGTH} characters.")
    return b"".join(chunks)


def read_page_message(body: bytes, commands: CommandList) -> Tuple[str, bool, Optional[str]]:
    """(text, typed, language) from a page request body, or RequestRefused. ``language`` is the debtor's
    choice on the page's switch (policy/languages.yml), sent with the message that follows the choice."""
    payload = parse_json_object(body, EXPECTED)
    language = payload.get("language")
    if language is not None and language not in LANGUAGES:
        raise RequestRefused(400, f"\"language\" must be one of: {', '.join(LANGUAGES)}.")
    if "payload" in payload:
        button = payload["payload"]
        if not isinstance(button, str) or not commands.allows(button):
            raise RequestRefused(400, "That button is not one of this page's buttons.")
        return button.strip(), False, language
    return message_text(payload.get("message")), True, language


@lru_cache(maxsize=4)
def _engine(url: str):
    return create_engine(url, future=True, pool_pre_ping=True,
                         connect_args={"connect_timeout": 3} if url.startswith("postgresql") else {})


def database_answers(url: str) -> bool:
    try:
        with _engine(url).connect() as connection:
            connection.execute(text("select 1"))
        return True
    except Exception as exc:  # any driver error means "down"; the URL (with its password) is never logged
        log.warning("The accounts database does not answer: %s", type(exc).__name__)
        return False


# ---------------------------------------------------------------- handlers

@web.middleware
async def security_headers(request: web.Request, handler):
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
    response.headers.update(SECURITY_HEADERS)
    if request.path == "/" or request.path.startswith("/api/") or request.path in ("/config.json", "/brand.css"):
        response.headers["Cache-Control"] = "no-store"
    if isinstance(response, web.HTTPException):
        raise response
    return response


@web.middleware
async def same_site_only(request: web.Request, handler):
    if request.method not in ("GET", "HEAD", "OPTIONS") and \
            conversation.is_cross_site(request, request.app[SETTINGS_KEY]["public_origins"]):
        return error(403, CROSS_SITE, "cross_site")
    return await handler(request)


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html", headers={"Content-Type": "text/html; charset=utf-8"})


async def config_json(request: web.Request) -> web.Response:
    config = {k: v for k, v in request.app[CONFIG_KEY].items() if not k.startswith("_")}
    return web.json_response(config)


async def brand_css(request: web.Request) -> web.Response:
    variables = "".join(f"{name}:{value};" for name, value in request.app[CONFIG_KEY]["_css"].items())
    return web.Response(text=f":root{{{variables}}}\n", content_type="text/css")


async def _answers(request: web.Request, url: str) -> bool:
    try:
        async with request.app[SESSION_KEY].get(url, timeout=ClientTimeout(total=3)) as resp:
            return resp.status == 200
    except (ClientError, asyncio.TimeoutError, OSError):
        return False


async def _database_answers(url: str) -> bool:
    try:
        return await asyncio.wait_for(asyncio.get_running_loop().run_in_executor(None, database_answers, url), 5)
    except asyncio.TimeoutError:
        return False


async def healthz(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS_KEY]
    rasa, actions, database = await asyncio.gather(
        _answers(request, f"{settings['rasa_url']}/"), _answers(request, f"{settings['action_url']}/health"),
        _database_answers(settings["db_url"]))
    return web.json_response({"ok": True, "rasa": rasa, "actions": actions, "database": database})


async def post_message(request: web.Request) -> web.Response:
    wait = request.app[LIMITER_KEY].retry_after(request.app[PROXIES_KEY].client_address(request))
    if wait:
        return _too_many(wait)
    if request.content_type != "application/json":
        return error(415, "Send the message as JSON (Content-Type: application/json).", "bad_request")
    try:
        body = await read_body(request)
        message, typed, language = read_page_message(body, request.app[COMMANDS_KEY])
    except RequestRefused as refused:
        return error(refused.status, refused.message, "too_long" if refused.status == 413 else "bad_request")

    settings = request.app[SETTINGS_KEY]
    secret_value = conversation.secret_from(request)
    is_new = secret_value is None
    secret_value = secret_value or conversation.new_secret()
    relay = {"sender": conversation.sender_for(secret_value, settings["secret_key"]), "message": message}
    metadata = {**({"typed": True} if typed else {}), **({"language": language} if language else {})}
    if metadata:
        relay["metadata"] = metadata
    response = await _relay(request, relay)
    if is_new:
        conversation.set_cookie(response, request, secret_value)
    return response


def _too_many(wait: int) -> web.Response:
    response = error(429, TOO_MANY.format(seconds=wait), "rate_limited", retry_after=wait)
    response.headers["Retry-After"] = str(wait)
    return response


async def _relay(request: web.Request, relay: Dict[str, Any]) -> web.Response:
    settings = request.app[SETTINGS_KEY]
    url = f"{settings['rasa_url']}/webhooks/rest/webhook"
    try:
        async with request.app[SESSION_KEY].post(url, json=relay,
                                                 timeout=ClientTimeout(total=settings["timeout"])) as resp:
            if 400 <= resp.status < 500:
                answer = await resp.json(content_type=None)
                log.warning("Rasa refused a message with %s", resp.status)
                return error(resp.status, answer.get("error") if isinstance(answer, dict)
                             and isinstance(answer.get("error"), str) else UPSTREAM_ERROR, "upstream")
            if resp.status != 200:
                log.warning("Rasa answered %s to a message", resp.status)
                return error(502, UPSTREAM_ERROR, "upstream")
            replies = await resp.json(content_type=None)
    except asyncio.TimeoutError:
        # Rasa may still process it, so the page must not resend it automatically.
        return error(504, TOO_SLOW, "too_slow")
    except (ClientError, OSError, ValueError) as exc:
        log.warning("Rasa is unreachable: %s", exc)
        return error(503, UNAVAILABLE, "unavailable")
    messages, language = messages_from_rasa(replies), language_from_rasa(replies)
    if not messages:
        return web.json_response({"messages": [], "notice": NO_REPLY, "notice_code": "no_reply"})
    return web.json_response({"messages": messages, **({"language": language} if language else {})})


async def get_history(request: web.Request) -> web.Response:
    secret_value = conversation.secret_from(request)
    if secret_value is None:
        return web.json_response({"messages": []})
    settings = request.app[SETTINGS_KEY]
    sender = conversation.sender_for(secret_value, settings["secret_key"])
    url = f"{settings['rasa_url']}/conversations/{sender}/tracker"
    try:
        async with request.app[SESSION_KEY].get(url, params={"token": settings["token"]},
                                                timeout=ClientTimeout(total=30)) as resp:
            if resp.status == 404:
                return web.json_response({"messages": []})
            if resp.status != 200:
                log.warning("Rasa answered %s to a tracker request", resp.status)
                return error(502, "The conversation history is not available right now.", "history_unavailable")
            tracker = await resp.json(content_type=None)
    except (ClientError, OSError, ValueError, asyncio.TimeoutError) as exc:
        log.warning("Rasa is unreachable: %s", exc)
        return error(503, "The assistant is unavailable right now.", "unavailable")
    events = tracker.get("events") if isinstance(tracker, dict) else None
    return web.json_response({"messages": history_from_events(events, request.app[COMMANDS_KEY])})


async def new_chat(request: web.Request) -> web.Response:
    response = web.json_response({"ok": True})
    conversation.clear_cookie(response, request)
    return response


# ---------------------------------------------------------------- app

def create_app(rasa_url: str = "http://127.0.0.1:5005", token: str = "dev-token-change-me",
               secret_key: str = "dev-web-secret-change-me", action_url: str = "http://127.0.0.1:5055",
               db_url: Optional[str] = None, creditor_file: Path = CREDITOR_FILE, timeout: float = 90,
               rate_limit: int = 60, rate_window: float = 60, public_origins: Tuple[str, ...] = (),
               trusted_proxies: TrustedProxies = TrustedProxies()) -> web.Application:
    app = web.Application(middlewares=[security_headers, same_site_only], client_max_size=MAX_BODY_BYTES)
    app[CONFIG_KEY] = load_branding(creditor_file)
    app[COMMANDS_KEY] = CommandList.load()
    app[LIMITER_KEY] = RateLimiter(rate_limit, rate_window)
    app[PROXIES_KEY] = trusted_proxies
    app[SETTINGS_KEY] = {"rasa_url": rasa_url.rstrip("/"), "token": token, "secret_key": secret_key,
                         "action_url": action_url.rstrip("/"), "db_url": db_url or database_url(),
                         "timeout": timeout, "public_origins": tuple(o.rstrip("/") for o in public_origins)}

    async def client_session(app: web.Application):
        async with ClientSession() as session:
            app[SESSION_KEY] = session
            yield

    app.cleanup_ctx.append(client_session)
    app.router.add_get("/", index)
    app.router.add_get("/config.json", config_json)
    app.router.add_get("/brand.css", brand_css)
    app.router.add_get("/healthz", healthz)
    app.router.add_post("/api/message", post_message)
    app.router.add_get("/api/history", get_history)
    app.router.add_post("/api/new-chat", new_chat)
    app.router.add_static("/static/", STATIC, show_index=False, follow_symlinks=False)
    return app


def _positive(name: str, default: float, kind=float):
    raw = os.environ.get(name)
    try:
        value = kind(raw) if raw else default
    except ValueError:
        raise SystemExit(f"Refusing to start: {name}={raw!r} is not a {'whole number' if kind is int else 'number'}.") from None
    if value <= 0:
        raise SystemExit(f"Refusing to start: {name} must be positive.")
    return value


def default_action_url() -> str:
    webhook = os.environ.get("ACTION_SERVER_URL", "").rstrip("/")
    if webhook:
        return webhook[:-len("/webhook")] if webhook.endswith("/webhook") else webhook
    return f"http://127.0.0.1:{os.environ.get('ACTION_PORT', '5055')}"


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the debtor chat page and relay it to Rasa.")
    parser.add_argument("--host", default=bind_host(), help="address to listen on (default: BIND_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--rasa-url", default="http://127.0.0.1:5005")
    parser.add_argument("--action-url", default=default_action_url(),
                        help="the action server, for /healthz (default: ACTION_SERVER_URL without /webhook, "
                             "else port ACTION_PORT or 5055 on loopback)")
    parser.add_argument("--token", default=None, help="Rasa's HTTP API token (default: RASA_AUTH_TOKEN)")
    parser.add_argument("--creditor-config", type=Path, default=CREDITOR_FILE,
                        help="creditor / branding file (default: policy/creditor.yml)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    token = args.token or secret("RASA_AUTH_TOKEN", args.host)
    app = create_app(args.rasa_url, token, secret("WEB_SECRET_KEY", args.host), args.action_url,
                     creditor_file=args.creditor_config,
                     rate_limit=_positive("WEB_RATE_LIMIT", 60, int), rate_window=_positive("WEB_RATE_WINDOW", 60),
                     public_origins=tuple(o.strip() for o in os.environ.get("WEB_PUBLIC_ORIGIN", "").split(",")
                                          if o.strip()),
                     trusted_proxies=TrustedProxies.from_environment())
    print(f"Debtor page on http://{args.host}:{args.port}/ (Rasa at {args.rasa_url})", flush=True)
    web.run_app(app, host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
