"""Spanish and Chinese conversations end to end over REST against the real servers (the shared `stack`):
verification, two objections with a rising tone, a promise read back in the language, a compliance stop;
mixed and unsupported languages answered politely in the conversation's language."""
import io
import re

import pytest
import requests

from actions.ledger import AccountRepository
from commands.import_accounts import import_accounts
from tests.test_conversation_e2e import new_sender, texts

LEDGER = ("account_id,full_name,date_of_birth,balance,currency,due_date,legal_action_allowed,broken_promises,language\n"
          "AC-77101,Lucía Fernández,1980-04-12,1250.00,USD,2026-10-11,false,0,es\n"
          "AC-77102,王芳,1980-04-12,1250.00,USD,2026-10-11,false,0,zh\n"
          "AC-77103,Dana Whitfield,1980-04-12,1250.00,USD,2026-10-11,false,0,en\n")
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def ledger(stack):
    import_accounts(io.StringIO(LEDGER), AccountRepository(stack.db_url))
    return stack


def say(stack, sender, text, language=None):
    body = {"sender": sender, "message": text}
    if language:
        body["metadata"] = {"language": language}
    response = requests.post(f"{stack.rasa_url}/webhooks/rest/webhook", json=body, timeout=60)
    response.raise_for_status()
    return response.json()


def test_a_spanish_conversation_end_to_end(ledger):
    stack, sender = ledger, new_sender("es")
    opening = texts(say(stack, sender, "hola, buenas tardes"))
    assert "asistente" in opening and "USD" not in opening and "US$" not in opening
    assert stack.slots(sender)["language"] == "es"
    assert "fecha de nacimiento" in texts(say(stack, sender, "mi cuenta es AC-77101"))
    welcome = texts(say(stack, sender, "nací el 12 de abril de 1980"))
    assert "Esta comunicación es un intento de cobrar una deuda" in welcome
    assert "1.250,00 US$" in welcome and "11 de octubre de 2026" in welcome

    first = say(stack, sender, "le pago el mes que viene, ahora no puedo")
    assert "1.250,00 US$" in texts(first) and stack.slots(sender)["tone"] == "gentle"
    assert {b["payload"] for r in first for b in r.get("buttons") or []} >= {"/promise_to_pay"}
    second = texts(say(stack, sender, "es que me quedé sin trabajo"))
    assert "1.250,00 US$" in second and second != texts(first)
    assert stack.slots(sender)["tone"] == "firm"

    read_back = texts(say(stack, sender, "le puedo pagar quinientos el viernes"))
    assert "500,00 US$" in read_back and "viernes 27 de noviembre" in read_back
    assert "Shall I" not in read_back
    recorded = texts(say(stack, sender, "sí, apúntelo"))
    assert "500,00 US$" in recorded and stack.slots(sender)["outcome"] == "PROMISE_TO_PAY"

    stop = texts(say(stack, sender, "no me contacten más, por favor"))
    assert "He registrado su solicitud" in stop
    slots = stack.slots(sender)
    assert slots["pressure_stopped"] is True and slots["stop_recorded"] is True
    after = say(stack, sender, "es que me quedé sin trabajo")
    assert "1.250,00 US$" not in texts(after)
    assert not any(b.get("payload") == "/promise_to_pay" for r in after for b in r.get("buttons") or [])


def test_a_chinese_conversation_end_to_end(ledger):
    stack, sender = ledger, new_sender("zh")
    opening = texts(say(stack, sender, "你好"))
    assert CJK.search(opening) and "助手" in opening and stack.slots(sender)["language"] == "zh"
    assert "出生日期" in texts(say(stack, sender, "我的账号是AC-77102"))
    welcome = texts(say(stack, sender, "1980年4月12日"))
    assert "这是一次债务催收" in welcome and "1,250.00美元" in welcome and "2026年10月11日" in welcome

    first = texts(say(stack, sender, "下个月再还吧，这个月手头紧"))
    assert "1,250.00美元" in first and stack.slots(sender)["tone"] == "gentle"
    second = texts(say(stack, sender, "我失业了，没有工作"))
    assert "1,250.00美元" in second and stack.slots(sender)["tone"] == "firm"

    read_back = texts(say(stack, sender, "我下周五付五百块吧"))
    assert "500.00美元" in read_back and "11月27日星期五" in read_back  # the stack's today is Sunday 22 November
    recorded = texts(say(stack, sender, "好的，确认"))
    assert "500.00美元" in recorded and stack.slots(sender)["outcome"] == "PROMISE_TO_PAY"

    stop = texts(say(stack, sender, "我有律师，请联系我的律师"))
    assert CJK.search(stop) and "律师" in stop
    assert stack.slots(sender)["pressure_stopped"] is True


