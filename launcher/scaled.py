"""The scaled layout, `make run-scaled`: several Rasa processes behind HAProxy, sharing PostgreSQL and Redis.

    python -m launcher.scaled

RASA_REPLICAS (default 2) Rasa processes listen on RASA_REPLICA_BASE_PORT+1, +2, ... (default 5101, 5102, ...);
HAProxy takes RASA_PORT (default 5005) and spreads requests over the replicas that answer its health check, so
the debtor page, the staff console and any client see one Rasa server. Conversations live in PostgreSQL (the
tracker store), and a Redis lock store (endpoints.scaled.yml) makes the replicas take turns on a conversation.
The action server runs ACTION_SERVER_SANIC_WORKERS (default 2) workers. The practice server, debtor page and staff
console start as in `make run`, with the same variables.

PostgreSQL and Redis: with TRACKER_DB_HOST unset, a local PostgreSQL (TRACKER_DB_PORT, default 5432) with its data in
var/services/postgres holds the tracker store and, unless ACCOUNTS_DB_URL is set, the accounts (the 20 demo accounts
are loaded into it); with REDIS_HOST unset, a local Redis (REDIS_PORT, default 6379). Set those variables to use
servers on other hosts, and the launcher starts none of its own.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import requests

from launcher import processes
from launcher.__main__ import banner, child_environment, preflight
from launcher.components import COMPONENTS, Command, Component, Context, component, connect_host
from launcher.environment import bind_host
from launcher.processes import ROOT, free_port, wait_for
from launcher.services import SERVICES_DIR, LocalServices, PostgresServer, RedisServer, program
from launcher.supervisor import StartupFailed, Stopping, Supervisor, ignore_signals, stop_on_signals

SCALED_ENDPOINTS = "endpoints.scaled.yml"
DEFAULT_REPLICAS = 2
MAX_REPLICAS = 16
DEFAULT_REPLICA_BASE_PORT = 5100
DEFAULT_ACTION_WORKERS = 2
MODEL = "models/current.tar.gz"
# What the Rasa processes' endpoints file needs beyond `make run`'s variables (the launcher fills them for its own
# local servers); docker-compose.yml sets the same ones.
SCALED_VARIABLES = ("TRACKER_DB_HOST", "TRACKER_DB_PORT", "TRACKER_DB_NAME", "TRACKER_DB_USER", "TRACKER_DB_PASSWORD",
                    "REDIS_HOST", "REDIS_PORT", "REDIS_DB", "REDIS_PASSWORD")


def replica_count(environ=os.environ) -> int:
    value = (environ.get("RASA_REPLICAS") or str(DEFAULT_REPLICAS)).strip()
    if not value.isdigit() or not 1 <= int(value) <= MAX_REPLICAS:
        raise SystemExit(f"RASA_REPLICAS={value!r} must be a whole number from 1 to {MAX_REPLICAS}.")
    return int(value)


def replica_name(index: int) -> str:
    return f"rasa-{index}"


def haproxy_config(bind: str, port: int, servers: Sequence[Tuple[str, str]],
                   template: Optional[Tuple[str, int, str]] = None) -> str:
    """HAProxy in front of the Rasa replicas: least connections, a health check on Rasa's ``/`` every 2 s, a
    replica out after 3 failed checks and back after 2 good ones, and a request that could not connect retried on
    another replica. Each replica gets PER_REPLICA_CONNECTIONS requests at a time, the others queue in HAProxy for
    up to 120 s. A check may take 10 s: a busy replica answers late and must not be taken out for it, while a dead
    one refuses the connection at once. ``servers`` are
    (name, "host:port"); ``template`` (prefix, count, "dns-name:port") instead
    finds the replicas through Docker's DNS (docker-compose.yml)."""
    lines = [
        "# Written by launcher/scaled.py (haproxy_config); the Rasa replicas behind one address.",
        "global",
        "    maxconn 2048",
        "    log stdout format raw local0",
        "defaults",
        "    mode http",
        "    log global",
        "    option httplog",
        "    option dontlog-normal",
        "    timeout connect 3s",
        "    timeout client 120s",
        "    timeout server 120s",
        "    timeout check 10s",
        "    timeout queue 120s",
        "    retries 3",
        "    option redispatch 1",
    ]
    if template:
        lines += ["resolvers docker", "    nameserver dns 127.0.0.11:53", "    hold valid 5s"]
    lines += [
        "frontend rasa",
        f"    bind {bind}:{port}",
        "    default_backend rasa_replicas",
        "backend rasa_replicas",
        "    balance leastconn",
        "    option httpchk GET /",
        "    http-check expect status 200",
        f"    default-server inter 2s fastinter 500ms fall 3 rise 2 maxconn {PER_REPLICA_CONNECTIONS}",
        # a refused connection takes the replica out at once (least connections would keep picking the dead one)
        "    default-server observe layer4 error-limit 1 on-error mark-down",
    ]
    if template:
        prefix, count, address = template
        lines.append(f"    server-template {prefix} {count} {address} check resolvers docker init-addr none")
    lines += [f"    server {name} {address} check" for name, address in servers]
    return "\n".join(lines) + "\n"


