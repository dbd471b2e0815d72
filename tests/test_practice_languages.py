"""Practice mode in Spanish and Chinese: the scenarios, the debtor's lines checked at start-up, clause splitting on
each language's punctuation, and whole sessions over HTTP through the real staff console, practice Rasa server,
main Rasa server and action server (tests.practice_console): the debtor speaks the scenario's language, a good
collector gets a commitment, a weak one does not, an arrest threat fails the unlawful-tactic criterion, and the
scorecard is written in the scenario's language. (The NLU gates per language are in tests/test_practice_nlu.py.)"""
from __future__ import annotations

import copy
from datetime import date, timedelta
from decimal import Decimal
from typing import Dict, List

import pytest
import requests

from actions.language import LANGUAGES, detect
from actions.policy_files import PolicyError, load_policy
from actions.practice.lines import format_day, format_money, load_debtor_lines, parse_language_lines
from actions.practice.moves import language_patterns, tactic_catalogue, unlawful_tactics
from actions.practice.scenarios import Scenario, load_scenarios, parse_scenario_book
from components.move_classifier import split_clauses
from launcher.stack import TOKEN
from tests.practice_console import TODAY, PracticeConsole

SCENARIOS = load_scenarios()
TRANSLATED = sorted(s.id for s in SCENARIOS.values() if s.language != "en")
TIMEOUT = 180

# What a collector types, per language: {amount}, {due} (the due date) and {date} (a date to pay) are filled in
# with the scenario's money and dates written as that language writes them.
SCRIPTS: Dict[str, Dict[str, object]] = {
    "es": {
        "verify": "Hola, soy Sam Reid y le llamo de parte de Northwind Supplies. Antes de seguir, ¿me confirma su "
                  "fecha de nacimiento?",
        "disclose": "Gracias. Le informo que esta llamada es un intento de cobrar una deuda. El saldo pendiente es "
                    "de {amount}.",
        "counters": ["Entiendo su situación, de verdad. Según lo acordado, los {amount} vencían el {due}. "
                     "¿Podría pagar el total el {date}?",
                     "Comprendo, y le agradezco que me lo explique. Le recuerdo que las condiciones eran {amount} "
                     "con vencimiento el {due}. ¿Le parece bien pagar el {date}?"],
        "honour_stop": "Lo siento, no lo sabía. Anoto la disputa y dejo la cuenta en pausa; hoy no le pediré ningún "
                       "pago.",
        "read_back": "Entonces, para confirmar: pagará {amount} el {date}, ¿correcto?",
        "close": "Gracias por su tiempo, que tenga un buen día.",
        "weak": ["Tiene que pagar el total hoy.", "Pague el saldo hoy, por favor.", "Tiene que pagar lo que debe.",
                 "Necesito el importe completo hoy.", "Necesito el dinero hoy mismo."],
        "threat": "Si no paga hoy, la policía va a ir a detenerlo y acabará en la cárcel.",
    },
    "zh": {
        "verify": "您好，我是北风供应的王丽。在继续之前，请您确认一下出生日期。",
        "disclose": "谢谢。我需要告知您，这是一通催收欠款的电话。您目前的欠款是{amount}。",
        "counters": ["我理解您的难处。按照合同，这笔{amount}应该在{due}付清。{date}付清全款可以吗？",
                     "我能理解，这确实不容易。提醒一下，约定是{amount}，{due}到期。{date}付款怎么样？"],
        "honour_stop": "很抱歉，我不知道您的情况。我先记录下来，账户暂停，今天不再要求您付款。",
        "read_back": "那我确认一下：您{date}付{amount}，对吗？",
        "close": "谢谢您的时间，再见。",
        "weak": ["你今天必须把全款付了。", "请今天把欠款付清。", "今天必须付清。", "你今天必须把全款付了，别再拖了。"],
        "threat": "你今天不付款，警察就来抓你，等着坐牢吧。",
    },
}


def values(scenario: Scenario, today: date, offset: int = 5) -> Dict[str, str]:
    language = scenario.language
    return {"amount": format_money(scenario.balance, scenario.currency, language),
            "due": format_day(scenario.due_date(today), language),
            "date": format_day(today + timedelta(days=offset), language)}


def good_collector(scenario: Scenario, today: date) -> List[str]:
    """Verify, disclose, answer every objection well (acknowledge, restate the terms, propose a date)."""
    script = SCRIPTS[scenario.language]
    lines = [script["verify"], script["disclose"].format(**values(scenario, today))]
    lines += [script["counters"][i % 2].format(**values(scenario, today, 5 + i))
              for i in range(len(scenario.objections))]
    return lines


def weak_collector(scenario: Scenario) -> List[str]:
    script = SCRIPTS[scenario.language]
    return [script["verify"], script["disclose"].format(**values(scenario, date.fromisoformat(TODAY)))] + \
        list(script["weak"])


def threat(scenario: Scenario) -> str:
    return str(SCRIPTS[scenario.language]["threat"])


# ---------------------------------------------------------------- policy, without servers

def test_at_least_two_spanish_and_two_chinese_scenarios_of_different_kinds_and_difficulties():
    for language in ("es", "zh"):
        spoken = [s for s in SCENARIOS.values() if s.language == language]
        assert len(spoken) >= 2, language
        assert len({s.debtor_kind for s in spoken}) == 2 and len({s.difficulty for s in spoken}) == 2, language
        assert any(s.trap for s in spoken), f"no {language} scenario holds a compliance trap"
        assert all(s.summary()["language_name"] == LANGUAGES[language] for s in spoken)
    assert all(s.language == "en" for s in SCENARIOS.values() if s.id[:3] not in ("es-", "zh-"))


def test_every_language_has_its_lines_and_each_scenario_says_them_in_its_language():
    lines = load_debtor_lines()
    for scenario in SCENARIOS.values():
        opening = lines[scenario.language].say("opening", scenario, date.fromisoformat(TODAY), "s", {})
        if scenario.language == "zh":
            assert detect(opening) == "zh"
        born = lines[scenario.language].say("give_date_of_birth", scenario, date.fromisoformat(TODAY), "s", {})
        assert format_day(scenario.date_of_birth, scenario.language) in born


def _chinese_lines() -> Dict[str, dict]:
    return {"en": load_policy("debtor_lines.yml"), "es": load_policy("es/debtor_lines.yml"),
            "zh": load_policy("zh/debtor_lines.yml")}


def test_a_chinese_scenario_missing_a_line_it_needs_stops_start_up_naming_it():
    files = _chinese_lines()
    del files["zh"]["objections"]["objection_boss_absent"]["raise"]
    with pytest.raises(PolicyError) as error:
        parse_language_lines(files, SCENARIOS, date.fromisoformat(TODAY))
    assert str(error.value) == ("policy/zh/debtor_lines.yml: 'objections.objection_boss_absent.raise' is missing; "
                                "scenario zh-kuaiji-dongshizhang speaks zh and needs it")


def test_a_language_whose_scenarios_have_no_lines_file_stops_start_up():
    files = _chinese_lines()
    del files["zh"]
    with pytest.raises(PolicyError, match=r"policy/zh/debtor_lines.yml: file not found; scenario\(s\) "
                                          r"zh-kuaiji-dongshizhang, zh-waimai-mei-qian speak zh"):
        parse_language_lines(files, SCENARIOS, date.fromisoformat(TODAY))


def test_a_chinese_line_with_an_unknown_placeholder_stops_start_up():
    files = _chinese_lines()
    files["zh"]["objections"]["objection_no_money"]["raise"] = ["{boss}不在。"]
    with pytest.raises(PolicyError, match=r"policy/zh/debtor_lines.yml: objections.objection_no_money.raise: "
                                          r"\{boss\} is not known for scenario zh-waimai-mei-qian"):
        parse_language_lines(files, SCENARIOS, date.fromisoformat(TODAY))


def test_a_scenario_language_must_be_one_of_policy_languages():
    data = copy.deepcopy(load_policy("scenarios.yml"))
    data["scenarios"][0]["language"] = "fr"
    with pytest.raises(PolicyError, match=r"scenario sofa-next-month: 'language' must be one of "
                                          r"policy/languages.yml \(en, es, zh\), not 'fr'"):
        parse_scenario_book(data)


def test_each_language_lists_patterns_for_every_unlawful_tactic_and_no_other():
    tactics = tuple(t.name for t in tactic_catalogue().tactics)
    data = copy.deepcopy(load_policy("zh/unlawful_tactics.yml"))
    del data["tactics"]["rumours"]
    with pytest.raises(PolicyError, match=r"policy/zh/unlawful_tactics.yml: no patterns for tactic\(s\) rumours"):
        language_patterns("zh", tactics, data)
    data = copy.deepcopy(load_policy("es/unlawful_tactics.yml"))
    data["tactics"]["blackmail"] = {"patterns": ["chantaje"]}
    with pytest.raises(PolicyError, match=r"policy/es/unlawful_tactics.yml: unknown tactic id\(s\) blackmail"):
        language_patterns("es", tactics, data)


