"""Finding forbidden terms (policy/escalation.yml, policy/<code>/policy.yml) in a text.

In a language written with spaces between words a term is matched as a whole word or phrase, case-insensitive,
accents as written ("Jailer" holds no "jail"); a term ending in "*" also matches longer words ("garnish*":
garnished, garnishment). In a language written without spaces (Chinese) a term is matched anywhere. Names the
assistant is allowed to say (the debtor's own, the creditor's) are taken out before the search, so a surname
like "Bailiff" is no threat, while "a bailiff" in the same message still is.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable, Pattern, Sequence, Tuple

STEM = "*"
# Letters of scripts written with spaces; a whole word has none of them right before or after it.
_LETTER = r"[^\W\d_\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]"


def malformed(terms: Sequence[str], spaced: bool) -> Tuple[str, ...]:
    """The terms that cannot be matched: empty ones, and "*" anywhere but at the end of a term in a language
    written with spaces."""
    bad = []
    for term in terms:
        body = term[:-1] if term.endswith(STEM) else term
        if not body.strip() or STEM in body or (term.endswith(STEM) and not spaced):
            bad.append(term)
    return tuple(bad)


@lru_cache(maxsize=64)
def _pattern(term: str, spaced: bool) -> Pattern[str]:
    if not spaced:
        return re.compile(re.escape(term), re.IGNORECASE)
    stem = term.endswith(STEM)
    body = re.escape(term.rstrip(STEM)).replace(r"\ ", r"\s+")
    return re.compile(rf"(?<!{_LETTER}){body}{_LETTER + '*' if stem else f'(?!{_LETTER})'}", re.IGNORECASE)


def without_names(text: str, names: Iterable[str]) -> str:
    """``text`` with each allowed name taken out: the whole name in any case, each of its words as written."""
    for name in sorted({n.strip() for n in names if n and n.strip()}, key=len, reverse=True):
        text = re.sub(re.escape(name), " ", text, flags=re.IGNORECASE)
        for word in name.split():
            text = re.sub(rf"(?<!{_LETTER}){re.escape(word)}(?!{_LETTER})", " ", text)
    return text


def found(text: str, terms: Sequence[str], spaced: bool, allowed_names: Iterable[str] = ()) -> Tuple[str, ...]:
    """The terms of one language's list that ``text`` uses, leaving out ``allowed_names``."""
    text = without_names(text, allowed_names)
    return tuple(t for t in terms if _pattern(t, spaced).search(text))
