"""Everything the assistant says exists in every language (policy/languages.yml): counter-scripts, messages,
domain responses, the disclosure and the compliance acknowledgements; values are written for the language;
forbidden terms are caught in every language."""
import copy
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import yaml
from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator

from actions import language as L
from actions.account import Account
from actions.compliance import CompliancePolicy
from actions.creditor import Creditor
from actions.escalation import EscalationPolicy
from actions.messages import MessageCatalogue
from actions.policy_files import PROJECT_ROOT, PolicyError, load_policy
from actions.script_library import ScriptFacts, ScriptLibrary

TODAY = date(2026, 11, 22)
POLICY = EscalationPolicy.from_yaml()
LIBRARY = ScriptLibrary.from_yaml(POLICY)
MESSAGES = MessageCatalogue.from_yaml(tones=POLICY.tones)
COMPLIANCE = CompliancePolicy.from_yaml(POLICY)
CREDITOR = Creditor.from_yaml()
DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
OTHERS = [code for code in L.LANGUAGES if code != L.DEFAULT]
JORDAN = Account("AC-10023", "Jordan Avery", date(1980, 4, 12), Decimal("1250.00"), "USD",
                 TODAY - timedelta(days=42), True, 0)
AMOUNT = {"en": "1,250.00 USD", "es": "1.250,00 US$", "zh": "1,250.00美元"}
DUE = {"en": "11 October 2026", "es": "11 de octubre de 2026", "zh": "2026年10月11日"}


def test_the_languages_are_english_spanish_and_chinese_and_the_domain_slot_lists_them():
    assert L.LANGUAGES == {"en": "English", "es": "Español", "zh": "中文"}
    assert DOMAIN["slots"]["language"]["values"] == list(L.LANGUAGES)


@pytest.mark.parametrize("language", list(L.LANGUAGES))
def test_every_counter_script_exists_and_renders_in_the_language(language):
    english = LIBRARY.scripts
    for objection, tones in english.items():
        for tone, variants in tones.items():
            for repeat in range(len(variants)):
                with L.speaking(language):
                    facts = ScriptFacts.of(JORDAN, TODAY, CREDITOR.creditor_name, POLICY.consequences_sentence())
                    text = LIBRARY.render(objection, tone, facts, repeat)
                assert AMOUNT[language] in text, (language, objection, tone, repeat)
                assert "{" not in text and not POLICY.forbidden_terms_in(text, language)
                if language != L.DEFAULT:
                    assert text not in [v.format(**facts.__dict__) for v in variants], "not translated"
                if tone == POLICY.legal_tone:
                    with L.speaking(language):
                        assert POLICY.consequences_sentence() in text


@pytest.mark.parametrize("language", OTHERS)
def test_a_missing_script_variant_or_message_in_a_language_stops_start_up(language, monkeypatch):
    scripts = copy.deepcopy(load_policy(f"{language}/scripts.yml"))
    objection = next(iter(scripts["objections"]))
    scripts["objections"][objection]["firm"].pop()
    messages = copy.deepcopy(load_policy(f"{language}/messages.yml"))
    messages.pop("verified")
    real = load_policy

    def with_gap(name):
        return scripts if name == f"{language}/scripts.yml" else messages if name == f"{language}/messages.yml" \
            else real(name)
    monkeypatch.setattr("actions.script_library.load_policy", with_gap)
    monkeypatch.setattr("actions.messages.load_policy", with_gap)
    with pytest.raises(PolicyError, match=f"policy/{language}/scripts.yml: {objection}.firm needs 3 variants"):
        ScriptLibrary.from_yaml(POLICY)
    with pytest.raises(PolicyError, match=f"policy/{language}/messages.yml: missing message.*verified"):
        MessageCatalogue.from_yaml(tones=POLICY.tones)


@pytest.mark.parametrize("language", OTHERS)
def test_every_message_exists_in_the_language_with_the_same_buttons(language):
    local = MESSAGES.translations[language]
    assert set(local) == set(MESSAGES.entries)
    for key, entry in MESSAGES.entries.items():
        assert [b["payload"] for b in local[key].get("buttons") or []] == \
               [b["payload"] for b in entry.get("buttons") or []], key
        english = [entry["text"]] if "text" in entry else [entry[t] for t in POLICY.tones]
        translated = [local[key]["text"]] if "text" in local[key] else [local[key][t] for t in POLICY.tones]
        assert all(t.strip() for t in translated) and translated != english, key


