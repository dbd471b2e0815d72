"""The staff console's sign-in, roles, CSRF, API tokens, throttling and audit log, over HTTP against a real
console process (python -m web.staff) on a free port with a real SQLite database."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest
import requests
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from actions.models import StaffAuditRow
from tests.servers import free_port, wait_for
from tests.staff_console import PASSWORD, ROOT, StaffConsole
from web.staff.app import create_app
from web.staff.auth import PUBLIC_PATHS, PUBLIC_PREFIXES, StaffSettings

THROTTLE = {"STAFF_LOGIN_SLOW_AFTER": "2", "STAFF_LOGIN_LOCK_AFTER": "4", "STAFF_LOGIN_DELAY_SECONDS": "1",
            "STAFF_LOGIN_ADDRESS_SLOW_AFTER": "40", "STAFF_LOGIN_ADDRESS_LOCK_AFTER": "50"}
ERROR = re.compile(r'class="error"[^>]*>([^<]+)<')


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("staff")
    running = StaffConsole(workdir, f"sqlite:///{workdir / 'staff.db'}").start(THROTTLE)
    try:
        running.add_user("ada", "admin")
        running.add_user("sam", "supervisor")
        running.add_user("cole", "collector")
        yield running
    finally:
        running.stop()


def audit_rows(console: StaffConsole, action: str):
    engine = create_engine(console.db_url, future=True)
    try:
        with Session(engine) as db:
            return db.execute(select(StaffAuditRow).where(StaffAuditRow.action == action)
                              .order_by(StaffAuditRow.id)).scalars().all()
    finally:
        engine.dispose()


def error_text(response: requests.Response) -> str:
    found = ERROR.search(response.text)
    return found.group(1) if found else ""


# ---------------------------------------------------------------- nothing answers anonymously

def registered_routes():
    """Every route of the console as built by create_app, including the route modules' own."""
    app = create_app(StaffSettings(secret_key="route-listing-only-0123456789"), "sqlite://")
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        path = info.get("path") or info.get("formatter") or info.get("prefix")
        if route.method == "HEAD" or path is None:
            continue
        if path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES):
            continue
        yield route.method, re.sub(r"\{[^}]+\}", "anything", path)


def test_every_api_route_answers_anonymous_callers_401_and_every_page_redirects(console):
    routes = list(registered_routes())
    assert ("GET", "/api/staff/users") in routes and ("GET", "/admin/users") in routes
    for method, path in routes:
        answer = requests.request(method, console.url + path, json={}, allow_redirects=False, timeout=30)
        if path.startswith("/api/"):
            assert answer.status_code == 401, (method, path, answer.status_code)
            assert "sign in" in answer.json()["error"]
            assert answer.headers["WWW-Authenticate"].startswith("Bearer")
        else:
            assert answer.status_code == 303, (method, path, answer.status_code)
            assert answer.headers["Location"].startswith("/login"), (method, path)


def test_unknown_addresses_answer_anonymous_callers_the_same(console):
    assert requests.get(console.url + "/api/no/such/route", timeout=30).status_code == 401
    answer = requests.get(console.url + "/no-such-page?x=1", allow_redirects=False, timeout=30)
    assert answer.status_code == 303 and answer.headers["Location"] == "/login?next=%2Fno-such-page%3Fx%3D1"


def test_health_check_and_static_files_are_public_and_carry_no_data(console):
    health = requests.get(console.url + "/healthz", timeout=30)
    assert health.status_code == 200 and health.json() == {"ok": True}
    chart = requests.get(console.url + "/static/vendor/chart.js/chart.umd.js", timeout=30)
    assert chart.status_code == 200 and "Chart" in chart.text
    assert "javascript" in chart.headers["Content-Type"]


# ---------------------------------------------------------------- sign-in, sign-out, sessions

def test_sign_in_sets_an_http_only_same_site_cookie_and_returns_to_the_page_asked_for(console):
    session = requests.Session()
    first = session.get(console.url + "/admin/users", allow_redirects=False, timeout=30)
    assert first.headers["Location"] == "/login?next=%2Fadmin%2Fusers"
    answer = console.try_sign_in(session, "ada", next_path="/admin/users")
    assert answer.status_code == 303 and answer.headers["Location"] == "/admin/users"
    cookie = answer.headers["Set-Cookie"]
    assert "staff_session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = session.get(console.url + "/admin/users", timeout=30)
    assert page.status_code == 200 and "Staff users" in page.text
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp


def test_sign_in_never_redirects_to_another_site(console):
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example", "/\t/evil.example"):
        answer = console.try_sign_in(requests.Session(), "sam", next_path=target)
        assert answer.status_code == 303 and answer.headers["Location"] == "/", target


