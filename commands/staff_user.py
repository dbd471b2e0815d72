"""Creates or updates a staff user of the staff console.

    python -m commands.staff_user --username alice --role collector|supervisor|admin

The password comes from STAFF_PASSWORD, or is asked for (twice) when that is unset; for an existing user an
empty answer keeps the current password and only the role changes. Changing a password signs the user out
everywhere. Exits 2 with a clear message on any invalid input.
"""
from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import Optional

from sqlalchemy.engine import make_url

from web.staff.store import ROLES, StaffError, StaffStore, normalise_username


def read_password(existing: bool) -> Optional[str]:
    from_environment = os.environ.get("STAFF_PASSWORD")
    if from_environment:
        return from_environment
    if not sys.stdin.isatty():
        raise StaffError("set STAFF_PASSWORD, or run this in a terminal to be asked for the password")
    prompt = "New password (empty keeps the current one): " if existing else "Password: "
    password = getpass.getpass(prompt)
    if not password:
        if existing:
            return None
        raise StaffError("a new user needs a password")
    if getpass.getpass("Repeat the password: ") != password:
        raise StaffError("the two passwords differ")
    return password


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m commands.staff_user", description=__doc__.split("\n")[0])
    parser.add_argument("--username", required=True)
    parser.add_argument("--role", required=True, help=" | ".join(ROLES))
    args = parser.parse_args(argv)
    store = StaffStore()
    try:
        username = normalise_username(args.username)
        if args.role not in ROLES:
            raise StaffError(f"ROLE must be one of {', '.join(ROLES)}, not {args.role!r}")
        existing = store.user_info(username)
        user, created = store.save_user(username, args.role, read_password(existing is not None))
    except StaffError as exc:
        print(f"staff-user: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nstaff-user: cancelled; nothing changed", file=sys.stderr)
        return 130
    store.write_audit(None, "staff_user.create" if created else "staff_user.update", user.username,
                      {"role": user.role, "by": "make staff-user"})
    note = " (the user is disabled; an admin can enable it on the Users page)" if existing and existing.disabled else ""
    print(f"{'Created' if created else 'Updated'} staff user {user.username} ({user.role}) in {make_url(store.url).render_as_string(hide_password=True)}{note}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