COMPOSE_HAPROXY = ROOT / "docker" / "haproxy.cfg"
# Requests one replica handles at once; the rest wait in HAProxy's queue. Rasa runs the dialogue on its event loop,
# so a replica handed dozens at once answers even its health check late and would be taken out while working.
PER_REPLICA_CONNECTIONS = 4


def compose_haproxy_config() -> str:
    """docker/haproxy.cfg: the same balancer for docker-compose.yml, finding up to MAX_REPLICAS `rasa` replicas
    through Docker's DNS (tests/test_scaled_compose.py checks the file is this)."""
    return haproxy_config("0.0.0.0", 5005, [], template=("rasa", MAX_REPLICAS, "rasa:5005"))


def load_balancer(config_dir: Path, replicas: int) -> Command:
    """HAProxy in the foreground, its configuration written from the replicas' ports each time it starts."""
    def command(ctx: Context, port: int) -> List[str]:
        servers = [(replica_name(i), f"{connect_host(ctx.host)}:{ctx.ports[replica_name(i)]}")
                   for i in range(1, replicas + 1)]
        config_dir.mkdir(parents=True, exist_ok=True)
        config = config_dir / f"haproxy-{port}.cfg"
        config.write_text(haproxy_config(ctx.host, port, servers))
        return [program("haproxy") or "haproxy", "-db", "-f", str(config)]
    return command


def layout(replicas: int, config_dir: Path) -> List[Component]:
    """`make run`'s components with the one Rasa server replaced by ``replicas`` processes behind HAProxy on
    RASA_PORT (named "rasa", so the debtor page and staff console reach Rasa through it)."""
    rasa = component("rasa")
    scaled: List[Component] = [component("actions")]
    scaled += [Component(replica_name(i), f"Rasa replica {i}", "RASA_REPLICA_BASE_PORT", DEFAULT_REPLICA_BASE_PORT + i,
                         rasa.command, "/", secrets=rasa.secrets, files=rasa.files, start_timeout=rasa.start_timeout,
                         banner="{url}/   behind the load balancer")
               for i in range(1, replicas + 1)]
    scaled.append(Component("rasa", "load balancer", "RASA_PORT", rasa.default_port,
                            load_balancer(config_dir, replicas), "/", secrets=rasa.secrets,
                            start_timeout=rasa.start_timeout,
                            banner=f"{{url}}/   HAProxy over {replicas} Rasa processes; REST channel "
                                   "POST /webhooks/rest/webhook"))
    scaled += [c for c in COMPONENTS if c.name not in ("actions", "rasa")]
    return scaled


def layout_ports(components: Sequence[Component], environ=os.environ) -> Dict[str, int]:
    """Each component's port: replicas count up from RASA_REPLICA_BASE_PORT, the others as in `make run`."""
    base = environ.get("RASA_REPLICA_BASE_PORT") or str(DEFAULT_REPLICA_BASE_PORT)
    if not base.isdigit() or not 0 < int(base) < 65536 - MAX_REPLICAS:
        raise SystemExit(f"RASA_REPLICA_BASE_PORT={base!r} is not a port number.")
    return {c.name: int(base) + int(c.name.split("-")[1]) if c.name.startswith("rasa-") else c.port()
            for c in components}


def local_services(environ=os.environ, folder: Path = SERVICES_DIR) -> List[object]:
    """The servers to start here: PostgreSQL unless TRACKER_DB_HOST names one, Redis unless REDIS_HOST does."""
    servers: List[object] = []
    if not environ.get("TRACKER_DB_HOST"):
        servers.append(PostgresServer(folder / "postgres", int(environ.get("TRACKER_DB_PORT") or 5432)))
    if not environ.get("REDIS_HOST"):
        servers.append(RedisServer(folder / "redis", int(environ.get("REDIS_PORT") or 6379)))
    return servers


