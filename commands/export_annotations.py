"""Writes what supervisors corrected in review, for a person to merge into the training data or the tests.

    python -m commands.export_annotations OUT.yml              corrected intents as Rasa NLU YAML
    python -m commands.export_annotations --stories OUT.yml    saved conversations as Rasa test stories

Nothing is written into data/ or tests/ by itself: review the file, merge it, then retrain (see the README).
"""
import sys

import yaml
from sqlalchemy import select

from actions.models import IntentCorrectionRow, SavedStoryRow, database_url, sessions_for
from actions.review_store import merged_stories_yaml, nlu_yaml

USAGE = "usage: python -m commands.export_annotations [--stories] OUT.yml"


def main(argv=None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    stories = "--stories" in args
    args = [a for a in args if a != "--stories"]
    if len(args) != 1 or args[0].startswith("-"):
        print(USAGE, file=sys.stderr)
        return 2
    with sessions_for(database_url())() as session:
        if stories:
            rows = list(session.scalars(select(SavedStoryRow).order_by(SavedStoryRow.saved_at)))
            text, what = merged_stories_yaml([yaml.safe_load(r.story_yaml) for r in rows]), "test stories"
        else:
            rows = list(session.scalars(select(IntentCorrectionRow).order_by(
                IntentCorrectionRow.corrected_intent, IntentCorrectionRow.corrected_at)))
            text, what = nlu_yaml(rows), "corrected intents"
    with open(args[0], "w", encoding="utf-8") as handle:
        handle.write(text)
    print(f"{args[0]}: {len(rows)} {what} written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
