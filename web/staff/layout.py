"""The console's pages: one Jinja2 environment (autoescaped: everything shown is text) and the shared layout.

    from web.staff.layout import render
    return render(request, "practice.html", title="Practice", scenarios=scenarios)

A page template extends "base.html" and fills ``content`` (and ``scripts`` for its own
``<script src="/static/...">`` tags; no inline scripts or styles, the CSP forbids them). Each template gets
``user``, ``csrf_token``, ``csrf_field()`` (the hidden form input) and ``nav``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from web.staff.auth import CSRF_FIELD, csrf_token, current_user

TEMPLATES = Path(__file__).resolve().parent / "templates"

# (label, path, roles that see it): roles as in auth.require_page; () means every signed-in user.
NAV = (
    ("Practice", "/practice", ()),
    ("Review", "/review", ("supervisor",)),
    ("Dashboard", "/review/dashboard", ("supervisor",)),
    ("Users", "/admin/users", ("admin",)),
    ("Audit log", "/admin/audit", ("admin",)),
)

environment = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(default=True),
                          undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def nav_for(request: web.Request) -> List[Dict[str, Any]]:
    user = current_user(request)
    if user is None:
        return []
    visible = [(label, path) for label, path, roles in NAV if user.has_role(*roles)]
    # The longest matching path is the current section (/review/dashboard is not /review).
    matches = [path for _, path in visible if request.path == path or request.path.startswith(path + "/")]
    active = max(matches, key=len) if matches else None
    return [{"label": label, "path": path, "current": path == active} for label, path in visible]


def render(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    token = csrf_token(request)
    html = environment.get_template(template).render(
        user=current_user(request), csrf_token=token, nav=nav_for(request),
        csrf_field=lambda: Markup(f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(token)}">'),
        **context)
    return web.Response(text=html, status=status, content_type="text/html")