def load_demo_ledger(env: Dict[str, str], database_url: str, log: Path) -> None:
    """The 20 demo accounts into the launcher's own PostgreSQL (idempotent), as `make run` does for SQLite."""
    done = subprocess.run([sys.executable, "-m", "demo.demo_ledger", str(log.parent / "demo-ledger.csv")],
                          cwd=ROOT, env={**env, "DEMO_DB_URL": database_url}, capture_output=True, text=True)
    log.write_text(done.stdout + done.stderr)
    if done.returncode:
        raise RuntimeError(f"Loading the demo ledger failed:\n{done.stdout}{done.stderr}")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m launcher.scaled", description=__doc__.split("\n\n")[0])
    parser.add_argument("--log-dir", type=Path, default=Path("var/logs"))
    args = parser.parse_args(argv)

    host = bind_host()
    os.environ.setdefault("ENDPOINTS", SCALED_ENDPOINTS)
    os.environ.setdefault("ACTION_SERVER_SANIC_WORKERS", str(DEFAULT_ACTION_WORKERS))
    endpoints = Path(os.environ["ENDPOINTS"]).resolve()
    components = layout(replica_count(), SERVICES_DIR)
    ports = layout_ports(components)
    servers = local_services()
    secrets = sorted({name for c in components for name in c.secrets})
    values, problems = preflight(components, {}, secrets, host, endpoints)
    if os.environ.get("TRACKER_DB_HOST") and not os.environ.get("ACCOUNTS_DB_URL"):
        problems.append("TRACKER_DB_HOST names a PostgreSQL server: set ACCOUNTS_DB_URL too (see README).")
    wanted = [(c.port_variable, c.title, ports[c.name], host) for c in components]
    wanted += [("TRACKER_DB_PORT" if isinstance(s, PostgresServer) else "REDIS_PORT",
                f"local {type(s).__name__.replace('Server', '')}", s.port, s.host) for s in servers]
    problems += [f"port {port} ({variable}, the {title}) is already in use: is the assistant already running? "
                 f"Stop it there, or set {variable} to a free port."
                 for variable, title, port, where in wanted if processes.port_in_use(where, port)]
    if problems:
        print("Refusing to start:\n" + "\n".join(f"  - {problem}" for problem in problems), file=sys.stderr)
        return 1

    stop_on_signals()
    services = LocalServices(servers, args.log_dir)
    supervisor: Optional[Supervisor] = None
    try:
        print(f"Starting {', '.join(type(s).__name__.replace('Server', '') for s in servers) or 'no local servers'}"
              f" in {SERVICES_DIR}...", flush=True)
        service_env = services.start(die_with_parent=True)
        own_database = "ACCOUNTS_DB_URL" not in os.environ and "ACCOUNTS_DB_URL" in service_env
        for name, value in service_env.items():
            os.environ.setdefault(name, value)
        if own_database:
            load_demo_ledger(dict(os.environ), os.environ["ACCOUNTS_DB_URL"], args.log_dir / "demo-ledger.log")
        ctx = Context(ports, {}, endpoints, host)
        ctx.env = child_environment(values, host, ctx.url("actions") + "/webhook", endpoints)
        supervisor = Supervisor(ctx, components, args.log_dir)
        supervisor.start()
        lines = [banner(ctx, components, args.log_dir)]
        lines += [f"  Tracker store    postgresql://{os.environ['TRACKER_DB_HOST']}:{os.environ['TRACKER_DB_PORT']}/"
                  f"{os.environ['TRACKER_DB_NAME']}",
                  f"  Lock store       redis://{os.environ['REDIS_HOST']}:{os.environ['REDIS_PORT']}/"
                  f"{os.environ['REDIS_DB']}",
                  f"  Action workers   {os.environ['ACTION_SERVER_SANIC_WORKERS']}", ""]
        supervisor.say("\n".join(lines))
        supervisor.supervise()
    except StartupFailed as failure:
        print(str(failure), file=sys.stderr)
        return 1
    except RuntimeError as failure:
        print(f"The scaled layout could not start: {failure}", file=sys.stderr)
        return 1
    except Stopping:
        pass
    finally:
        ignore_signals()
        if supervisor is not None:
            supervisor.stop()
        services.stop()
    return 0


# ---------------------------------------------------------------- for the soak test and the benchmarks

TOKEN = "scaled-test-token"
ACTION_TOKEN = "scaled-test-action-token"


