"""The real staff console (``python -m web.staff``) on a free port over a real database, for tests.

    console = StaffConsole(tmp_path, f"sqlite:///{tmp_path / 'staff.db'}").start()
    console.add_user("sam", "supervisor")                 # through commands.staff_user, as `make staff-user`
    session = console.sign_in("sam")                      # requests.Session with the cookie; .csrf = the token
    token = console.token("sam")                          # through commands.staff_token, as `make staff-token`
    console.stop()
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Optional

import requests

from tests.servers import free_port, wait_for

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"
SECRET_KEY = "test-staff-secret-key-0123456789"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]*)">')
LOGIN_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class StaffConsole:
    workdir: Path
    db_url: str
    port: int = field(default_factory=free_port)
    env: Dict[str, str] = field(default_factory=dict)
    process: Optional[subprocess.Popen] = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, extra_env: Optional[Dict[str, str]] = None) -> "StaffConsole":
        self.env = {**os.environ, "ACCOUNTS_DB_URL": self.db_url, "STAFF_SECRET_KEY": SECRET_KEY,
                    "SQLALCHEMY_SILENCE_UBER_WARNING": "1", **(extra_env or {})}
        self.env.pop("STAFF_PASSWORD", None)
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = self.workdir / f"staff-console-{self.port}.log"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "web.staff", "--host", "127.0.0.1", "--port", str(self.port)], cwd=ROOT,
            env=self.env, stdout=open(log, "w"), stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_for(f"{self.url}/healthz", self.process, log, timeout=60)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def command(self, module: str, *args: str, password: Optional[str] = None) -> subprocess.CompletedProcess:
        """Runs ``python -m commands.<module>`` against this console's database (no terminal: never prompts)."""
        env = {**self.env}
        if password is not None:
            env["STAFF_PASSWORD"] = password
        return subprocess.run([sys.executable, "-m", f"commands.{module}", *args], cwd=ROOT, env=env,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)

    def add_user(self, username: str, role: str, password: str = PASSWORD) -> None:
        done = self.command("staff_user", "--username", username, "--role", role, password=password)
        assert done.returncode == 0, done.stderr

    def token(self, username: str) -> str:
        done = self.command("staff_token", "--username", username)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def login_form(self, session: requests.Session, next_path: str = "") -> str:
        """Loads the sign-in form; returns its CSRF token."""
        page = session.get(f"{self.url}/login", params={"next": next_path} if next_path else None, timeout=30)
        page.raise_for_status()
        return LOGIN_TOKEN.search(page.text).group(1)

    def try_sign_in(self, session: requests.Session, username: str, password: str = PASSWORD,
                    next_path: str = "/") -> requests.Response:
        token = self.login_form(session)
        return session.post(f"{self.url}/login", data={"username": username, "password": password,
                                                       "csrf_token": token, "next": next_path},
                            allow_redirects=False, timeout=30)

    def sign_in(self, username: str, password: str = PASSWORD) -> requests.Session:
        """A signed-in browser-like session; ``session.csrf`` holds the page's CSRF token."""
        session = requests.Session()
        answer = self.try_sign_in(session, username, password)
        assert answer.status_code == 303, answer.text
        home = session.get(f"{self.url}/", timeout=30)
        home.raise_for_status()
        session.csrf = CSRF_META.search(home.text).group(1)  # type: ignore[attr-defined]
        return session
