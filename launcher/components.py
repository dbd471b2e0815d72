"""The servers `make run` starts, one entry each in COMPONENTS, in start order.

Adding a server is one entry: a name (its log is var/logs/<name>.log), the variable and default of its port, the
command that starts it, the path that answers once it is ready, the secrets it must not start without and the
files it needs. The launcher checks ports, secrets and files before starting anything, starts the entries in
order, waits for each to answer, restarts any that dies, and prints the banner lines.
"""
from __future__ import annotations

import ipaddress
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Tuple

from launcher.environment import bind_host, is_loopback

BIN = Path(sys.executable).parent
DEFAULT_ENDPOINTS = "endpoints.yml"


def connect_host(host: str) -> str:
    """The address clients on this machine use to reach a server bound to ``host``."""
    bare = host.strip("[]")
    try:
        address = ipaddress.ip_address(bare)
    except ValueError:
        return host
    if address.is_unspecified:
        return "127.0.0.1"
    return f"[{bare}]" if address.version == 6 else bare


@dataclass
class Context:
    """What a command needs: where servers listen, their ports by component name, the endpoints file, and the
    environment every server starts with (secrets included)."""
    ports: Dict[str, int]
    env: Dict[str, str]
    endpoints: Path
    host: str = field(default_factory=bind_host)
    python: str = str(BIN / "python")
    rasa: str = str(BIN / "rasa")

    def url(self, name: str) -> str:
        """The address the other servers use to reach component ``name``."""
        return f"http://{connect_host(self.host)}:{self.ports[name]}"

    def public_url(self, name: str) -> str:
        """The address printed for people: localhost on loopback or all interfaces, else the bind address."""
        shown = "localhost" if is_loopback(self.host) or connect_host(self.host) == "127.0.0.1" \
            else connect_host(self.host)
        return f"http://{shown}:{self.ports[name]}"

    def python_module(self, module: str, port: int, *args: str) -> List[str]:
        """``python -m module --host <bind host> --port <port> args...``: the shape of our own web servers."""
        return [self.python, "-m", module, "--host", self.host, "--port", str(port), *args]


Command = Callable[[Context, int], List[str]]


@dataclass(frozen=True)
class Component:
    name: str
    title: str  # in a sentence: "the <title> restarted"
    port_variable: str
    default_port: int
    command: Command
    ready_path: str
    secrets: Tuple[str, ...] = ()
    files: Tuple[str, ...] = ()
    banner: str = "{url}/"
    start_timeout: float = 120

    @property
    def heading(self) -> str:
        return self.title[0].upper() + self.title[1:]

    def port(self) -> int:
        value = os.environ.get(self.port_variable) or str(self.default_port)
        if not value.isdigit() or not 0 < int(value) < 65536:
            raise SystemExit(f"{self.port_variable}={value!r} is not a port number.")
        return int(value)


def rasa_server(model: str, credentials: str) -> Command:
    """``rasa run`` of ``model`` with the HTTP API behind RASA_AUTH_TOKEN and the shared endpoints file, started
    through launcher.rasa_server so the pinned patches of launcher/rasa_patches.py apply."""
    def command(ctx: Context, port: int) -> List[str]:
        return [ctx.python, "-m", "launcher.rasa_server", "run", "--model", model, "--credentials", credentials,
                "--endpoints", str(ctx.endpoints), "--interface", ctx.host, "--port", str(port),
                "--enable-api", "--auth-token", ctx.env["RASA_AUTH_TOKEN"]]
    return command


def action_server(ctx: Context, port: int) -> List[str]:
    return [ctx.python, "-m", "launcher.action_server", "--port", str(port)]


def debtor_page(ctx: Context, port: int) -> List[str]:
    return ctx.python_module("web.server", port, "--rasa-url", ctx.url("rasa"), "--action-url", ctx.url("actions"))


def staff_console(ctx: Context, port: int) -> List[str]:
    return ctx.python_module("web.staff", port)


RASA_SECRETS = ("RASA_AUTH_TOKEN", "ACTION_SERVER_TOKEN")

COMPONENTS: Tuple[Component, ...] = (
    Component("actions", "action server", "ACTION_PORT", 5055, action_server, "/health",
              secrets=("ACTION_SERVER_TOKEN",), banner="{url}/webhook   (only with ACTION_SERVER_TOKEN)"),
    Component("rasa", "Rasa server", "RASA_PORT", 5005, rasa_server("models/current.tar.gz", "credentials.yml"), "/",
              secrets=RASA_SECRETS, files=("models/current.tar.gz",), start_timeout=600,
              banner="{url}/   REST channel POST /webhooks/rest/webhook; HTTP API token RASA_AUTH_TOKEN"),
    Component("practice", "practice Rasa server", "PRACTICE_RASA_PORT", 5006,
              rasa_server("models/practice.tar.gz", "practice/credentials.yml"), "/",
              secrets=RASA_SECRETS, files=("models/practice.tar.gz",), start_timeout=300,
              banner="{url}/   the practice debtor, for the staff console only (token RASA_AUTH_TOKEN)"),
    Component("web", "debtor page", "WEB_PORT", 8080, debtor_page, "/healthz",
              secrets=("RASA_AUTH_TOKEN", "WEB_SECRET_KEY"),
              banner="{url}/   (try {url}/?account=AC-10023, born 12 April 1980)"),
    Component("staff", "staff console", "STAFF_PORT", 8081, staff_console, "/healthz",
              secrets=("STAFF_SECRET_KEY",), files=("web/staff/node_modules/chart.js/dist/chart.umd.js",),
              banner="{url}/   (staff users: make staff-user USERNAME=... ROLE=collector|supervisor|admin)"),
)


def component(name: str) -> Component:
    return next(c for c in COMPONENTS if c.name == name)