def test_sign_in_form_needs_its_own_csrf_token(console):
    session = requests.Session()
    console.login_form(session)
    answer = session.post(console.url + "/login", data={"username": "sam", "password": PASSWORD},
                          allow_redirects=False, timeout=30)
    assert answer.status_code == 403 and "expired" in error_text(answer)
    assert "staff_session" not in session.cookies


def test_sign_in_form_shows_what_was_typed_as_text(console):
    session = requests.Session()
    token = console.login_form(session)
    answer = session.post(console.url + "/login", data={"username": "<b>x</b>", "password": "whatever-it-is",
                                                        "csrf_token": token}, timeout=30)
    assert answer.status_code == 401
    assert "&lt;b&gt;x&lt;/b&gt;" in answer.text and "<b>x</b>" not in answer.text


def test_empty_sign_in_is_a_clear_400(console):
    session = requests.Session()
    token = console.login_form(session)
    answer = session.post(console.url + "/login", data={"username": "sam", "password": "", "csrf_token": token},
                          timeout=30)
    assert answer.status_code == 400 and "Enter your username and password" in error_text(answer)


def test_logout_needs_the_csrf_token_then_ends_the_session(console):
    session = console.sign_in("sam")
    refused = session.post(console.url + "/logout", allow_redirects=False, timeout=30)
    assert refused.status_code == 403
    assert session.get(console.url + "/api/staff/me", timeout=30).json() == {"username": "sam",
                                                                            "role": "supervisor"}
    old_cookie = session.cookies.get("staff_session")
    done = session.post(console.url + "/logout", data={"csrf_token": session.csrf}, allow_redirects=False,
                        timeout=30)
    assert done.status_code == 303 and done.headers["Location"] == "/login?signed_out=1"
    assert session.get(console.url + "/api/staff/me", timeout=30).status_code == 401
    replayed = requests.get(console.url + "/api/staff/me", cookies={"staff_session": old_cookie}, timeout=30)
    assert replayed.status_code == 401
    assert "You are signed out." in session.get(console.url + "/login?signed_out=1", timeout=30).text


# ---------------------------------------------------------------- CSRF

def test_browser_json_calls_need_the_csrf_header(console):
    session = console.sign_in("ada")
    url = console.url + "/api/staff/users/cole"
    missing = session.patch(url, json={"role": "collector"}, timeout=30)
    assert missing.status_code == 403 and "CSRF" in missing.json()["error"]
    wrong = session.patch(url, json={"role": "collector"}, headers={"X-CSRF-Token": "forged"}, timeout=30)
    assert wrong.status_code == 403
    right = session.patch(url, json={"role": "collector"}, headers={"X-CSRF-Token": session.csrf}, timeout=30)
    assert right.status_code == 200 and right.json()["role"] == "collector"


def test_form_posts_need_the_csrf_field(console):
    session = console.sign_in("ada")
    form = {"username": "csrf-victim", "role": "admin", "password": "long enough password"}
    missing = session.post(console.url + "/admin/users", data=form, timeout=30)
    assert missing.status_code == 403 and "Form expired" in missing.text
    assert "csrf-victim" not in session.get(console.url + "/admin/users", timeout=30).text


# ---------------------------------------------------------------- API tokens

def test_bearer_token_works_without_csrf_and_stops_when_the_user_is_disabled(console):
    console.add_user("tina", "admin")
    token = console.token("tina")
    assert token.startswith("stf_")
    bearer = {"Authorization": f"Bearer {token}"}
    me = requests.get(console.url + "/api/staff/me", headers=bearer, timeout=30)
    assert me.status_code == 200 and me.json() == {"username": "tina", "role": "admin"}
    created = requests.post(console.url + "/api/staff/users", headers=bearer, timeout=30,
                            json={"username": "Made.By-Token", "role": "collector", "password": "a fine password"})
    assert created.status_code == 201 and created.json()["username"] == "made.by-token"
    wrong = requests.get(console.url + "/api/staff/me", headers={"Authorization": "Bearer stf_nope"}, timeout=30)
    assert wrong.status_code == 401 and "token" in wrong.json()["error"]
    admin = console.sign_in("ada")
    disabled = admin.patch(console.url + "/api/staff/users/tina", json={"disabled": True},
                           headers={"X-CSRF-Token": admin.csrf}, timeout=30)
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    assert requests.get(console.url + "/api/staff/me", headers=bearer, timeout=30).status_code == 401


def test_staff_token_command_refuses_unknown_users_and_revokes_tokens(console):
    done = console.command("staff_token", "--username", "nobody")
    assert done.returncode == 2 and "no staff user named nobody" in done.stderr and not done.stdout
    first, second = console.token("sam"), console.token("sam")
    for token in (first, second):
        assert requests.get(console.url + "/api/staff/me", headers={"Authorization": f"Bearer {token}"},
                            timeout=30).status_code == 200
    revoked = console.command("staff_token", "--username", "sam", "--revoke")
    assert revoked.returncode == 0 and "Revoked 2 API tokens of sam." in revoked.stdout
    for token in (first, second):
        assert requests.get(console.url + "/api/staff/me", headers={"Authorization": f"Bearer {token}"},
                            timeout=30).status_code == 401


# ---------------------------------------------------------------- roles

def test_collector_gets_403_on_supervisor_routes_and_supervisor_on_admin_routes(console):
    collector, supervisor = console.sign_in("cole"), console.sign_in("sam")
    denied = collector.get(console.url + "/api/staff/users", timeout=30)
    assert denied.status_code == 403 and "collector" in denied.json()["error"]
    assert supervisor.get(console.url + "/api/staff/users", timeout=30).status_code == 200
    assert supervisor.get(console.url + "/api/staff/audit", timeout=30).status_code == 403
    change = supervisor.patch(console.url + "/api/staff/users/cole", json={"role": "admin"},
                              headers={"X-CSRF-Token": supervisor.csrf}, timeout=30)
    assert change.status_code == 403
    page = collector.get(console.url + "/admin/users", timeout=30)
    assert page.status_code == 403 and "Not allowed" in page.text
    assert collector.get(console.url + "/api/staff/me", timeout=30).json()["role"] == "collector"


def test_navigation_shows_only_what_the_role_may_open(console):
    collector_nav = console.sign_in("cole").get(console.url + "/", timeout=30).text
    admin_nav = console.sign_in("ada").get(console.url + "/", timeout=30).text
    assert 'href="/practice"' in collector_nav and 'href="/admin/users"' not in collector_nav
    assert 'href="/review"' not in collector_nav
    for link in ("/practice", "/review", "/review/dashboard", "/admin/users", "/admin/audit"):
        assert f'href="{link}"' in admin_nav


# ---------------------------------------------------------------- slowed, then locked

def test_wrong_passwords_are_slowed_then_locked_and_an_admin_reset_unlocks(console):
    console.add_user("lockme", "collector")
    session = requests.Session()
    first = console.try_sign_in(session, "lockme", "wrong password 1")
    assert first.status_code == 401 and error_text(first) == "Wrong username or password."
    second = console.try_sign_in(session, "lockme", "wrong password 2")
    assert second.status_code == 401 and "wait 1 second" in error_text(second)
    # Slowed: even the right password is refused until the wait is over.
    early = console.try_sign_in(session, "lockme", PASSWORD)
    assert early.status_code == 429 and "wait" in error_text(early)
    assert "staff_session" not in session.cookies
    time.sleep(int(early.headers["Retry-After"]))
    third = console.try_sign_in(session, "lockme", "wrong password 3")
    assert third.status_code == 401 and "wait 2 seconds" in error_text(third)
    time.sleep(2)
    fourth = console.try_sign_in(session, "lockme", "wrong password 4")
    assert fourth.status_code == 401 and "locked until" in error_text(fourth)
    time.sleep(1)
    locked = console.try_sign_in(session, "lockme", PASSWORD)
    assert locked.status_code == 429 and "locked until" in error_text(locked)
    assert int(locked.headers["Retry-After"]) > 60
    lock = audit_rows(console, "staff.sign_in_locked")[-1]
    assert lock.target == "lockme" and '"by": "username"' in lock.detail and lock.username is None
    # Other users are not affected.
    assert console.try_sign_in(requests.Session(), "cole").status_code == 303
    admin = console.sign_in("ada")
    reset = admin.patch(console.url + "/api/staff/users/lockme", json={"password": "a brand new password"},
                        headers={"X-CSRF-Token": admin.csrf}, timeout=30)
    assert reset.status_code == 200
    assert console.try_sign_in(requests.Session(), "lockme", "a brand new password").status_code == 303


