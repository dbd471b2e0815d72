"""Staff user management (admins) and the audit log.

Pages
  GET  /admin/users                      every staff user, a form to add one, and per user: role, disable/enable,
                                         reset password
  POST /admin/users                      username, role, password  -> creates the user
  POST /admin/users/{username}           change=role&role=... | change=disable | change=enable |
                                         change=password&password=...
  GET  /admin/audit                      the audit log, newest first (?page=, ?action=, ?username=)
JSON API
  GET   /api/staff/users                 (supervisor) {"users": [{"username", "role", "disabled", "created_at",
                                         "last_login_at"}]}
  POST  /api/staff/users                 (admin) {"username", "role", "password"} -> 201 the user
  PATCH /api/staff/users/{username}      (admin) any of {"role", "disabled", "password"} -> the user
  GET   /api/staff/audit                 (admin) ?page=&action=&username= -> {"total", "page", "items": [{"at",
                                         "username", "action", "target", "detail", "client_address"}]}
"""
from __future__ import annotations

import json
from typing import Any, Dict
from urllib.parse import urlencode

from aiohttp import web

from web.staff.auth import (
    STORE_KEY, PageError, audit, current_user, json_error, require_api, require_page, see_other,
)
from web.staff.layout import render
from web.staff.store import ROLES, StaffError, StaffStore, normalise_username

AUDIT_PAGE_SIZE = 50
DONE_MESSAGES = {
    "created": "Created {user}.",
    "role": "Changed the role of {user}.",
    "disable": "Disabled {user}: signed out everywhere, API tokens revoked.",
    "enable": "Enabled {user}.",
    "password": "Reset the password of {user}: signed out everywhere, failed sign-ins cleared.",
}


def _store(request: web.Request) -> StaffStore:
    return request.app[STORE_KEY]


def _change(store: StaffStore, request: web.Request, username: str, changes: Dict[str, Any]) -> None:
    """Applies role / disabled / password changes, each audited; StaffError on anything invalid."""
    if "role" in changes:
        store.set_role(username, changes["role"])
        audit(request, "staff_user.role", username, {"role": changes["role"]})
    if "disabled" in changes:
        if not isinstance(changes["disabled"], bool):
            raise StaffError("disabled must be true or false")
        if changes["disabled"] and username == current_user(request).username:
            raise StaffError("you cannot disable yourself")
        store.set_disabled(username, changes["disabled"])
        audit(request, "staff_user.disable" if changes["disabled"] else "staff_user.enable", username)
    if "password" in changes:
        store.set_password(username, changes["password"])
        audit(request, "staff_user.password_reset", username)


# ---------------------------------------------------------------- pages

def _users_page(request: web.Request, status: int = 200, error: str = "", draft: Dict[str, str] = None):
    done = DONE_MESSAGES.get(request.query.get("done", ""), "")
    return render(request, "admin_users.html", status=status, title="Staff users", users=_store(request).list_users(),
                  roles=ROLES, error=error, notice=done.format(user=request.query.get("user", "")),
                  draft=draft or {"username": "", "role": "collector"})


@require_page("admin")
async def users_page(request: web.Request) -> web.Response:
    return _users_page(request)


@require_page("admin")
async def create_user_form(request: web.Request) -> web.Response:
    form = await request.post()
    draft = {"username": str(form.get("username", ""))[:64], "role": str(form.get("role", ""))}
    try:
        user = _store(request).create_user(draft["username"], draft["role"], str(form.get("password", "")))
    except StaffError as exc:
        return _users_page(request, 400, f"Could not add the user: {exc}.", draft)
    audit(request, "staff_user.create", user.username, {"role": user.role})
    return see_other("/admin/users?" + urlencode({"done": "created", "user": user.username}))


