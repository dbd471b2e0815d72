"""docker-compose.yml stays in step with `make run-scaled` (launcher/scaled.py): the same parts, images at the
pinned versions, the same commands, endpoints file and variables, and the same load balancer."""
import re

import yaml

from launcher import processes
from launcher.components import COMPONENTS, Context, component
from launcher.scaled import (
    COMPOSE_HAPROXY, DEFAULT_ACTION_WORKERS, DEFAULT_REPLICAS, SCALED_ENDPOINTS, SCALED_VARIABLES,
    compose_haproxy_config, layout,
)

ROOT = processes.ROOT
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
# launcher component -> compose service; every rasa-N replica is the one scaled `rasa` service
SERVICE_OF = {"actions": "actions", "rasa": "haproxy", "practice": "practice", "web": "web", "staff": "staff"}


def pinned(package):
    text = (ROOT / "constraints.txt").read_text()
    return re.search(rf"^{re.escape(package)}==(\S+)$", text, re.MULTILINE).group(1)


def test_compose_runs_every_part_of_the_scaled_layout_and_its_stores(tmp_path):
    expected = {"rasa" if c.name.startswith("rasa-") else SERVICE_OF[c.name] for c in layout(2, tmp_path)}
    assert set(SERVICES) == expected | {"postgres", "redis"}
    assert set(SERVICE_OF) == {c.name for c in COMPONENTS}


def test_the_official_images_at_the_pinned_versions():
    assert f"FROM rasa/rasa:{pinned('rasa')}\n" in SERVICES["rasa"]["build"]["dockerfile_inline"]
    assert f"FROM rasa/rasa-sdk:{pinned('rasa-sdk')}\n" in SERVICES["actions"]["build"]["dockerfile_inline"]
    assert SERVICES["haproxy"]["image"].startswith("haproxy:")
    assert SERVICES["postgres"]["image"].startswith("postgres:") and SERVICES["redis"]["image"].startswith("redis:")


def test_rasa_and_the_practice_server_run_the_launchers_commands_on_the_scaled_endpoints():
    token = "${RASA_AUTH_TOKEN:?set RASA_AUTH_TOKEN}"
    ctx = Context({}, {"RASA_AUTH_TOKEN": token}, ROOT / SCALED_ENDPOINTS, host="0.0.0.0")
    for service, name, port in (("rasa", "rasa", 5005), ("practice", "practice", 5006)):
        command = component(name).command(ctx, port)
        command[command.index("--endpoints") + 1] = SCALED_ENDPOINTS
        assert SERVICES[service]["entrypoint"] + SERVICES[service]["command"] == ["python", *command[1:]]
    assert SERVICES["rasa"]["deploy"]["replicas"] == f"${{RASA_REPLICAS:-{DEFAULT_REPLICAS}}}"


def test_every_server_gets_the_scaled_variables():
    for name in ("actions", "rasa", "practice", "web", "staff"):
        environment = SERVICES[name]["environment"]
        assert set(SCALED_VARIABLES) | {"ENDPOINTS", "ACTION_SERVER_URL", "ACCOUNTS_DB_URL", "RASA_AUTH_TOKEN",
                                        "ACTION_SERVER_TOKEN"} <= set(environment), name
        assert environment["ENDPOINTS"].endswith("/" + SCALED_ENDPOINTS)
        assert environment["COLLECTIONS_ENV"] == "production"
    assert SERVICES["actions"]["environment"]["ACTION_SERVER_SANIC_WORKERS"] == \
        f"${{ACTION_SERVER_SANIC_WORKERS:-{DEFAULT_ACTION_WORKERS}}}"
    assert SERVICES["actions"]["entrypoint"][:3] == ["python", "-m", "launcher.action_server"]
    assert "--rasa-url" in SERVICES["web"]["entrypoint"] and "http://haproxy:5005" in SERVICES["web"]["entrypoint"]


def test_the_compose_balancer_is_the_launchers():
    assert COMPOSE_HAPROXY.read_text() == compose_haproxy_config()
    assert any(volume.startswith("./docker/haproxy.cfg:") for volume in SERVICES["haproxy"]["volumes"])
