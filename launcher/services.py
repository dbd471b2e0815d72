"""PostgreSQL and Redis for the scaled layout, on this machine: Debian's packages (installed with apt-get when
missing, like Chromium for the browser tests), run on loopback with their data in a git-ignored folder
(var/services/ for `make run-scaled`). PostgreSQL refuses to run as root, so under root it runs as Debian's
``postgres`` system user; Redis and HAProxy run as the current user.

    python -m launcher.services --install     install what is missing, and nothing else
"""
from __future__ import annotations

import argparse
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from launcher import processes

# Debian package -> the program it provides
PACKAGES = {"postgresql": "postgres", "redis-server": "redis-server", "haproxy": "haproxy"}
SERVICES_DIR = processes.ROOT / "var" / "services"


def program(name: str) -> Optional[str]:
    """The path of ``name``: PostgreSQL's server programs live under /usr/lib/postgresql/<version>/bin."""
    versions = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                      key=lambda path: int(Path(path).parts[-3]) if Path(path).parts[-3].isdigit() else 0)
    return versions[-1] if versions else shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")


def missing_packages() -> List[str]:
    return [package for package, binary in PACKAGES.items() if program(binary) is None]


def install_missing() -> None:
    """apt-get install of the Debian packages whose programs are missing; says what to run when not root."""
    missing = missing_packages()
    if not missing:
        return
    command = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing]
    if os.geteuid() != 0:
        raise SystemExit(f"The scaled layout needs {', '.join(missing)}: sudo apt-get update && sudo "
                         f"{' '.join(command)}")
    print(f"Installing Debian's {', '.join(missing)} for the scaled layout...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)


def listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def wait_listening(host: str, port: int, process: subprocess.Popen, log: Path, what: str,
                   timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}:\n{processes.tail(log)}")
        if listening(host, port):
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not listen on {host}:{port} in {timeout:.0f} s:\n{processes.tail(log)}")


def _as_postgres_user(args: List[str]) -> List[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@dataclass
class PostgresServer:
    """A PostgreSQL cluster in ``folder`` on ``host:port`` with one login role owning ``databases``."""
    folder: Path
    port: int
    user: str = "collections"
    password: str = "secret"
    databases: tuple = ("collections", "rasa_tracker")
    host: str = "127.0.0.1"

    def _prepare(self) -> None:
        if (self.folder / "PG_VERSION").exists():
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
            self.folder.parent.chmod(self.folder.parent.stat().st_mode | 0o005)  # the postgres user passes through
        self.folder.chmod(0o700)
        # the superuser only over the Unix socket in the data folder; everyone else by password over TCP
        done = subprocess.run(_as_postgres_user([program("initdb"), "-D", str(self.folder), "-U", "postgres",
                                                 "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8"]),
                              capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"initdb of {self.folder} failed:\n{done.stderr}")

    def command(self) -> List[str]:
        return _as_postgres_user([program("postgres"), "-D", str(self.folder), "-h", self.host,
                                  "-p", str(self.port), "-k", str(self.folder), "-c", "max_connections=200",
                                  "-c", "fsync=on", "-c", "logging_collector=off"])

    def _psql(self, sql: str, database: str = "postgres") -> str:
        done = subprocess.run([program("psql"), "-h", str(self.folder), "-p", str(self.port), "-U", "postgres",
                               "-d", database, "-v", "ON_ERROR_STOP=1", "-tAc", sql],
                              check=True, capture_output=True, text=True)
        return done.stdout.strip()

    def _provision(self) -> None:
        quoted = self.password.replace("'", "''")
        if not self._psql(f"SELECT 1 FROM pg_roles WHERE rolname = '{self.user}'"):
            self._psql(f"CREATE ROLE \"{self.user}\" LOGIN PASSWORD '{quoted}'")
        for database in self.databases:
            if not self._psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}'"):
                self._psql(f"CREATE DATABASE \"{database}\" OWNER \"{self.user}\"")

    def url(self, database: str = "collections") -> str:
        return f"postgresql+psycopg2://{self.user}:{self.password}@{self.host}:{self.port}/{database}"

    def environment(self) -> Dict[str, str]:
        """ACCOUNTS_DB_URL and TRACKER_DB_* for this server (README's PostgreSQL section)."""
        return {"ACCOUNTS_DB_URL": self.url(self.databases[0]), "TRACKER_DB_HOST": self.host,
                "TRACKER_DB_PORT": str(self.port), "TRACKER_DB_NAME": self.databases[1],
                "TRACKER_DB_USER": self.user, "TRACKER_DB_PASSWORD": self.password}


@dataclass
class RedisServer:
    """Redis for the lock store only: no persistence needed (a lock outlives no restart)."""
    folder: Path
    port: int
    host: str = "127.0.0.1"

    def _prepare(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)

    def command(self) -> List[str]:
        return [program("redis-server"), "--bind", self.host, "--port", str(self.port), "--dir", str(self.folder),
                "--save", "", "--appendonly", "no", "--protected-mode", "yes", "--daemonize", "no"]

    def environment(self) -> Dict[str, str]:
        return {"REDIS_HOST": self.host, "REDIS_PORT": str(self.port), "REDIS_DB": "0", "REDIS_PASSWORD": ""}


@dataclass
class LocalServices:
    """Starts the given servers (each its own process group, logs beside their data), stops them together."""
    servers: list
    log_dir: Path
    running: List[subprocess.Popen] = field(default_factory=list)

    def start(self, die_with_parent: bool = False) -> Dict[str, str]:
        """Starts every server, waits until each listens, and returns the variables that point at them."""
        install_missing()
        env: Dict[str, str] = {}
        try:
            for server in self.servers:
                server._prepare()
                what = type(server).__name__.replace("Server", "")
                log = self.log_dir / f"{what.lower()}.log"
                process = processes.spawn(server.command(), dict(os.environ), log, die_with_parent=die_with_parent)
                self.running.append(process)
                wait_listening(server.host, server.port, process, log, what)
                if isinstance(server, PostgresServer):
                    self._provision_when_ready(server, process, log)
                env.update(server.environment())
        except BaseException:
            self.stop()
            raise
        return env

    @staticmethod
    def _provision_when_ready(server: PostgresServer, process: subprocess.Popen, log: Path) -> None:
        deadline = time.monotonic() + 60
        while True:
            try:
                server._provision()
                return
            except subprocess.CalledProcessError as failure:  # still starting up ("the database system is starting")
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"PostgreSQL could not be set up: {failure.stderr}\n{processes.tail(log)}")
                time.sleep(0.5)

    def stop(self) -> None:
        for process in self.running:  # PostgreSQL's fast shutdown; SIGTERM would wait for every client
            if process.poll() is None:
                processes.kill_group(process, signal.SIGINT)
        processes.stop(list(reversed(self.running)), grace=15)
        self.running.clear()


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--install", action="store_true", help="install the missing Debian packages")
    args = parser.parse_args(argv)
    if args.install:
        install_missing()
    missing = missing_packages()
    print("PostgreSQL, Redis and HAProxy are installed." if not missing else f"Missing: {', '.join(missing)}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