@require_page("admin")
async def change_user_form(request: web.Request) -> web.Response:
    form = await request.post()
    change = form.get("change")
    changes = {"role": {"role": form.get("role")}, "disable": {"disabled": True}, "enable": {"disabled": False},
               "password": {"password": form.get("password")}}.get(change)
    username = request.match_info["username"]
    if changes is None:
        return _users_page(request, 400, "Could not change the user: unknown change.")
    try:
        _change(_store(request), request, username, changes)
    except StaffError as exc:
        return _users_page(request, 400, f"Could not change {username}: {exc}.")
    return see_other("/admin/users?" + urlencode({"done": change, "user": username}))


def _page_number(request: web.Request) -> int:
    raw = request.query.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= 100000:
        raise StaffError("page must be a whole number from 1")
    return int(raw)


@require_page("admin")
async def audit_page(request: web.Request) -> web.Response:
    try:
        page = _page_number(request)
    except StaffError as exc:
        raise PageError(400, "Bad page number", str(exc)) from None
    action, username = request.query.get("action", "")[:64], request.query.get("username", "")[:64]
    total, items = _store(request).audit_entries(page, AUDIT_PAGE_SIZE, action, username)
    pages = max(1, -(-total // AUDIT_PAGE_SIZE))
    link = lambda number: "/admin/audit?" + urlencode(  # noqa: E731
        {key: value for key, value in (("action", action), ("username", username), ("page", number)) if value})
    return render(request, "admin_audit.html", title="Audit log", items=items, total=total, page=page, pages=pages,
                  action=action, username=username, previous=link(page - 1) if page > 1 else None,
                  following=link(page + 1) if page < pages else None)


# ---------------------------------------------------------------- JSON API

async def _json_body(request: web.Request) -> Dict[str, Any]:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise StaffError("the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise StaffError("the body must be a JSON object")
    return body


@require_api("supervisor")
async def list_users(request: web.Request) -> web.Response:
    return web.json_response({"users": [user.as_json() for user in _store(request).list_users()]})


@require_api("admin")
async def create_user(request: web.Request) -> web.Response:
    try:
        body = await _json_body(request)
        user = _store(request).create_user(body.get("username"), body.get("role"), body.get("password"))
    except StaffError as exc:
        return json_error(409 if "already exists" in str(exc) else 400, str(exc))
    audit(request, "staff_user.create", user.username, {"role": user.role})
    return web.json_response(_store(request).user_info(user.username).as_json(), status=201)


@require_api("admin")
async def change_user(request: web.Request) -> web.Response:
    store = _store(request)
    try:
        username = normalise_username(request.match_info["username"])
    except StaffError as exc:
        return json_error(404, str(exc))
    if store.user_info(username) is None:
        return json_error(404, f"there is no staff user named {username}")
    try:
        body = await _json_body(request)
        unknown = sorted(set(body) - {"role", "disabled", "password"})
        if unknown or not body:
            raise StaffError("send any of role, disabled, password" + (f"; unknown: {', '.join(unknown)}"
                                                                        if unknown else ""))
        _change(store, request, username, body)
    except StaffError as exc:
        return json_error(400, str(exc))
    return web.json_response(store.user_info(username).as_json())


@require_api("admin")
async def audit_log(request: web.Request) -> web.Response:
    try:
        page = _page_number(request)
    except StaffError as exc:
        return json_error(400, str(exc))
    total, items = _store(request).audit_entries(page, AUDIT_PAGE_SIZE, request.query.get("action", "")[:64],
                                                 request.query.get("username", "")[:64])
    return web.json_response({"total": total, "page": page, "items": items})


def setup(app: web.Application) -> None:
    app.router.add_get("/admin/users", users_page)
    app.router.add_post("/admin/users", create_user_form)
    app.router.add_post("/admin/users/{username}", change_user_form)
    app.router.add_get("/admin/audit", audit_page)
    app.router.add_get("/api/staff/users", list_users)
    app.router.add_post("/api/staff/users", create_user)
    app.router.add_patch("/api/staff/users/{username}", change_user)
    app.router.add_get("/api/staff/audit", audit_log)
