"""What `make run` and `make shell` start, after set-up.

    python -m launcher            every component in launcher.components.COMPONENTS, supervised; Ctrl-C stops all
    python -m launcher --shell    the action server, and `rasa shell` in this terminal

Before anything starts it checks every port is free, every secret is allowed (launcher.environment.secret),
TRUSTED_PROXIES parses and every file a component needs exists, and refuses with all the reasons at once.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from launcher import processes
from launcher.components import COMPONENTS, DEFAULT_ENDPOINTS, RASA_SECRETS, Component, Context, component
from launcher.environment import UnsafeConfiguration, bind_host, is_loopback, secret
from launcher.supervisor import StartupFailed, Stopping, Supervisor, ignore_signals, stop_on_signals
from web.proxies import VARIABLE as PROXIES_VARIABLE, TrustedProxies

QUIET = {"RASA_TELEMETRY_ENABLED": "false", "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}


def preflight(components: Sequence[Component], ports: Dict[str, int], secrets: Sequence[str],
              host: str, endpoints: Path) -> Tuple[Dict[str, str], List[str]]:
    """The secrets to start with, and every reason not to start."""
    problems: List[str] = []
    values: Dict[str, str] = {}
    for name in secrets:
        try:
            values[name] = secret(name, host)
        except UnsafeConfiguration as refusal:
            problems.append(str(refusal.code).removeprefix("Refusing to start: "))
    try:
        TrustedProxies.parse(os.environ.get(PROXIES_VARIABLE, ""))
    except ValueError as malformed:
        problems.append(f"{malformed}.")
    if not endpoints.is_file():
        problems.append(f"the endpoints file {endpoints} does not exist (ENDPOINTS).")
    for entry in components:
        problems += [f"the {entry.title} needs {path}, which does not exist." for path in entry.files
                     if not (processes.ROOT / path).exists()]
    by_port = {c.name: c for c in COMPONENTS}
    for name, port in ports.items():
        if processes.port_in_use(host, port):
            problems.append(f"port {port} ({by_port[name].port_variable}, the {by_port[name].title}) is "
                            f"already in use: is the assistant already running? Stop it there (Ctrl-C), or set "
                            f"{by_port[name].port_variable} to a free port.")
    return values, list(dict.fromkeys(problems))


def child_environment(secrets: Dict[str, str], host: str, action_url: str, endpoints: Path) -> Dict[str, str]:
    return {**QUIET, **os.environ, **secrets, "BIND_HOST": host, "ENDPOINTS": str(endpoints),
            "ACTION_SERVER_URL": os.environ.get("ACTION_SERVER_URL") or action_url}


def banner(ctx: Context, components: Sequence[Component], log_dir: Path) -> str:
    from sqlalchemy.engine import make_url
    database = make_url(os.environ.get("ACCOUNTS_DB_URL") or "sqlite:///var/accounts.db")
    if is_loopback(ctx.host):
        listening = f"{ctx.host} only (loopback; BIND_HOST opts in to other machines)"
    else:
        listening = f"{ctx.host}: reachable from other machines (BIND_HOST)"
    lines = ["", "The payment-collection assistant is running:"]
    lines += [f"  {c.heading:<17}{c.banner.format(url=ctx.public_url(c.name))}" for c in components]
    lines += [f"  {'Accounts DB':<17}{database.render_as_string(hide_password=True)}",
              f"  {'Listening on':<17}{listening}",
              f"  {'Logs':<17}{log_dir}/",
              "Press Ctrl-C to stop everything.", ""]
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m launcher", description=__doc__.split("\n\n")[0])
    parser.add_argument("--shell", action="store_true", help="the action server and `rasa shell` in this terminal")
    parser.add_argument("--log-dir", type=Path, default=Path("var/logs"))
    args = parser.parse_args(argv)

    host = bind_host()
    endpoints = Path(os.environ.get("ENDPOINTS") or DEFAULT_ENDPOINTS).resolve()
    components = [component("actions")] if args.shell else list(COMPONENTS)
    ports = {c.name: c.port() for c in components}
    secrets = sorted({name for c in components for name in c.secrets})
    if args.shell:
        ports["rasa"] = component("rasa").port()
        secrets = sorted(set(secrets) | set(RASA_SECRETS))
    values, problems = preflight(components, ports, secrets, host, endpoints)
    if problems:
        print("Refusing to start:\n" + "\n".join(f"  - {problem}" for problem in problems), file=sys.stderr)
        return 1

    ctx = Context(ports, {}, endpoints, host)
    ctx.env = child_environment(values, host, ctx.url("actions") + "/webhook", endpoints)
    stop_on_signals()
    supervisor = Supervisor(ctx, components, args.log_dir)
    shell = None
    try:
        supervisor.start()
        if args.shell:
            shell = subprocess.Popen([ctx.rasa, "shell", "--model", "models/current.tar.gz", "--endpoints",
                                      str(endpoints), "--interface", host, "--port", str(ports["rasa"])],
                                     cwd=processes.ROOT, env=ctx.env)
            supervisor.supervise(until=lambda: shell.poll() is not None)
        else:
            supervisor.say(banner(ctx, components, args.log_dir))
            supervisor.supervise()
    except StartupFailed as failure:
        supervisor.say(str(failure))
        return 1
    except Stopping:
        pass
    finally:
        ignore_signals()
        supervisor.stop()
        if shell is not None and shell.poll() is None:
            shell.terminate()
            shell.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