@pytest.mark.parametrize("language", list(L.LANGUAGES))
def test_the_disclosure_and_the_verified_message_are_in_the_language(language):
    with L.speaking(language):
        creditor = CREDITOR.in_language()
        text = MESSAGES.render("verified", name="Jordan Avery", disclosure=creditor.collection_disclosure)["text"]
        balance = MESSAGES.render("balance", account_id="AC-10023", amount=L.money(JORDAN.balance, "USD"),
                                  due_date=L.long_date(JORDAN.due_date), overdue="")["text"]
    assert creditor.collection_disclosure in text and AMOUNT[language] in balance and DUE[language] in balance
    if language != L.DEFAULT:
        assert creditor.collection_disclosure != CREDITOR.collection_disclosure


def slot_combinations():
    for language in L.LANGUAGES:
        for verified in (False, True):
            for recorded in (False, True):
                yield {"language": language, "verified": verified, "stop_recorded": recorded}


def variation_language(variation):
    return next((c["value"] for c in variation.get("condition") or [] if c["name"] == "language"), L.DEFAULT)


@pytest.mark.parametrize("response", sorted(DOMAIN["responses"]))
def test_every_domain_response_answers_in_the_conversation_language_only(response):
    """Rasa's own response selection: for every language and state exactly the language's variations qualify,
    so the stop acknowledgements are said in the language, honestly about what was recorded."""
    responses = DOMAIN["responses"]
    generator = TemplatedNaturalLanguageGenerator(responses)
    for slots in slot_combinations():
        for _ in range(6):
            chosen = generator.generate_from_slots(response, slots, "rest")
            assert chosen is not None
            matches = [v for v in responses[response] if v.get("text") == chosen["text"]]
            assert variation_language(matches[0]) == slots["language"], (response, slots, chosen["text"])
            condition = {c["name"]: c["value"] for c in matches[0].get("condition") or []}
            assert all(slots[name] == value for name, value in condition.items() if name != "language")
    english = [v for v in responses[response] if variation_language(v) == L.DEFAULT]
    for language in OTHERS:
        local = [v for v in responses[response] if variation_language(v) == language]
        assert len(local) == len(english), (response, language)
        for variation in local:
            assert not POLICY.forbidden_terms_in(variation["text"], language)
            assert [b["payload"] for b in variation.get("buttons") or []] in \
                   [[b["payload"] for b in e.get("buttons") or []] for e in english]


@pytest.mark.parametrize("language", OTHERS)
def test_forbidden_terms_are_caught_in_the_language_and_the_safe_message_is_in_it_too(language):
    local = L.TEXTS[language]
    sample = {"es": "Si no paga, avisaremos a su familia y llamaremos a la policía.",
              "zh": "不还钱我们就报警，还会联系你的家人。"}[language]
    assert POLICY.forbidden_terms_in(sample, language)
    assert POLICY.forbidden_terms_in("we will call the police", language) == ("police",)
    with L.speaking(language):
        replaced = COMPLIANCE.safe(sample, "test", support_phone="+44 1", support_hours="9-5")
    assert replaced == local.blocked_message.format(support_phone="+44 1", support_hours="9-5")
    with L.speaking(language):
        assert COMPLIANCE.safe("Gracias / 谢谢", "test", support_phone="", support_hours="") == "Gracias / 谢谢"


def test_money_dates_and_overdue_are_written_for_the_language():
    day = date(2026, 3, 15)
    assert [L.money(Decimal("1250.5"), "EUR", code) for code in L.LANGUAGES] == \
           ["1,250.50 EUR", "1.250,50 €", "1,250.50欧元"]
    assert [L.long_date(day, code) for code in L.LANGUAGES] == ["15 March 2026", "15 de marzo de 2026", "2026年3月15日"]
    assert [L.weekday_date(date(2026, 3, 20), day, code) for code in L.LANGUAGES] == \
           ["Friday 20 March", "viernes 20 de marzo", "3月20日星期五"]
    assert [L.overdue(42, day, day + timedelta(days=42), code) for code in L.LANGUAGES] == \
           ["42 days overdue", "lleva 42 días vencido", "已逾期42天"]