@dataclass
class ScaledStack:
    """The scaled layout on free loopback ports with its own PostgreSQL and Redis in ``workdir``, unsupervised, so
    a caller can kill and restart its processes: the action server, ``replicas`` Rasa processes and HAProxy."""
    workdir: Path
    replicas: int = DEFAULT_REPLICAS
    action_workers: int = DEFAULT_ACTION_WORKERS
    named: Dict[str, subprocess.Popen] = field(default_factory=dict)
    env: Dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.components = {c.name: c for c in layout(self.replicas, self.workdir)
                           if c.name == "actions" or c.name.startswith("rasa")}
        self.ctx = Context({name: free_port() for name in self.components}, {},
                           (ROOT / SCALED_ENDPOINTS).resolve(), host="127.0.0.1")
        self.services = LocalServices([PostgresServer(self.workdir / "postgres", free_port()),
                                       RedisServer(self.workdir / "redis", free_port())], self.workdir)

    @property
    def rasa_url(self) -> str:
        return self.ctx.url("rasa")

    @property
    def replica_names(self) -> List[str]:
        return [replica_name(i) for i in range(1, self.replicas + 1)]

    def url(self, name: str) -> str:
        return self.ctx.url(name)

    def process(self, name: str) -> subprocess.Popen:
        return self.named[name]

    def start(self) -> "ScaledStack":
        try:
            service_env = self.services.start()
            self.env = {**os.environ, **service_env, "RASA_TELEMETRY_ENABLED": "false",
                        "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "TF_CPP_MIN_LOG_LEVEL": "2", "BIND_HOST": "127.0.0.1",
                        "COLLECTIONS_ENV": "development", "RASA_AUTH_TOKEN": TOKEN, "ACTION_SERVER_TOKEN": ACTION_TOKEN,
                        "ACTION_SERVER_URL": f"{self.url('actions')}/webhook", "ENDPOINTS": str(self.ctx.endpoints),
                        "ACTION_SERVER_SANIC_WORKERS": str(self.action_workers)}
            self.env.pop("SANIC_WORKERS", None)
            self.ctx.env = self.env
            load_demo_ledger(self.env, service_env["ACCOUNTS_DB_URL"], self.workdir / "demo-ledger.log")
            for name in ["actions", *self.replica_names, "rasa"]:
                self.spawn(name)
            self.wait_ready(["actions", *self.replica_names, "rasa"])
            return self
        except BaseException:
            self.stop()
            raise

    def spawn(self, name: str) -> subprocess.Popen:
        entry = self.components[name]
        log = self.workdir / f"{name}.log"
        process = processes.spawn(entry.command(self.ctx, self.ctx.ports[name]), self.env, log, append=True)
        process.log = log  # type: ignore[attr-defined]
        self.named[name] = process
        return process

    def wait_ready(self, names: Sequence[str], timeout: float = 600) -> None:
        for name in names:
            process = self.named[name]
            if name.startswith("rasa"):
                wait_for(f"{self.url(name)}/status?token={TOKEN}", process, process.log, timeout=timeout)
                self._wait_model(name, process, timeout)
            else:
                wait_for(f"{self.url(name)}/health", process, process.log, timeout=timeout)

    def _wait_model(self, name: str, process: subprocess.Popen, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                status = requests.get(f"{self.url(name)}/status", params={"token": TOKEN}, timeout=5).json()
                if status.get("model_id") or status.get("model_file"):
                    return
            except (requests.RequestException, ValueError):
                pass
            time.sleep(1)
        raise RuntimeError(f"{name} did not load the model:\n{processes.tail(process.log)}")

    def kill(self, name: str) -> None:
        """SIGKILL to the whole process group of ``name``: a crash, not a clean stop."""
        process = self.named[name]
        processes.kill_group(process)
        process.wait()

    def restart(self, name: str) -> None:
        self.restart_all([name])

    def restart_all(self, names: Sequence[str]) -> None:
        """Stops ``names`` cleanly (SIGTERM), then starts them together and waits until each answers."""
        processes.stop([self.named[name] for name in names if self.named[name].poll() is None])
        for name in names:
            self.spawn(name)
        self.wait_ready(names)
        if "rasa" not in names:  # until HAProxy's checks have taken a replica back in
            wait_for(f"{self.rasa_url}/status?token={TOKEN}", self.named["rasa"], self.named["rasa"].log, timeout=60)

    def stop(self) -> None:
        processes.stop(list(reversed(list(self.named.values()))))
        self.named.clear()
        self.services.stop()


if __name__ == "__main__":
    sys.exit(main())