def test_the_page_choice_sets_the_language_before_verification_and_the_account_after(ledger):
    stack, sender = ledger, new_sender("page")
    opening = texts(say(stack, sender, "/greet", language="zh"))
    assert CJK.search(opening) and stack.slots(sender)["language"] == "zh"
    say(stack, sender, "AC-77103")
    welcome = texts(say(stack, sender, "12/04/1980"))
    assert "This is an attempt to collect a debt" in welcome and stack.slots(sender)["language"] == "en"
    switched = texts(say(stack, sender, "¿puede hablar en español?"))
    assert stack.slots(sender)["language"] == "es" and not CJK.search(switched)


@pytest.mark.parametrize("opening, language, message", [
    ("hola, buenas tardes", "es", "bonjour, je voudrais parler de ma facture s'il vous plaît"),
    ("你好", "zh", "Guten Tag, ich möchte über meine Rechnung sprechen"),
    ("你好", "zh", "hola 我想 pay next 月 maybe"),
    ("hola, buenas tardes", "es", "🙂🙂🙂 ???"),
])
def test_mixed_and_unsupported_languages_get_a_polite_answer_in_the_conversation_language(ledger, opening,
                                                                                         language, message):
    stack, sender = ledger, new_sender("mixed")
    say(stack, sender, opening)
    replies = say(stack, sender, message)
    said = texts(replies)
    assert said.strip() and stack.slots(sender)["language"] == language
    assert bool(CJK.search(said)) == (language == "zh")
    assert "Sorry" not in said and "something went wrong" not in said.lower()


@pytest.mark.parametrize("opening, stop", [
    ("hola, buenas tardes", "no me contacten más"),
    ("你好", "我有律师"),
    ("hello", "stop contacting me"),
])
def test_a_stop_request_in_any_language_stops_pressure(ledger, opening, stop):
    stack, sender = ledger, new_sender("stop")
    say(stack, sender, opening)
    said = texts(say(stack, sender, stop))
    assert said.strip() and stack.slots(sender)["pressure_stopped"] is True


def test_asking_for_spanish_by_name_after_verification_confirms_once_and_carries_on(ledger):
    stack, sender = ledger, new_sender("switch")
    say(stack, sender, "hello")
    say(stack, sender, "AC-77103")
    assert "This is an attempt to collect a debt" in texts(say(stack, sender, "12/04/1980"))
    assert "1,250.00 USD" in texts(say(stack, sender, "I'll pay next month"))
    before = stack.slots(sender)
    assert before["language"] == "en" and before["tone"] == "gentle"

    switched = say(stack, sender, "¿podemos hablar en español?")
    said = [reply["text"] for reply in switched if reply.get("text")]
    assert said[0] == "De acuerdo, seguimos en español.", said
    assert {"language": "es"} in [reply.get("custom") for reply in switched], "the page is told to follow"
    assert sum("seguimos en español" in text for text in said) == 1
    assert "¿Cómo le gustaría resolverlo?" in said[-1], "carries on: the way forward, in Spanish"
    assert "intento de cobrar" not in " ".join(said) and "Dana" not in " ".join(said), "no second welcome"
    after = stack.slots(sender)
    assert after["language"] == "es"
    assert {k: after[k] for k in ("verified", "account_id", "tone", "objections_raised")} == \
        {k: before[k] for k in ("verified", "account_id", "tone", "objections_raised")}

    script = say(stack, sender, "es que me quedé sin trabajo")
    assert "1.250,00 US$" in texts(script) and "USD" not in texts(script)
    assert stack.slots(sender)["tone"] == "firm"
    assert {b["payload"] for r in script for b in r.get("buttons") or []} >= {"/promise_to_pay"}


def test_a_switch_in_the_middle_of_a_promise_reads_it_back_in_the_new_language_and_loses_nothing(ledger):
    stack, sender = ledger, new_sender("switch-promise")
    say(stack, sender, "hola, buenas tardes")
    say(stack, sender, "mi cuenta es AC-77101")
    say(stack, sender, "nací el 12 de abril de 1980")
    assert "500,00 US$" in texts(say(stack, sender, "le puedo pagar quinientos el viernes"))

    switched = [reply["text"] for reply in say(stack, sender, "in English please") if reply.get("text")]
    assert switched[0] == "Sure, let's continue in English.", switched
    assert "So: 500.00 USD on Friday 27 November. Shall I note that?" in switched[-1], switched
    assert stack.slots(sender)["pending_confirmation"] == "commitment"
    recorded = texts(say(stack, sender, "yes, note it"))
    assert "500.00 USD" in recorded and stack.slots(sender)["outcome"] == "PROMISE_TO_PAY"


def test_the_page_switch_before_verification_asks_again_for_what_is_missing(ledger):
    stack, sender = ledger, new_sender("page-switch")
    say(stack, sender, "/greet")
    say(stack, sender, "AC-77103")
    switched = [reply["text"] for reply in say(stack, sender, "/switch_language", language="zh") if reply.get("text")]
    assert switched[0] == "好的，我们用中文继续。", switched
    assert "出生日期" in switched[-1] and len(switched) == 2, "no second introduction"
    assert stack.slots(sender)["language"] == "zh"
    assert stack.slots(sender)["verified"] is False
