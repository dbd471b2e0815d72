"""Scores a collector's chat transcript against the rubric (policy/rubric.yml) and prints the scorecard as JSON.

    python -m commands.score_transcript transcript.json                 # both models loaded here
    python -m commands.score_transcript transcript.json --practice-url http://localhost:5006 \\
        --rasa-url http://localhost:5005                                # running servers (token: RASA_AUTH_TOKEN)

Input: {"account": {"full_name", "date_of_birth", "balance", "currency", "due_date", "legal_action_allowed"},
        "turns": [{"speaker": "collector"|"debtor", "text"}], "language": "en"|"es"|"zh" (optional)}
Exit status: 0 scored, 2 the file is unreadable or malformed, 1 the rubric or the models could not be used.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from typing import Optional, Sequence

from actions.policy_files import PolicyError
from actions.rubric import TranscriptError, load_rubric, parse_transcript, transcript_language


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m commands.score_transcript", description=__doc__.split("\n")[0])
    parser.add_argument("file", help="transcript JSON file")
    parser.add_argument("--practice-url", help="a running practice Rasa server (else models are loaded here)")
    parser.add_argument("--rasa-url", help="a running main Rasa server (with --practice-url)")
    args = parser.parse_args(argv)
    try:
        with open(args.file, encoding="utf-8") as handle:
            data = json.load(handle)
        account, turns = parse_transcript(data)
        language = transcript_language(data)
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        print(f"error: {args.file} is not valid JSON: {exc}", file=sys.stderr)
        return 2
    except TranscriptError as exc:
        print(f"error: {args.file}: {exc}", file=sys.stderr)
        return 2
    if bool(args.practice_url) != bool(args.rasa_url):
        print("error: give both --practice-url and --rasa-url, or neither", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING)
    from actions.move_readers import HttpReaders, InProcessReaders, ReaderError
    from actions.rubric import annotate
    try:
        rubric = load_rubric()
        if args.practice_url:
            readers = HttpReaders(args.practice_url, args.rasa_url, os.environ.get("RASA_AUTH_TOKEN", ""))
        else:
            readers = InProcessReaders()
        scorecard = rubric.score(account, annotate(turns, readers), language=language)
    except (PolicyError, ReaderError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(scorecard, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
