"""Word segmentation for all three languages: jieba for runs of Chinese characters, word characters otherwise.

No Rasa import: the tokenizer component and the intent classifier's word features both use it.
"""
from __future__ import annotations

import logging
import re
from typing import Iterator, List, Tuple

import jieba

jieba.setLogLevel(logging.WARNING)

# CJK ideographs (with extensions A/compatibility) form the runs jieba segments.
CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
WORD = re.compile(r"\w+(?:[-'.]\w+)*'?", re.UNICODE)


def has_cjk(text: str) -> bool:
    return bool(CJK_RUN.search(text))


def spans(text: str) -> Iterator[Tuple[str, int]]:
    """Each word with its start offset: Chinese runs cut by jieba, everything else split into words."""
    position = 0
    for run in CJK_RUN.finditer(text):
        yield from _plain_spans(text, position, run.start())
        offset = run.start()
        for word in jieba.cut(run.group(), HMM=True):
            yield word, offset
            offset += len(word)
        position = run.end()
    yield from _plain_spans(text, position, len(text))


def _plain_spans(text: str, start: int, end: int) -> Iterator[Tuple[str, int]]:
    for match in WORD.finditer(text, start, end):
        yield match.group(), match.start()


def segment(text: str) -> List[str]:
    """Lower-cased words of ``text`` (the classifier's word features)."""
    return [word.lower() for word, _ in spans(text)]
