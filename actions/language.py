"""The languages debtors chat in (``policy/languages.yml``), which one a conversation uses, and how each
language writes money, dates and lists (``policy/<code>/policy.yml``, Babel for the CLDR data).

The language of the message being answered is a context variable: the actions set it once per run from the
``language`` slot, and everything that writes text reads it, so no signature has to carry it.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Dict, Iterator, List, Optional

from babel.dates import format_date as babel_date
from babel.numbers import format_decimal, get_currency_name, get_currency_symbol

from actions.forbidden_terms import found, malformed
from actions.policy_files import load_policy, require

SOURCE = "policy/languages.yml"
_data = load_policy("languages.yml").get("languages")
require(isinstance(_data, dict) and _data, SOURCE,
        "needs a 'languages' mapping of code -> name, switch_words, spaces_between_words")
LANGUAGES: Dict[str, str] = {}
SWITCH_WORDS: Dict[str, List[str]] = {}
SPACED: Dict[str, bool] = {}  # written with spaces between words: forbidden terms match whole words
for _code, _entry in _data.items():
    require(isinstance(_entry, dict) and isinstance(_entry.get("name"), str), SOURCE, f"{_code} needs a name")
    require(isinstance(_entry.get("switch_words"), list) and _entry["switch_words"], SOURCE,
            f"{_code} needs switch_words")
    require(isinstance(_entry.get("spaces_between_words"), bool), SOURCE,
            f"{_code} needs spaces_between_words: true or false")
    LANGUAGES[str(_code)] = _entry["name"]
    SPACED[str(_code)] = _entry["spaces_between_words"]
    SWITCH_WORDS[str(_code)] = [str(w).lower() for w in _entry["switch_words"]]
DEFAULT = next(iter(LANGUAGES))
OTHERS = [code for code in LANGUAGES if code != DEFAULT]

current: ContextVar[str] = ContextVar("language", default=DEFAULT)


def supported(code: Any) -> Optional[str]:
    return code if isinstance(code, str) and code in LANGUAGES else None


def active(language: Optional[str] = None) -> str:
    return supported(language) or current.get()


@contextmanager
def speaking(language: Optional[str]) -> Iterator[str]:
    """Within the block, text is written in ``language`` (the default if unknown)."""
    token = current.set(supported(language) or DEFAULT)
    try:
        yield current.get()
    finally:
        current.reset(token)


def policy_path(language: str, name: str) -> str:
    """The policy file ``name`` for ``language``: policy/<name> for the default, else policy/<code>/<name>."""
    return name if language == DEFAULT else f"{language}/{name}"


# --- which language a message is in -------------------------------------------------------------------

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORDS = re.compile(r"[a-záéíóúüñ]+")
_SPANISH_MARKS = re.compile(r"[ñ¿¡áéíóú]")
# Frequent Spanish words that are not English words; two of them (or one mark) make a message Spanish.
_SPANISH = {"que", "de", "el", "la", "los", "las", "por", "para", "pago", "pagar", "puedo", "tengo", "mes", "mi",
            "con", "una", "es", "hola", "gracias", "buenos", "buenas", "dias", "cuenta", "deuda", "ahora", "pero",
            "pues", "ya", "muy", "dinero", "trabajo", "quiero", "puede", "usted", "eso", "esta", "este", "nada",
            "hoy", "mañana", "semana", "sí", "vale", "claro", "necesito", "hablar", "persona", "le", "lo", "del",
            "cuando", "como", "porque", "soy", "estoy", "señor", "señora", "saldo", "cuánto", "cuanto", "debo"}
# Words no English message uses: one of them is enough ("hola", "gracias").
_SPANISH_ONLY = {"hola", "gracias", "buenas", "buenos", "quiero", "tengo", "puedo", "necesito", "deuda", "usted",
                 "señor", "señora", "ustedes", "pagaré", "mañana", "cuánto", "cuanto", "debo", "vale", "dinero"}
_ENGLISH = {"the", "i", "you", "my", "is", "it", "to", "and", "pay", "can", "will", "what", "this", "that", "have",
            "not", "don't", "i'm", "we", "of", "for", "please", "hello", "hi", "thanks", "yes", "no", "next", "month"}


def detect(text: str) -> Optional[str]:
    """en, es or zh for a message clearly in one of them; None when it cannot tell (numbers, references, ...)."""
    if not isinstance(text, str) or text.startswith("/"):
        return None
    if _CJK.search(text) and "zh" in LANGUAGES:
        return "zh"
    lowered = text.lower()
    words = _WORDS.findall(lowered)
    spanish = (sum(w in _SPANISH for w in words) + sum(w in _SPANISH_ONLY for w in words)
               + (2 if _SPANISH_MARKS.search(lowered) else 0))
    english = sum(w in _ENGLISH for w in re.findall(r"[a-z']+", lowered))
    if spanish >= 2 and spanish > english and "es" in LANGUAGES:
        return "es"
    if english >= 1 and english >= spanish:
        return DEFAULT
    return None


def switch_requested(text: str) -> Optional[str]:
    """The language a short message asks for by name ("in English please", "¿habla español?", "说中文")."""
    if not isinstance(text, str) or text.startswith("/") or len(text) > 60:
        return None
    lowered = text.lower()
    for code, words in SWITCH_WORDS.items():
        if any(word in lowered for word in words):
            return code
    return None


# --- how each language writes values ------------------------------------------------------------------

@dataclass(frozen=True)
class Formats:
    money: str
    date: str
    day: str
    day_with_year: str
    overdue: Dict[str, str]
    schedule_line: str

    @classmethod
    def from_yaml(cls, data: Any, source: str) -> "Formats":
        require(isinstance(data, dict), source, "formats must be a mapping")
        for key in ("money", "date", "day", "day_with_year", "schedule_line"):
            require(isinstance(data.get(key), str) and data[key], source, f"formats.{key} must be text")
        overdue = data.get("overdue") or {}
        missing = [k for k in ("one_day", "days", "due_today", "due_on") if not isinstance(overdue.get(k), str)]
        require(not missing, source, f"formats.overdue needs: {', '.join(missing)}")
        return cls(data["money"], data["date"], data["day"], data["day_with_year"], dict(overdue),
                   data["schedule_line"])


@dataclass(frozen=True)
class LanguageTexts:
    """``policy/<code>/policy.yml``: the creditor's wording, consequences, forbidden terms and formats."""
    code: str
    creditor: Dict[str, Any]
    allowed_consequences: List[str]
    separator: str
    last_separator: str
    forbidden_terms: List[str]
    blocked_message: str
    formats: Formats
    claim_words: List[str]
    claims: Dict[str, str]  # claim phrase -> its backing, as policy/compliance.yml claims

    @classmethod
    def load(cls, code: str) -> "LanguageTexts":
        source = f"policy/{code}/policy.yml"
        data = load_policy(f"{code}/policy.yml")
        creditor = data.get("creditor") or {}
        for key in ("assistant_name", "collection_disclosure", "support_hours", "reference_description"):
            require(isinstance(creditor.get(key), str) and creditor[key].strip(), source, f"creditor.{key} must be set")
        payment = creditor.get("payment_instructions") or {}
        require(all(isinstance(payment.get(k), str) for k in ("bank_transfer", "card_by_phone")), source,
                "creditor.payment_instructions needs bank_transfer and card_by_phone")
        consequences = data.get("allowed_consequences")
        require(isinstance(consequences, list) and consequences and all(isinstance(c, str) for c in consequences),
                source, "allowed_consequences must list the consequences, as in policy/escalation.yml")
        forbidden = [str(t).lower() for t in data.get("forbidden_terms") or []]
        require(bool(forbidden), source, "forbidden_terms must list this language's equivalents")
        broken = malformed(forbidden, SPACED[code])
        require(not broken, source, f"forbidden_terms: {list(broken)} cannot be matched (a '*' may only end a "
                                    f"term, in a language written with spaces)")
        bad = [t for c in consequences for t in found(c, forbidden, SPACED[code])]
        require(not bad, source, f"allowed_consequences use forbidden term(s) {bad}")
        blocked = data.get("blocked_message")
        require(isinstance(blocked, str) and blocked.strip(), source, "blocked_message must be text")
        claims = data.get("claims") or {}
        words, phrases = claims.get("words"), claims.get("phrases")
        require(isinstance(words, list) and words and isinstance(phrases, dict) and phrases, source,
                "claims needs 'words' and 'phrases', as policy/compliance.yml claims")
        return cls(code, dict(creditor), consequences, str(data.get("consequences_separator", ", ")),
                   str(data.get("consequences_last_separator", " and ")), forbidden, blocked,
                   Formats.from_yaml(data.get("formats"), source), [str(w).lower() for w in words],
                   {str(k): str(v) for k, v in phrases.items()})


