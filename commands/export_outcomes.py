"""Writes every conversation's outcome as CSV for the collection system.

    python -m commands.export_outcomes outcomes.csv
"""
import sys

from actions.outcome_store import OutcomeStore


def main(argv=None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m commands.export_outcomes OUT.csv", file=sys.stderr)
        return 2
    with open(args[0], "w", newline="", encoding="utf-8") as handle:
        count = OutcomeStore().export_outcomes(handle)
    print(f"{args[0]}: {count} conversation outcomes written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