def test_failures_from_one_address_lock_that_address(tmp_path):
    console = StaffConsole(tmp_path, f"sqlite:///{tmp_path / 'staff.db'}").start({
        "STAFF_LOGIN_ADDRESS_SLOW_AFTER": "2", "STAFF_LOGIN_ADDRESS_LOCK_AFTER": "3",
        "STAFF_LOGIN_DELAY_SECONDS": "1"})
    try:
        console.add_user("rita", "collector")
        session = requests.Session()
        for name in ("guess-a", "guess-b"):
            assert console.try_sign_in(session, name, "some password").status_code == 401
        time.sleep(1)
        assert console.try_sign_in(session, "guess-c", "some password").status_code == 401
        blocked = console.try_sign_in(session, "rita")
        assert blocked.status_code == 429 and "your network address" in error_text(blocked)
    finally:
        console.stop()


def test_bad_throttle_settings_stop_the_console_with_a_clear_message(tmp_path):
    console = StaffConsole(tmp_path, f"sqlite:///{tmp_path / 'staff.db'}")
    with pytest.raises(RuntimeError, match="STAFF_LOGIN_LOCK_AFTER='many' is not a whole number"):
        console.start({"STAFF_LOGIN_LOCK_AFTER": "many"})


# ---------------------------------------------------------------- user management

def test_admin_manages_users_on_the_users_page(console):
    admin = console.sign_in("ada")
    page = console.url + "/admin/users"
    short = admin.post(page, data={"csrf_token": admin.csrf, "username": "nina", "role": "collector",
                                   "password": "short"}, timeout=30)
    assert short.status_code == 400 and "at least 10 characters" in error_text(short)
    created = admin.post(page, data={"csrf_token": admin.csrf, "username": "nina", "role": "collector",
                                     "password": "nina's first password"}, timeout=30)
    assert created.status_code == 200 and "Created nina." in created.text
    nina = console.sign_in("nina", "nina's first password")
    promoted = admin.post(page + "/nina", data={"csrf_token": admin.csrf, "change": "role", "role": "supervisor"},
                          timeout=30)
    assert promoted.status_code == 200 and "Changed the role of nina." in promoted.text
    assert nina.get(console.url + "/api/staff/users", timeout=30).status_code == 200
    admin.post(page + "/nina", data={"csrf_token": admin.csrf, "change": "disable"}, timeout=30)
    assert nina.get(console.url + "/api/staff/me", timeout=30).status_code == 401
    refused = console.try_sign_in(requests.Session(), "nina", "nina's first password")
    assert refused.status_code == 401 and "disabled" in error_text(refused)
    admin.post(page + "/nina", data={"csrf_token": admin.csrf, "change": "enable"}, timeout=30)
    reset = admin.post(page + "/nina", data={"csrf_token": admin.csrf, "change": "password",
                                             "password": "nina's second password"}, timeout=30)
    assert reset.status_code == 200 and "Reset the password of nina" in reset.text
    assert console.try_sign_in(requests.Session(), "nina", "nina's first password").status_code == 401
    assert console.try_sign_in(requests.Session(), "nina", "nina's second password").status_code == 303
    users = {u["username"]: u for u in admin.get(console.url + "/api/staff/users", timeout=30).json()["users"]}
    assert users["nina"]["role"] == "supervisor" and users["nina"]["disabled"] is False


def test_the_last_admin_cannot_be_demoted_or_disable_themselves(tmp_path):
    console = StaffConsole(tmp_path, f"sqlite:///{tmp_path / 'staff.db'}").start()
    try:
        console.add_user("only", "admin")
        admin = console.sign_in("only")
        headers = {"X-CSRF-Token": admin.csrf}
        demote = admin.patch(console.url + "/api/staff/users/only", json={"role": "collector"}, headers=headers,
                             timeout=30)
        assert demote.status_code == 400 and "only enabled admin" in demote.json()["error"]
        disable = admin.patch(console.url + "/api/staff/users/only", json={"disabled": True}, headers=headers,
                              timeout=30)
        assert disable.status_code == 400 and "cannot disable yourself" in disable.json()["error"]
        done = console.command("staff_user", "--username", "only", "--role", "supervisor", password=PASSWORD)
        assert done.returncode == 2 and "only enabled admin" in done.stderr
    finally:
        console.stop()