TEXTS: Dict[str, LanguageTexts] = {code: LanguageTexts.load(code) for code in OTHERS}


def texts(language: Optional[str] = None) -> Optional[LanguageTexts]:
    """This language's texts, or None for the default language (whose texts are the English policy files)."""
    return TEXTS.get(active(language))


def money(amount: Decimal, currency: str, language: Optional[str] = None) -> str:
    local = texts(language)
    if local is None:
        return f"{amount:,.2f} {currency}"
    code = active(language)
    number = format_decimal(amount, format="#,##0.00", locale=code, decimal_quantization=True)
    return local.formats.money.format(number=number, currency=currency,
                                      symbol=get_currency_symbol(currency, locale=code),
                                      currency_name=get_currency_name(currency, locale=code))


def long_date(day: date, language: Optional[str] = None) -> str:
    local = texts(language)
    if local is None:
        return f"{day.day} {day:%B %Y}"
    return babel_date(day, local.formats.date, locale=active(language))


def weekday_date(day: date, today: date, language: Optional[str] = None) -> str:
    local = texts(language)
    if local is None:
        text = f"{day:%A} {day.day} {day:%B}"
        return text if day.year == today.year else f"{text} {day.year}"
    pattern = local.formats.day if day.year == today.year else local.formats.day_with_year
    return babel_date(day, pattern, locale=active(language))


def overdue(days: int, due: date, today: date, language: Optional[str] = None) -> str:
    local = texts(language)
    if local is None:
        if days == 0:
            return "due today" if due == today else f"due on {long_date(due, DEFAULT)}"
        return f"{days} day{'s' if days != 1 else ''} overdue"
    words = local.formats.overdue
    if days == 0:
        return words["due_today"] if due == today else words["due_on"].format(date=long_date(due, language))
    return words["one_day"] if days == 1 else words["days"].format(days=days)


def schedule_line(amount: str, day: str, language: Optional[str] = None) -> str:
    local = texts(language)
    return f"- {amount} on {day}" if local is None else local.formats.schedule_line.format(amount=amount, day=day)


def join_list(items: List[str], language: Optional[str] = None) -> str:
    local = texts(language)
    separator, last = (", ", " and ") if local is None else (local.separator, local.last_separator)
    return items[0] if len(items) == 1 else separator.join(items[:-1]) + last + items[-1]


def choose(slot: Optional[str], verified: bool, text: str, page_choice: Any = None) -> Optional[str]:
    """The conversation's language after this message: the page's switch or a request by name always; before
    verification the language of the first message that shows one; otherwise unchanged (after verification it
    is the account's, set by the verification)."""
    asked = supported(page_choice) or switch_requested(text)
    if asked:
        return asked
    if slot is None and not verified:
        return detect(text)
    return slot