@pytest.mark.parametrize("text, language", [
    ("hola, quiero pagar mi deuda", "es"), ("buenas, ¿cuánto debo?", "es"), ("hola", "es"), ("Gracias", "es"),
    ("你好，我想还款", "zh"), ("hi", "en"), ("I'm out of work, can we talk next month?", "en"),
    ("hello, I want to pay", "en"), ("AC-10023", None), ("12/04/1980", None)])
def test_the_language_of_a_first_message_is_recognised(text, language):
    assert L.detect(text) == language


def test_the_language_follows_the_page_then_the_first_message_then_the_account_unless_asked():
    assert L.choose(None, False, "hola, buenas tardes", None) == "es"
    assert L.choose(None, False, "hello", "zh") == "zh"
    assert L.choose("es", False, "ok thanks", None) == "es"
    assert L.choose("zh", True, "hola", None) == "zh"           # after verification: the account's language
    assert L.choose("zh", True, "¿puede hablar en español?", None) == "es"
    assert L.choose("es", True, "in English please", None) == "en"
    assert L.choose("en", True, "hi", "zh") == "zh"             # the page's switch is a request to switch


def wording_in(language):
    """(where, text, context) for everything the assistant can say in ``language`` (as tests/test_script_claims.py
    collects the English wording); stop intents' scripts are never said."""
    found = []
    for objection, tones in LIBRARY.translations[language].items():
        if objection in COMPLIANCE.stops:
            continue
        for tone, variants in tones.items():
            found += [(f"{objection}.{tone}", text, {"objection": objection}) for text in variants]
    for key, entry in MESSAGES.translations[language].items():
        found += [(key, entry[f], {"message": key}) for f in ("text", *POLICY.tones) if isinstance(entry.get(f), str)]
    for name, variations in DOMAIN["responses"].items():
        for variation in variations:
            if variation_language(variation) == language:
                condition = {c["name"]: c["value"] for c in variation["condition"] if c["name"] != "language"}
                found.append((f"{name} {condition}", variation["text"], {"response": name, "condition": condition}))
    return found


def backing_applies(backing, context):
    """Where each kind of claim is true (the same rules as tests/test_script_claims.py for English)."""
    objection, condition = context.get("objection"), context.get("condition", {})
    acknowledgements = {s.acknowledgement for s in COMPLIANCE.stops.values()}
    return {"COMPLAINT": COMPLIANCE.holds.get(objection) == backing,
            "PAYMENT_TRACE": COMPLIANCE.holds.get(objection) == backing,
            "hold": objection in COMPLIANCE.holds,
            "stop_recorded": condition.get("stop_recorded") is True,
            "stop_pending": condition.get("stop_recorded") is False,
            "unverified_stop": condition == {"verified": False} and context.get("response") in acknowledgements,
            "HUMAN_HANDOFF": context.get("message") == "handoff",
            "pressure_stopped": context.get("message") == "pressure_stopped"
            or context.get("response") in acknowledgements,
            "commitment": True}[backing]


@pytest.mark.parametrize("language", OTHERS)
def test_every_promise_in_the_language_is_a_listed_claim_said_only_where_it_is_true(language):
    local = L.TEXTS[language]
    said = wording_in(language)
    unbacked, wrong = [], []
    for where, text, context in said:
        for sentence in (s for s in re.split(r"(?<=[.?!。？！])\s*|\n", text) if s.strip()):
            phrases = [p for p in local.claims if p.lower() in sentence.lower()]
            if any(word in sentence.lower() for word in local.claim_words) and not phrases:
                unbacked.append(f"{where}: {sentence}")
            wrong += [f"{where}: {p!r}" for p in phrases if not backing_applies(local.claims[p], context)]
    assert not unbacked, "promises with no listed claim:\n" + "\n".join(unbacked)
    assert not wrong, "claims said where nothing makes them true:\n" + "\n".join(wrong)
    everything = " ".join(text for _, text, _ in said).lower()
    assert [p for p in local.claims if p.lower() not in everything] == []
