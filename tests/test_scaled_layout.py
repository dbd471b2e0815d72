"""The scaled layout's configuration (launcher/scaled.py, endpoints.scaled.yml): quick checks with real Rasa and
HAProxy parsing the files; `make soak` runs the layout itself under load and faults."""
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from launcher import processes
from launcher.components import COMPONENTS, Context, component
from launcher.scaled import (
    DEFAULT_REPLICA_BASE_PORT, SCALED_ENDPOINTS, SCALED_VARIABLES, haproxy_config, layout, layout_ports,
    local_services, replica_count,
)
from launcher.services import PostgresServer, RedisServer

ROOT = processes.ROOT


def endpoints(name):
    return yaml.safe_load((ROOT / name).read_text())


def test_the_layout_is_make_runs_with_rasa_replaced_by_replicas_behind_the_balancer(tmp_path):
    parts = layout(3, tmp_path)
    assert [c.name for c in parts] == ["actions", "rasa-1", "rasa-2", "rasa-3", "rasa", "practice", "web", "staff"]
    balancer = next(c for c in parts if c.name == "rasa")
    assert balancer.port_variable == "RASA_PORT" and balancer.default_port == component("rasa").default_port
    assert {c.name for c in COMPONENTS} <= {c.name for c in parts}
    ctx = Context({c.name: 6000 + i for i, c in enumerate(parts)}, {"RASA_AUTH_TOKEN": "t" * 20},
                  ROOT / SCALED_ENDPOINTS, host="127.0.0.1")
    for replica in parts[1:4]:
        assert replica.command(ctx, 7000) == component("rasa").command(ctx, 7000)
    command = balancer.command(ctx, ctx.ports["rasa"])
    config = (tmp_path / f"haproxy-{ctx.ports['rasa']}.cfg").read_text()
    assert command[-2:] == ["-f", str(tmp_path / f"haproxy-{ctx.ports['rasa']}.cfg")]
    assert re.findall(r"server (rasa-\d) 127.0.0.1:(\d+) check", config) == \
        [(f"rasa-{i}", str(ctx.ports[f"rasa-{i}"])) for i in (1, 2, 3)]
    assert f"bind 127.0.0.1:{ctx.ports['rasa']}" in config


def test_replica_ports_count_up_from_the_base_and_bad_counts_are_refused(tmp_path):
    parts = layout(2, tmp_path)
    assert layout_ports(parts, {})["rasa-2"] == DEFAULT_REPLICA_BASE_PORT + 2
    assert layout_ports(parts, {"RASA_REPLICA_BASE_PORT": "6200"})["rasa-1"] == 6201
    assert replica_count({}) == 2 and replica_count({"RASA_REPLICAS": "4"}) == 4
    for bad in ("0", "two", "99"):
        with pytest.raises(SystemExit, match="RASA_REPLICAS"):
            replica_count({"RASA_REPLICAS": bad})


def test_the_scaled_endpoints_share_the_tracker_store_and_lock_conversations_in_redis():
    scaled, postgres = endpoints(SCALED_ENDPOINTS), endpoints("endpoints.postgres.yml")
    default = endpoints("endpoints.yml")
    assert scaled["tracker_store"] == postgres["tracker_store"]
    assert scaled["action_endpoint"] == default["action_endpoint"]
    assert scaled["lock_store"]["type"] == "redis"
    named = set(re.findall(r"\$\{(\w+)\}", (ROOT / SCALED_ENDPOINTS).read_text()))
    assert named == set(SCALED_VARIABLES) | {"ACTION_SERVER_URL", "ACTION_SERVER_TOKEN"}


def test_rasa_reads_a_redis_lock_store_and_a_postgresql_tracker_store_from_the_scaled_endpoints(monkeypatch):
    from rasa.core.lock_store import LockStore, RedisLockStore
    from rasa.core.utils import read_endpoints_from_path
    values = {"ACTION_SERVER_URL": "http://127.0.0.1:1/webhook", "ACTION_SERVER_TOKEN": "x" * 20,
              "TRACKER_DB_HOST": "127.0.0.1", "TRACKER_DB_PORT": "5432", "TRACKER_DB_NAME": "rasa_tracker",
              "TRACKER_DB_USER": "collections", "TRACKER_DB_PASSWORD": "secret", "REDIS_HOST": "127.0.0.1",
              "REDIS_PORT": "6390", "REDIS_DB": "0", "REDIS_PASSWORD": ""}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    config = read_endpoints_from_path(ROOT / SCALED_ENDPOINTS)
    store = LockStore.create(config.lock_store)
    assert isinstance(store, RedisLockStore)
    connection = store.red.connection_pool.connection_kwargs
    assert (connection["host"], connection["port"], connection["db"]) == ("127.0.0.1", 6390, 0)
    assert config.tracker_store.kwargs["dialect"] == "postgresql"


def test_local_servers_start_only_where_no_host_is_given(tmp_path):
    kinds = lambda environ: [type(s) for s in local_services(environ, tmp_path)]  # noqa: E731
    assert kinds({}) == [PostgresServer, RedisServer]
    assert kinds({"TRACKER_DB_HOST": "db.internal"}) == [RedisServer]
    assert kinds({"TRACKER_DB_HOST": "db.internal", "REDIS_HOST": "cache.internal"}) == []
    assert local_services({"TRACKER_DB_PORT": "6543"}, tmp_path)[0].port == 6543


def test_a_remote_tracker_database_without_an_accounts_database_is_refused(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("ACCOUNTS_DB_URL", "ENDPOINTS")}
    completed = subprocess.run([sys.executable, "-m", "launcher.scaled", "--log-dir", str(tmp_path)], cwd=ROOT,
                               env={**env, "TRACKER_DB_HOST": "db.internal", "REDIS_HOST": "cache.internal"},
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 1
    assert "TRACKER_DB_HOST names a PostgreSQL server: set ACCOUNTS_DB_URL too" in completed.stderr
    assert not (tmp_path / "launcher.log").exists()


@pytest.mark.skipif(shutil.which("haproxy", path="/usr/sbin:/usr/bin:/sbin") is None,
                    reason="HAProxy is installed by `make run-scaled` / `make soak` (launcher.services)")
def test_haproxy_accepts_the_generated_configuration(tmp_path):
    config = tmp_path / "haproxy.cfg"
    config.write_text(haproxy_config("127.0.0.1", 5005, [("rasa-1", "127.0.0.1:5101"), ("rasa-2", "127.0.0.1:5102")]))
    checked = subprocess.run([shutil.which("haproxy", path="/usr/sbin:/usr/bin:/sbin"), "-c", "-f", str(config)],
                             capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr
