"""The debtor web page: serves the chat page and relays its messages to Rasa's REST channel.

    python -m web.server --port 8080 --rasa-url http://localhost:5005 --token "$RASA_AUTH_TOKEN"

Routes
  GET  /                 the page (web/static/index.html); /static/... its scripts, styles and logo
  GET  /config.json      branding for the page, from policy/creditor.yml
  GET  /brand.css        the creditor's colours as CSS variables (so the page never paints unbranded)
  GET  /healthz          200 {"ok": true, "rasa": bool}; the page polls it while the assistant is unreachable
  POST /api/message      {"sender", "message"} -> {"messages": [{"text", "buttons"}], "notice"?}
  GET  /api/history      ?sender=ID -> {"messages": [{"from": "user"|"bot", "text", "buttons"}]}

The Rasa auth token stays on this server: the browser only ever talks to this origin.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml
from aiohttp import ClientError, ClientSession, ClientTimeout, web

ROOT = Path(__file__).resolve().parent.parent
STATIC = Path(__file__).resolve().parent / "static"
CREDITOR_FILE = ROOT / "policy" / "creditor.yml"

MAX_MESSAGE_LENGTH = 1000
MAX_BODY_BYTES = 16 * 1024
SENDER_RE = re.compile(r"^[A-Za-z0-9-]{8,64}$")
COLOUR_RE = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
LOGO_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\.(?:svg|png|jpg|jpeg|webp)$")

UNAVAILABLE = "The assistant is unavailable right now. Your message was not sent; it will be retried."
NO_REPLY = "The assistant didn't reply. Please try again in a moment."
TOO_SLOW = "The assistant is taking too long to answer. Please try again in a moment."
UPSTREAM_ERROR = "The assistant couldn't handle that message. Please try again or rephrase it."

SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; img-src 'self' data:; style-src 'self'; "
                                "script-src 'self'; connect-src 'self'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

DEFAULTS = {"creditor_name": "Your creditor", "assistant_name": "Payments assistant",
            "primary_colour": "#0b5cad", "accent_colour": "#f2f6fb", "logo": "logo.svg"}

log = logging.getLogger("web.server")

CONFIG_KEY = web.AppKey("config", dict)
SETTINGS_KEY = web.AppKey("settings", dict)
SESSION_KEY = web.AppKey("session", ClientSession)


# ---------------------------------------------------------------- branding

def _luminance(colour: str) -> float:
    hex_digits = colour[1:]
    if len(hex_digits) == 3:
        hex_digits = "".join(c * 2 for c in hex_digits)
    channels = [int(hex_digits[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio between two #rgb / #rrggbb colours."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _colour(value: Any, fallback: str) -> str:
    return value if isinstance(value, str) and COLOUR_RE.match(value) else fallback


def load_branding(path: Path = CREDITOR_FILE) -> Dict[str, Any]:
    """Branding for the page from policy/creditor.yml, with safe fallbacks and AA-contrast text colours."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        log.warning("Could not read %s (%s); using default branding", path, exc)
        data = {}
    branding = data.get("branding") or {}
    primary = _colour(branding.get("primary_colour"), DEFAULTS["primary_colour"])
    accent = _colour(branding.get("accent_colour"), DEFAULTS["accent_colour"])
    logo = branding.get("logo") if isinstance(branding.get("logo"), str) else DEFAULTS["logo"]
    if not LOGO_RE.match(logo) or not (STATIC / logo).is_file():
        log.warning("Logo %r is not a file in web/static/; using %s", logo, DEFAULTS["logo"])
        logo = DEFAULTS["logo"]
    dark, light = "#1b1f24", "#ffffff"
    config = {
        "creditor_name": str(data.get("creditor_name") or DEFAULTS["creditor_name"]),
        "assistant_name": str(data.get("assistant_name") or DEFAULTS["assistant_name"]),
        "primary_colour": primary,
        "accent_colour": accent,
        "logo_url": f"/static/{logo}",
        "max_message_length": MAX_MESSAGE_LENGTH,
    }
    # Colours the stylesheet derives, so any configured pair still meets WCAG AA (4.5:1 for text).
    config["_css"] = {
        "--primary": primary,
        "--accent": accent,
        "--on-primary": light if contrast(primary, light) >= contrast(primary, dark) else dark,
        "--on-accent": dark if contrast(accent, dark) >= contrast(accent, light) else light,
        # Primary used as text / outlines on the white page: only if it is dark enough.
        "--primary-ink": primary if contrast(primary, light) >= 4.5 and contrast(primary, accent) >= 4.5 else dark,
    }
    return config


# ---------------------------------------------------------------- helpers

def error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


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


def clean_buttons(buttons: Any) -> List[Dict[str, str]]:
    cleaned = []
    for button in buttons if isinstance(buttons, list) else []:
        if isinstance(button, dict) and isinstance(button.get("title"), str) and isinstance(button.get("payload"), str):
            cleaned.append({"title": button["title"], "payload": button["payload"]})
    return cleaned


