"""A second debtor page (web.server) in front of the running stack, with its own settings (e.g. rate limit)."""
from __future__ import annotations

import contextlib
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterator

from launcher.environment import DEFAULT_SECRETS
from tests.servers import free_port, wait_for
from web.conversation import COOKIE, sender_for

ROOT = Path(__file__).resolve().parent.parent


def web_secret_key(stack) -> str:
    """The key the stack's page derives sender ids with (the development default unless the env sets one)."""
    return stack.env.get("WEB_SECRET_KEY") or DEFAULT_SECRETS["WEB_SECRET_KEY"]


def sender_of(stack, cookie_value: str) -> str:
    return sender_for(cookie_value, web_secret_key(stack))


def cookie_value(context) -> str:
    """The conversation cookie of a Playwright browser context ("" if none)."""
    return next((c["value"] for c in context.cookies() if c["name"] == COOKIE), "")


@contextlib.contextmanager
def page_server(stack, tmp_path: Path, env: Dict[str, str], action_url: str = "") -> Iterator[str]:
    port = free_port()
    log = tmp_path / f"web-{port}.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "web.server", "--port", str(port), "--rasa-url", stack.rasa_url,
         "--action-url", action_url or stack.action_url],
        cwd=ROOT, env={**stack.env, **env}, stdout=open(log, "w"), stderr=subprocess.STDOUT,
        start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(f"{url}/healthz", process, log)
        yield url
    finally:
        stack.stop_process(process)
