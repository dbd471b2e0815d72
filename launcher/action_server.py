"""The action server: rasa_sdk's app, answering only calls that carry the shared secret Rasa sends.

    python -m launcher.action_server --port 5055

Rasa sends ``Authorization: Bearer $ACTION_SERVER_TOKEN`` with every action call (endpoints.yml). Any other call
to /webhook or /actions gets 401 and nothing else; /health stays open and says only that the server is up.
It listens on BIND_HOST (loopback unless opted in). ACTION_SERVER_SANIC_WORKERS > 1 forks that many workers;
database connections are never carried across the fork (see ``connections_stay_in_their_process``).
"""
from __future__ import annotations

import argparse
import hmac
import logging
import os

from sanic import Sanic, response
from sanic.request import Request
from sqlalchemy import event, exc
from sqlalchemy.pool import Pool

from launcher.environment import bind_host, secret

logger = logging.getLogger("launcher.action_server")

OPEN_PATHS = frozenset({"/health"})


def require_token(app: Sanic, token: str) -> None:
    """Every request except OPEN_PATHS must carry ``Authorization: Bearer <token>`` (compared in constant time)."""
    expected = f"Bearer {token}".encode()

    @app.middleware("request")
    async def check_token(request: Request):
        if request.path in OPEN_PATHS:
            return None
        given = request.headers.get("authorization", "").encode()
        if hmac.compare_digest(given, expected):
            return None
        logger.warning("Refused %s %s from %s: no valid action server token", request.method, request.path,
                       request.ip)
        return response.json({"error": "unauthorised: this server only answers the assistant's own calls"},
                             status=401)

    @app.exception(Exception)
    async def failed(request: Request, exception: Exception):
        # rasa_sdk's own handler echoes the request (a whole tracker) back; this one says nothing about it.
        logger.error("Action call failed: %s %s", request.method, request.path, exc_info=exception)
        return response.json({"error": "the action failed; see the action server log"}, status=500)


def connections_stay_in_their_process() -> None:
    """SQLAlchemy's recipe for forked workers: a pooled connection opened in another process is discarded and
    reopened, so no two workers ever share one database connection."""
    @event.listens_for(Pool, "connect")
    def remember_process(dbapi_connection, record) -> None:
        record.info["pid"] = os.getpid()

    @event.listens_for(Pool, "checkout")
    def refuse_foreign(dbapi_connection, record, proxy) -> None:
        if record.info.get("pid") != os.getpid():
            record.dbapi_connection = proxy.dbapi_connection = None
            raise exc.DisconnectionError("connection opened in another process; reconnecting")


def create_app(actions_package: str, token: str) -> Sanic:
    from rasa_sdk.endpoint import create_app as create_sdk_app
    app = create_sdk_app(actions_package, cors_origins=None)
    require_token(app, token)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the assistant's custom actions to the Rasa server only.")
    parser.add_argument("--port", type=int, default=int(os.environ.get("ACTION_PORT") or 5055))
    parser.add_argument("--actions", default="actions", help="package holding the actions (default: actions)")
    args = parser.parse_args()

    host = bind_host()
    token = secret("ACTION_SERVER_TOKEN", host)  # refuses a public default outside development or loopback

    from rasa_sdk import utils
    utils.configure_colored_logging(os.environ.get("LOG_LEVEL", "INFO"))
    utils.update_sanic_log_level()
    connections_stay_in_their_process()
    app = create_app(args.actions, token)
    workers = utils.number_of_sanic_workers()
    logger.info("Action server on http://%s:%s (%d worker%s)", host, args.port, workers, "s"[:workers > 1])
    app.run(host, args.port, workers=workers)


if __name__ == "__main__":
    main()
