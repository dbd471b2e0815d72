"""Which texts may act as Rasa commands ("/intent" or "/intent{json}"), and how bad request input is refused.

Rasa treats any message starting with "/" as an intent with slot payloads. Here only the payloads of our own
buttons (every ``buttons`` list in domain.yml responses and policy/messages.yml), the debtor page's greeting
(``/greet``, or ``/greet{"account_id": "<reference from the link>"}``) and its language switch
(``/switch_language``) may do that. Everything else a person types reaches the assistant as plain text. No Rasa
import here, so the web server uses it too.
"""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, FrozenSet, Iterable, Iterator

import yaml

ROOT = Path(__file__).resolve().parent.parent
BUTTON_SOURCES = (ROOT / "domain.yml", ROOT / "policy" / "messages.yml")

COMMAND_PREFIX = "/"
# The debtor page greets with this intent; a deep link adds the account reference it carries (web/static/app.js).
GREETING = "/greet"
# The page's language switch asks the assistant to go on in the language it sends along (web/static/app.js).
LANGUAGE_SWITCH = "/switch_language"
DEEP_LINK_ENTITY = "account_id"
# Loose on purpose: the actions decide whether it is a real reference; this only keeps the payload a short token.
DEEP_LINK_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{1,31}$")

MAX_MESSAGE_LENGTH = 1000
MAX_JSON_DEPTH = 20
SENDER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$")
_SURROGATES = re.compile("[\ud800-\udfff]")


class RequestRefused(ValueError):
    """Input that gets a clear 4xx answer instead of reaching the assistant."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def _button_payloads(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "buttons" and isinstance(value, list):
                yield from (b["payload"] for b in value if isinstance(b, dict) and isinstance(b.get("payload"), str))
            else:
                yield from _button_payloads(value)
    elif isinstance(node, list):
        for item in node:
            yield from _button_payloads(item)


def button_payloads(sources: Iterable[Path] = BUTTON_SOURCES) -> FrozenSet[str]:
    """Every button payload that starts with "/" in the given YAML files."""
    payloads = set()
    for path in sources:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        payloads.update(p.strip() for p in _button_payloads(data) if p.strip().startswith(COMMAND_PREFIX))
    return frozenset(payloads)


@dataclass(frozen=True)
class CommandList:
    """The fixed list of payloads that may pass as commands."""
    payloads: FrozenSet[str]

    @classmethod
    def load(cls, sources: Iterable[Path] = BUTTON_SOURCES) -> "CommandList":
        return cls(button_payloads(sources) | {GREETING, LANGUAGE_SWITCH})

    def allows(self, text: str) -> bool:
        text = text.strip()
        return text in self.payloads or is_deep_link_greeting(text)


def is_deep_link_greeting(text: str) -> bool:
    if not text.startswith(GREETING + "{"):
        return False
    try:
        entities = json.loads(text[len(GREETING):])
    except ValueError:
        return False
    return (isinstance(entities, dict) and list(entities) == [DEEP_LINK_ENTITY]
            and isinstance(entities[DEEP_LINK_ENTITY], str)
            and bool(DEEP_LINK_REFERENCE.match(entities[DEEP_LINK_ENTITY])))


def deep_link_greeting(reference: str) -> str:
    return GREETING + json.dumps({DEEP_LINK_ENTITY: reference}, separators=(",", ":"))


def looks_like_command(text: str) -> bool:
    return text.strip().startswith(COMMAND_PREFIX)


def plain_text_for_nlu(text: str) -> str:
    """What the language model reads for typed text: the words without the leading slashes."""
    return text.strip().lstrip(COMMAND_PREFIX + " \t").strip() or text.strip()


def clean_text(text: str) -> str:
    """Control characters become spaces and lone surrogates U+FFFD, so every store and tokenizer takes it."""
    text = _SURROGATES.sub("\ufffd", text)
    return "".join(" " if unicodedata.category(c) == "Cc" and c not in "\n\t" else c for c in text)


def json_depth(value: Any) -> int:
    depth, level = 0, [value]
    while level:
        depth += 1
        level = [child for node in level if isinstance(node, (dict, list))
                 for child in (node.values() if isinstance(node, dict) else node)]
        if depth > MAX_JSON_DEPTH:
            break
    return depth


def parse_json_object(body: bytes, expected: str) -> dict:
    """The request body as a JSON object, or RequestRefused with a 4xx that says what is wrong."""
    try:
        payload = json.loads(body)
    except UnicodeDecodeError:
        raise RequestRefused(400, "The request body must be UTF-8 JSON.") from None
    except RecursionError:
        raise RequestRefused(400, "The request is nested too deeply.") from None
    except ValueError:
        raise RequestRefused(400, f"The request must be JSON: {expected}.") from None
    if not isinstance(payload, dict):
        raise RequestRefused(400, f"The request must be a JSON object: {expected}.")
    if json_depth(payload) > MAX_JSON_DEPTH:
        raise RequestRefused(400, "The request is nested too deeply.")
    return payload


def message_text(value: Any) -> str:
    """The message field: a non-empty string of at most MAX_MESSAGE_LENGTH characters, cleaned."""
    if not isinstance(value, str):
        raise RequestRefused(400, "\"message\" must be a string.")
    text = clean_text(value).strip()
    if not text:
        raise RequestRefused(400, "The message is empty.")
    if len(text) > MAX_MESSAGE_LENGTH:
        raise RequestRefused(413, f"Messages can be at most {MAX_MESSAGE_LENGTH} characters.")
    return text