def test_bad_user_api_input_gets_clear_4xx(console):
    admin = console.sign_in("ada")
    headers = {"X-CSRF-Token": admin.csrf}
    users = console.url + "/api/staff/users"
    cases = [
        (admin.post(users, data="not json", headers={**headers, "Content-Type": "application/json"}), 400, "JSON"),
        (admin.post(users, json=["a"], headers=headers), 400, "JSON object"),
        (admin.post(users, json={"username": "x y", "role": "collector", "password": "long password"},
                    headers=headers), 400, "username"),
        (admin.post(users, json={"username": "newbie", "role": "boss", "password": "long password"},
                    headers=headers), 400, "role"),
        (admin.post(users, json={"username": "sam", "role": "collector", "password": "long password"},
                    headers=headers), 409, "already exists"),
        (admin.patch(users + "/nobody", json={"role": "collector"}, headers=headers), 404, "no staff user"),
        (admin.patch(users + "/cole", json={"colour": "red"}, headers=headers), 400, "unknown: colour"),
        (admin.patch(users + "/cole", json={"disabled": "yes"}, headers=headers), 400, "true or false"),
        (admin.get(console.url + "/api/staff/audit?page=-1"), 400, "page"),
        (admin.post(users, data="x" * (2 * 1024 ** 2), headers={**headers, "Content-Type": "application/json"}),
         413, "too large"),
    ]
    for answer, status, words in cases:
        assert answer.status_code == status, (answer.request.method, answer.request.url, answer.text)
        assert words in answer.json()["error"], answer.json()


def test_staff_user_command_gives_clear_errors(console):
    bad_role = console.command("staff_user", "--username", "zed", "--role", "boss", password=PASSWORD)
    assert bad_role.returncode == 2 and "ROLE must be one of collector, supervisor, admin" in bad_role.stderr
    no_password = console.command("staff_user", "--username", "zed", "--role", "collector")
    assert no_password.returncode == 2 and "set STAFF_PASSWORD" in no_password.stderr
    short = console.command("staff_user", "--username", "zed", "--role", "collector", password="short")
    assert short.returncode == 2 and "at least 10 characters" in short.stderr
    bad_name = console.command("staff_user", "--username", "no spaces", "--role", "collector", password=PASSWORD)
    assert bad_name.returncode == 2 and "username" in bad_name.stderr
    assert console.try_sign_in(requests.Session(), "zed").status_code == 401
    updated = console.command("staff_user", "--username", "cole", "--role", "collector", password=PASSWORD)
    assert updated.returncode == 0 and "Updated staff user cole (collector)" in updated.stdout


# ---------------------------------------------------------------- audit log

def test_staff_actions_are_written_to_the_audit_log(console):
    admin = console.sign_in("ada")
    admin.patch(console.url + "/api/staff/users/sam", json={"role": "supervisor"},
                headers={"X-CSRF-Token": admin.csrf}, timeout=30)
    changes = [row for row in audit_rows(console, "staff_user.role") if row.target == "sam"]
    assert changes, "the role change was not audited"
    latest = changes[-1]
    assert latest.username == "ada" and latest.user_id is not None and latest.at is not None
    assert latest.detail == '{"role": "supervisor"}' and latest.client_address == "127.0.0.1"
    sign_ins = audit_rows(console, "staff.sign_in")
    assert any(row.username == "ada" for row in sign_ins)
    created = audit_rows(console, "staff_user.create")
    assert {"ada", "sam", "cole"} <= {row.target for row in created}
    listed = admin.get(console.url + "/api/staff/audit", params={"action": "staff_user.role"}, timeout=30).json()
    assert listed["total"] >= 1 and listed["items"][0]["username"] == "ada"
    page = admin.get(console.url + "/admin/audit", params={"action": "staff_user.role"}, timeout=30)
    assert page.status_code == 200 and "staff_user.role" in page.text


# ---------------------------------------------------------------- start-up and separation from the debtor page

def test_outside_development_the_console_refuses_the_public_default_secret(tmp_path):
    console = StaffConsole(tmp_path, f"sqlite:///{tmp_path / 'staff.db'}")
    with pytest.raises(RuntimeError, match="STAFF_SECRET_KEY is unset or the public development default"):
        console.start({"STAFF_SECRET_KEY": "", "COLLECTIONS_ENV": "production"})


def test_the_debtor_page_exposes_no_staff_route(tmp_path):
    port = free_port()
    log = tmp_path / "debtor-page.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "web.server", "--host", "127.0.0.1", "--port", str(port),
         "--rasa-url", f"http://127.0.0.1:{free_port()}"], cwd=ROOT, stdout=open(log, "w"), stderr=subprocess.STDOUT,
        env={**os.environ, "ACCOUNTS_DB_URL": f"sqlite:///{tmp_path / 'accounts.db'}"}, start_new_session=True)
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz", process, log, timeout=60)
        for path in ("/login", "/logout", "/admin/users", "/api/staff/me", "/api/staff/users", "/practice",
                     "/review", "/api/conversations", "/static/vendor/chart.js/chart.umd.js"):
            answer = requests.get(f"http://127.0.0.1:{port}{path}", allow_redirects=False, timeout=30)
            assert answer.status_code == 404, (path, answer.status_code)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
