"""The staff console: a web app of its own (port STAFF_PORT, default 8081) for collectors, supervisors and admins.

    python -m web.staff [--host H] [--port P]        (make run starts it)

How route modules join the console
  Each module in ROUTE_MODULES below has ``setup(app: web.Application) -> None`` that adds its routes
  (``app.router.add_get(...)``) and anything it needs at start-up (``app.on_startup`` / ``on_cleanup``).
  app.py imports each one plainly; to add a part of the console, write its module and list it here.
  Handlers guard themselves with ``web.staff.auth.require_page`` / ``require_api`` and render pages with
  ``web.staff.layout.render``; raise ``web.staff.auth.PageError`` for a page-level error message.
  Static files live in web/staff/static/ (served at /static/); Chart.js at /static/vendor/chart.js/chart.umd.js.

Routes of this module (admin.py adds the user management)
  GET  /healthz   200 {"ok": true} for the launcher; no data
  GET  /login     the sign-in form;  POST /login  username, password, csrf_token, next
  POST /logout    (CSRF) ends the session
  GET  /          the start page: links to what the signed-in user may open
  GET  /api/staff/me   {"username", "role"}

Configuration: STAFF_PORT, BIND_HOST, STAFF_SECRET_KEY, ACCOUNTS_DB_URL (the staff tables live in that
database), STAFF_SESSION_HOURS, STAFF_SECURE_COOKIES, STAFF_LOGIN_* (see web/staff/store.py LoginPolicy).
"""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Optional

from aiohttp import web

from web.staff import admin, practice, review
from web.staff.auth import (
    LOGIN_COOKIE, SETTINGS_KEY, STORE_KEY, PageError, StaffSettings, audit, auth_middleware, client_address,
    current_user, is_api, json_error, login_form_ok, login_form_token, new_browser_nonce, require_api,
    require_page, safe_next, see_other, set_cookie, sign_in, sign_out,
)
from web.staff.layout import render
from web.staff.store import StaffStore, normalise_username, StaffError

log = logging.getLogger("web.staff")

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
CHART_JS = HERE / "node_modules" / "chart.js" / "dist"

ROUTE_MODULES = (admin, practice, review)

SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                "connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; "
                                "frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


@web.middleware
async def security_headers(request: web.Request, handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
    response.headers.update(SECURITY_HEADERS)
    if not request.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-store"
    if isinstance(response, web.HTTPException):
        raise response
    return response


@web.middleware
async def error_pages(request: web.Request, handler) -> web.StreamResponse:
    """Errors as JSON for the API and as the console's message page otherwise; never a bare traceback."""
    try:
        return await handler(request)
    except PageError as exc:
        return render(request, "message.html", status=exc.status, title=exc.title, message=exc.message)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        reason = {404: "There is nothing at this address.", 405: "This address does not accept that method.",
                  413: "The request is too large."}.get(exc.status, exc.reason)
        if is_api(request):
            return json_error(exc.status, reason)
        return render(request, "message.html", status=exc.status, title=exc.reason, message=reason)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("Unhandled error on %s %s", request.method, request.path)
        if is_api(request):
            return json_error(500, "internal error; the staff console's log has the details")
        return render(request, "message.html", status=500, title="Something went wrong",
                      message="The console could not complete this request. Its log has the details.")


# ---------------------------------------------------------------- sign-in and out

async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


def login_page(request: web.Request, status: int = 200, error: str = "", username: str = "",
               notice: str = "", next_path: str = "/") -> web.Response:
    settings = request.app[SETTINGS_KEY]
    nonce = request.cookies.get(LOGIN_COOKIE) or new_browser_nonce()
    response = render(request, "login.html", status=status, title="Sign in", error=error, notice=notice,
                      username=username, next_path=next_path, login_token=login_form_token(settings, nonce))
    set_cookie(response, settings, LOGIN_COOKIE, nonce)
    return response


async def login_form(request: web.Request) -> web.Response:
    next_path = safe_next(request.query.get("next"))
    if current_user(request) is not None:
        return see_other(next_path)
    notice = "You are signed out." if "signed_out" in request.query else ""
    return login_page(request, next_path=next_path, notice=notice)


async def login_submit(request: web.Request) -> web.StreamResponse:
    settings, store = request.app[SETTINGS_KEY], request.app[STORE_KEY]
    form = await request.post()
    raw_name, password = form.get("username"), form.get("password")
    next_path = safe_next(form.get("next") if isinstance(form.get("next"), str) else None)
    shown_name = raw_name.strip()[:64] if isinstance(raw_name, str) else ""
    if not login_form_ok(request, settings, form.get("csrf_token") if isinstance(form.get("csrf_token"), str) else ""):
        return login_page(request, 403, "The sign-in form expired. Please sign in again.", shown_name,
                          next_path=next_path)
    if not shown_name or not isinstance(password, str) or not password:
        return login_page(request, 400, "Enter your username and password.", shown_name, next_path=next_path)
    try:
        username = normalise_username(shown_name)
    except StaffError:
        username = shown_name.lower()  # cannot exist, but still counts as a failure
    address = client_address(request)
    block = store.login_block(username, address, settings.login_policy)
    if block is not None:
        response = login_page(request, 429, block.message, shown_name, next_path=next_path)
        response.headers["Retry-After"] = str(block.retry_after)
        return response
    loop = asyncio.get_running_loop()
    user, disabled = await loop.run_in_executor(None, store.authenticate, username, password[:1024])
    store.record_attempt(username, address, user is not None)
    if user is None:
        message = ("This account is disabled. Ask an admin to enable it." if disabled
                   else "Wrong username or password.")
        block = store.login_block(username, address, settings.login_policy)
        if block is not None and not disabled:
            message += " " + block.message
            if block.locked:
                store.write_audit(None, "staff.sign_in_locked", username,
                                  {"by": "address" if block.by_address else "username", "until": block.until},
                                  address)
        return login_page(request, 401, message, shown_name, next_path=next_path)
    response = see_other(next_path)
    sign_in(request, response, user)
    audit(request, "staff.sign_in", user.username)
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    user = current_user(request)
    response = see_other("/login?signed_out=1")
    if user is not None:
        audit(request, "staff.sign_out", user.username)
    sign_out(request, response)
    return response


@require_page()
async def home(request: web.Request) -> web.Response:
    return render(request, "home.html", title="Staff console")


@require_api()
async def me(request: web.Request) -> web.Response:
    user = current_user(request)
    return web.json_response({"username": user.username, "role": user.role})


# ---------------------------------------------------------------- the app

def create_app(settings: StaffSettings, db_url: Optional[str] = None) -> web.Application:
    if not (CHART_JS / "chart.umd.js").is_file():
        raise SystemExit(f"Chart.js is missing from {CHART_JS}: run `make staff-assets` (npm ci in web/staff).")
    app = web.Application(middlewares=[security_headers, error_pages, auth_middleware], client_max_size=1024 ** 2)
    app[SETTINGS_KEY] = settings
    app[STORE_KEY] = StaffStore(db_url, session_key=settings.secret_key)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/login", login_form)
    app.router.add_post("/login", login_submit)
    app.router.add_post("/logout", logout)
    app.router.add_get("/", home)
    app.router.add_get("/api/staff/me", me)
    app.router.add_static("/static/vendor/chart.js/", CHART_JS)
    app.router.add_static("/static/", STATIC)
    for module in ROUTE_MODULES:
        module.setup(app)
    return app