@pytest.mark.parametrize("text, tactic", [
    ("Si no paga, le van a detener.", "arrest_or_prison"),
    ("Esto es un delito y la policía ya está avisada.", "criminal_charges"),
    ("Voy a llamar a su jefe para contarle que no paga.", "third_party_disclosure"),
    ("Le vamos a avergonzar delante de sus clientes.", "public_shaming"),
    ("Iremos a su casa esta noche a las once.", "home_visit_out_of_hours"),
    ("Haremos correr la voz por todo el barrio.", "rumours"),
    ("Le embargamos el coche mañana.", "unlawful_enforcement"),
    ("不还钱就等着坐牢吧。", "arrest_or_prison"),
    ("这是诈骗，我们要报警。", "criminal_charges"),
    ("我要打电话给你老板，告诉他你欠钱。", "third_party_disclosure"),
    ("我们会把你的名字发到朋友圈曝光。", "public_shaming"),
    ("今晚半夜我们去你家敲门。", "home_visit_out_of_hours"),
    ("我让整条街都知道你欠钱。", "rumours"),
    ("明天就把你的车拖走。", "unlawful_enforcement"),
])
def test_unlawful_tactics_are_caught_in_spanish_and_chinese(text, tactic):
    assert tactic in unlawful_tactics(text)


@pytest.mark.parametrize("text", [
    "Entiendo su situación. ¿Podría pagar 200 euros el viernes?",
    "Si no llegamos a un acuerdo, la cuenta pasará a nuestro departamento jurídico.",
    "我理解您的难处，这周五能付6400元吗？",
    "如果谈不拢，账户会转到我们的法务部。",
])
def test_lawful_words_are_not_unlawful_tactics_where_legal_action_is_allowed(text):
    assert unlawful_tactics(text) == []


@pytest.mark.parametrize("text, clauses", [
    ("我理解您的难处，这周五能付6400元吗？", ["我理解您的难处", "这周五能付6400元吗？"]),
    ("明白。周五付可以吗？", ["明白。", "周五付可以吗？"]),
    ("分三次：今天、15号、30号，怎么样？", ["分三次：今天、15号、30号，怎么样？"]),
    ("好的；那就是28号付2700元！对吗？", ["好的；", "那就是28号付2700元！", "对吗？"]),
    ("Entiendo su situación. ¿Podría pagar el viernes?", ["Entiendo su situación.", "¿Podría pagar el viernes?"]),
    ("Gracias por contármelo ¡de verdad! ¿Le parece bien el día 30?",
     ["Gracias por contármelo", "¡de verdad!", "¿Le parece bien el día 30?"]),
    ("Comprendo su situación y le propongo pagar el 30.", ["Comprendo su situación", "le propongo pagar el 30."]),
    ("Si no puede pagar hoy, podemos hacer un plan.", ["Si no puede pagar hoy, podemos hacer un plan."]),
])
def test_clauses_split_on_chinese_and_spanish_punctuation(text, clauses):
    assert split_clauses(text) == clauses


# ---------------------------------------------------------------- whole sessions over HTTP

@pytest.fixture(scope="module")
def running(tmp_path_factory):
    servers = PracticeConsole(tmp_path_factory.mktemp("practice-languages")).start()
    try:
        servers.console.add_user("lucia", "collector")
        yield servers
    finally:
        servers.stop()


class Collector:
    """A signed-in collector using the practice JSON API, who can also look at the practice tracker."""

    def __init__(self, running: PracticeConsole):
        self.url, self.practice_url = running.console.url, running.practice_url
        self.session = running.console.sign_in("lucia")

    def get(self, path: str) -> requests.Response:
        return self.session.get(self.url + path, timeout=TIMEOUT)

    def post(self, path: str, body=None) -> requests.Response:
        return self.session.post(self.url + path, json=body, headers={"X-CSRF-Token": self.session.csrf},
                                 timeout=TIMEOUT)

    def start(self, scenario: str) -> dict:
        response = self.post("/api/practice/sessions", {"scenario": scenario})
        assert response.status_code == 201, response.text
        return response.json()

    def say(self, session_id: str, text: str) -> str:
        response = self.post(f"/api/practice/sessions/{session_id}/messages", {"text": text})
        assert response.status_code == 200, response.text
        return " ".join(m["text"] for m in response.json()["messages"])

    def slots(self, session_id: str) -> dict:
        response = requests.get(f"{self.practice_url}/conversations/{session_id}/tracker",
                                params={"token": TOKEN}, timeout=TIMEOUT)
        response.raise_for_status()
        return response.json()["slots"]

    def finish(self, session_id: str) -> dict:
        response = self.post(f"/api/practice/sessions/{session_id}/finish")
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="module")
def lucia(running):
    return Collector(running)


def in_language(text: str, language: str) -> bool:
    return detect(text) == language


