"""Prints a new personal API token for a staff user of the staff console.

    python -m commands.staff_token --username alice [--label "review script"]

Use it as ``Authorization: Bearer <token>`` on the console's JSON API. Only its hash is stored, so it is shown
once; the token acts with the user's role, and stops working when the user is disabled.
"""
from __future__ import annotations

import argparse
import sys

from web.staff.store import StaffError, StaffStore


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m commands.staff_token", description=__doc__.split("\n")[0])
    parser.add_argument("--username", required=True)
    parser.add_argument("--label", default="", help="what the token is for (shown to admins)")
    args = parser.parse_args(argv)
    store = StaffStore()
    try:
        token = store.issue_token(args.username, args.label)
    except StaffError as exc:
        print(f"staff-token: {exc}", file=sys.stderr)
        return 2
    username = args.username.strip().lower()
    store.write_audit(None, "staff_token.issue", username, {"label": args.label, "by": "make staff-token"})
    print(f"API token for {username} (shown once; send it as 'Authorization: Bearer <token>'):", file=sys.stderr)
    print(token)
    return 0


if __name__ == "__main__":
    sys.exit(main())
