"""Ends the verification lock-out on an account, for staff who have checked the caller another way.

    python -m commands.unlock_account AC-10023 [--by NAME]
"""
from __future__ import annotations

import argparse
import getpass
import sys
from typing import Optional, Sequence

from actions.creditor import load_creditor
from actions.ledger import AccountRepository
from actions.lockout import LockoutPolicy, VerificationGuard


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m commands.unlock_account", description=__doc__.split("\n")[0])
    parser.add_argument("account_id", help="the account reference, e.g. AC-10023")
    parser.add_argument("--by", default=None, help="who unlocks it (recorded with the unlock; default: your login)")
    args = parser.parse_args(argv)
    references = load_creditor().account_reference
    account_id = references.normalise_id(args.account_id)
    if not account_id:
        print(f"{args.account_id!r} is not an account reference ({references.description})", file=sys.stderr)
        return 2
    guard = VerificationGuard(LockoutPolicy.from_yaml())
    if AccountRepository(guard.url).get(account_id) is None and not guard.locks(account_id):
        print(f"{account_id}: no such account in the ledger", file=sys.stderr)
        return 1
    ended = guard.unlock(account_id, by=args.by or getpass.getuser())
    print(f"{account_id}: unlocked" if ended else f"{account_id}: was not locked; nothing changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