def history_from_events(events: Any) -> List[Dict[str, Any]]:
    """The visible conversation from Rasa tracker events.

    Texts starting with "/" are intent payloads (the page's hidden greeting, or a button click): a button
    click is shown as the title of the button that carried that payload; anything else is skipped."""
    history: List[Dict[str, Any]] = []
    for event in events if isinstance(events, list) else []:
        if not isinstance(event, dict):
            continue
        kind, text = event.get("event"), event.get("text")
        text = text if isinstance(text, str) else ""
        if kind == "user":
            if text.startswith("/"):
                title = _button_title(history, text)
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


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html", headers={"Content-Type": "text/html; charset=utf-8"})


async def config_json(request: web.Request) -> web.Response:
    config = {k: v for k, v in request.app[CONFIG_KEY].items() if not k.startswith("_")}
    return web.json_response(config)


async def brand_css(request: web.Request) -> web.Response:
    variables = "".join(f"{name}:{value};" for name, value in request.app[CONFIG_KEY]["_css"].items())
    return web.Response(text=f":root{{{variables}}}\n", content_type="text/css")


async def healthz(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS_KEY]
    try:
        async with request.app[SESSION_KEY].get(f"{settings['rasa_url']}/", timeout=ClientTimeout(total=3)) as resp:
            rasa = resp.status == 200
    except (ClientError, asyncio.TimeoutError, OSError):
        rasa = False
    return web.json_response({"ok": True, "rasa": rasa})


async def post_message(request: web.Request) -> web.Response:
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return error(413, f"Messages can be at most {MAX_MESSAGE_LENGTH} characters.")
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return error(400, "The request must be JSON: {\"sender\": ..., \"message\": ...}.")
    if not isinstance(payload, dict):
        return error(400, "The request must be a JSON object: {\"sender\": ..., \"message\": ...}.")
    sender, message = payload.get("sender"), payload.get("message")
    if not isinstance(sender, str) or not SENDER_RE.match(sender):
        return error(400, "Invalid sender id.")
    if not isinstance(message, str) or not message.strip():
        return error(400, "The message is empty.")
    if len(message) > MAX_MESSAGE_LENGTH:
        return error(413, f"Messages can be at most {MAX_MESSAGE_LENGTH} characters.")

    settings = request.app[SETTINGS_KEY]
    url = f"{settings['rasa_url']}/webhooks/rest/webhook"
    try:
        async with request.app[SESSION_KEY].post(url, json={"sender": sender, "message": message.strip()},
                                                 timeout=ClientTimeout(total=settings["timeout"])) as resp:
            if resp.status != 200:
                log.warning("Rasa answered %s to a message", resp.status)
                return error(502, UPSTREAM_ERROR)
            replies = await resp.json(content_type=None)
    except asyncio.TimeoutError:
        # Rasa may still process it, so the page must not resend it automatically.
        return error(504, TOO_SLOW)
    except (ClientError, OSError, ValueError) as exc:
        log.warning("Rasa is unreachable: %s", exc)
        return error(503, UNAVAILABLE)
    messages = messages_from_rasa(replies)
    if not messages:
        return web.json_response({"messages": [], "notice": NO_REPLY})
    return web.json_response({"messages": messages})


async def get_history(request: web.Request) -> web.Response:
    sender = request.query.get("sender", "")
    if not SENDER_RE.match(sender):
        return error(400, "Invalid sender id.")
    settings = request.app[SETTINGS_KEY]
    url = f"{settings['rasa_url']}/conversations/{sender}/tracker"
    try:
        async with request.app[SESSION_KEY].get(url, params={"token": settings["token"]},
                                                timeout=ClientTimeout(total=30)) as resp:
            if resp.status == 404:
                return web.json_response({"messages": []})
            if resp.status != 200:
                log.warning("Rasa answered %s to a tracker request", resp.status)
                return error(502, "The conversation history is not available right now.")
            tracker = await resp.json(content_type=None)
    except (ClientError, OSError, ValueError, asyncio.TimeoutError) as exc:
        log.warning("Rasa is unreachable: %s", exc)
        return error(503, "The assistant is unavailable right now.")
    events = tracker.get("events") if isinstance(tracker, dict) else None
    return web.json_response({"messages": history_from_events(events)})


# ---------------------------------------------------------------- app

def create_app(rasa_url: str = "http://localhost:5005", token: str = "dev-token-change-me",
               creditor_file: Path = CREDITOR_FILE, timeout: float = 90) -> web.Application:
    app = web.Application(middlewares=[security_headers], client_max_size=MAX_BODY_BYTES)
    app[CONFIG_KEY] = load_branding(creditor_file)
    app[SETTINGS_KEY] = {"rasa_url": rasa_url.rstrip("/"), "token": token, "timeout": timeout}

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
    app.router.add_static("/static/", STATIC, show_index=False, follow_symlinks=False)
    return app


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the debtor chat page and relay it to Rasa.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--rasa-url", default="http://localhost:5005")
    parser.add_argument("--token", default=os.environ.get("RASA_AUTH_TOKEN", "dev-token-change-me"))
    parser.add_argument("--creditor-config", type=Path, default=CREDITOR_FILE,
                        help="creditor / branding file (default: policy/creditor.yml)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(args.rasa_url, args.token, args.creditor_config)
    print(f"Debtor page on http://{args.host}:{args.port}/ (Rasa at {args.rasa_url})", flush=True)
    web.run_app(app, host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