def test_the_list_shows_each_scenario_language_and_filters_by_it(lucia):
    listed = lucia.get("/api/practice/scenarios").json()
    assert {s["language"] for s in listed} == {"en", "es", "zh"}
    chinese = lucia.get("/api/practice/scenarios?language=zh").json()
    assert len(chinese) >= 2 and {s["language_name"] for s in chinese} == {"中文"}
    assert [s["id"] for s in chinese] == [s["id"] for s in listed if s["language"] == "zh"]
    response = lucia.get("/api/practice/scenarios?language=klingon")
    assert response.status_code == 400 and "unknown language" in response.json()["error"]


@pytest.mark.parametrize("scenario_id", TRANSLATED)
def test_a_good_collector_in_the_scenarios_language_gets_a_commitment_and_a_scorecard_in_it(lucia, scenario_id):
    scenario, today = SCENARIOS[scenario_id], date.fromisoformat(TODAY)
    language, script = scenario.language, SCRIPTS[scenario.language]
    started = lucia.start(scenario_id)
    assert started["card"]["language"] == language
    sid = started["session_id"]
    debtor = [m["text"] for m in started["messages"]]
    lines = good_collector(scenario, today)
    born = lucia.say(sid, lines[0])
    assert format_day(scenario.date_of_birth, language) in born
    debtor += [born, lucia.say(sid, lines[1])]
    for counter in lines[2:]:
        debtor.append(lucia.say(sid, counter))
        if scenario.trap:  # sprung at the first good counter: the collector stops, the debtor offers what it can
            assert lucia.slots(sid)["trap"] == "fired"
            offer = lucia.say(sid, script["honour_stop"])
            assert format_money(scenario.trap.offer_amount, scenario.currency, language) in offer
            assert lucia.slots(sid)["trap"] == "honoured"
            debtor.append(offer)
            break
    slots = lucia.slots(sid)
    assert slots["committed"] is True and slots["ended"] is False, (debtor, slots["debtor_state"])
    debtor.append(lucia.say(sid, script["read_back"].format(**values(scenario, today))))
    debtor.append(lucia.say(sid, script["close"]))
    slots = lucia.slots(sid)
    assert slots["end_reason"] == "committed_and_closed", debtor
    assert in_language(" ".join(debtor), language) and all(detect(t) in (language, None) for t in debtor), debtor

    scorecard = lucia.finish(sid)
    criteria = {c["id"]: c for c in scorecard["criteria"]}
    feedback = load_policy(f"{language}/rubric.yml")["criteria"]
    for criterion_id, criterion in criteria.items():
        assert criterion["title"] == feedback[criterion_id]["title"]
    assert criteria["lawful_consequences_only"]["passed"] and criteria["respectful_language"]["passed"]
    assert criteria["identify_self_and_creditor"]["passed"] and criteria["concrete_next_step"]["passed"]
    assert in_language(criteria["acknowledge_reason"]["model_answer"], language)
    if not scenario.trap:  # after a trap, what the debtor said is read by the main model: not judged here
        assert scorecard["auto_fail"] == [], scorecard


@pytest.mark.parametrize("scenario_id", TRANSLATED)
def test_a_weak_collector_in_the_scenarios_language_gets_no_commitment(lucia, scenario_id):
    scenario = SCENARIOS[scenario_id]
    sid = lucia.start(scenario_id)["session_id"]
    for text in weak_collector(scenario):
        lucia.say(sid, text)
        slots = lucia.slots(sid)
        assert slots["committed"] is False
        if slots["ended"]:
            break
    assert slots["ended"] is True
    assert slots["end_reason"] == ("complaint_trap_ignored" if scenario.trap else "hung_up_patience")


@pytest.mark.parametrize("language", ["es", "zh"])
def test_an_arrest_threat_in_the_language_ends_the_call_and_fails_the_unlawful_tactic_criterion(lucia, language):
    scenario = next(SCENARIOS[s] for s in TRANSLATED if SCENARIOS[s].language == language)
    sid = lucia.start(scenario.id)["session_id"]
    lines = good_collector(scenario, date.fromisoformat(TODAY))
    for text in lines[:2]:
        lucia.say(sid, text)
    reaction = lucia.say(sid, threat(scenario))
    assert in_language(reaction, language), reaction
    slots = lucia.slots(sid)
    assert slots["ended"] is True and slots["end_reason"] == "hung_up_unlawful"
    assert "arrest_or_prison" in slots["unlawful_tactics"]
    scorecard = lucia.finish(sid)
    lawful = next(c for c in scorecard["criteria"] if c["id"] == "lawful_consequences_only")
    assert lawful["passed"] is False and lawful["evidence"] == threat(scenario)
    assert lawful["advice"] == " ".join(load_policy(f"{language}/rubric.yml")["criteria"][
        "lawful_consequences_only"]["advice"].split())
    assert "lawful_consequences_only" in scorecard["auto_fail"] and scorecard["passed"] is False
