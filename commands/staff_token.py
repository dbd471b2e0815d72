"""Prints a new personal API token for a staff user of the staff console.

    python -m commands.staff_token --username alice [--label "review script"]
    python -m commands.staff_token --username alice --revoke      (revokes every token of alice)

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
    parser.add_argument("--label", default="", help="what the token is for (kept in the audit log)")
    parser.add_argument("--revoke", action="store_true", help="revoke every API token of the user instead")
    args = parser.parse_args(argv)
    store = StaffStore()
    username = args.username.strip().lower()
    try:
        if args.revoke:
            revoked = store.revoke_tokens(username)
            store.write_audit(None, "staff_token.revoke", username, {"revoked": revoked, "by": "make staff-token"})
            print(f"Revoked {revoked} API token{'' if revoked == 1 else 's'} of {username}.")
        else:
            token = store.issue_token(username, args.label)
            store.write_audit(None, "staff_token.issue", username, {"label": args.label, "by": "make staff-token"})
            print(f"API token for {username} (shown once; send it as 'Authorization: Bearer <token>'):",
                  file=sys.stderr)
            print(token)
    except StaffError as exc:
        print(f"staff-token: {exc}", file=sys.stderr)
        return 2
    return 0

if __name__ == "__main__":
    sys.exit(main())
