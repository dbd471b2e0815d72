"""python -m web.staff [--host H] [--port P]: serves the staff console (STAFF_PORT, default 8081)."""
from __future__ import annotations

import argparse
import logging
import os
import sys

from aiohttp import web

from launcher.environment import bind_host, production, secret
from web.staff.app import create_app
from web.staff.auth import StaffSettings
from web.staff.store import StaffError

DEFAULT_PORT = 8081


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m web.staff", description="The staff console.")
    parser.add_argument("--host", default=bind_host(), help="address to listen on (BIND_HOST, default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("STAFF_PORT") or DEFAULT_PORT),
                        help=f"port (STAFF_PORT, default {DEFAULT_PORT})")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = StaffSettings.from_environment(secret("STAFF_SECRET_KEY", args.host), production=production())
    except StaffError as exc:
        sys.exit(f"Refusing to start the staff console: {exc}")
    web.run_app(create_app(settings), host=args.host, port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
