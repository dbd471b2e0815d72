"""The command list, request reading and rate limiting behind the debtor page and the REST channel, without
servers (the end-to-end behaviour is in test_bad_input.py and test_web_conversation.py)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml

from channels.commands import (
    MAX_MESSAGE_LENGTH, CommandList, RequestRefused, button_payloads, clean_text, deep_link_greeting,
    message_text, parse_json_object, plain_text_for_nlu,
)
from channels.rest import plain_parse, read_request
from tests.page_server import ROOT
from tests.servers import free_port
from web.rate_limit import RateLimiter


def test_command_list_is_every_button_payload_in_domain_and_messages_plus_the_greeting_and_language_switch():
    commands = CommandList.load()
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    messages = yaml.safe_load((ROOT / "policy" / "messages.yml").read_text())
    from_domain = {b["payload"] for variations in domain["responses"].values() for v in variations
                   for b in v.get("buttons") or []}
    from_messages = {b["payload"] for entry in messages.values() if isinstance(entry, dict)
                     for b in entry.get("buttons") or []}
    assert from_domain and from_messages
    assert commands.payloads == from_domain | from_messages | {"/greet", "/switch_language"}
    for typed in ("/restart", "/back", "/session_start", "/stop", "/ask_balance", '/greet{"verified": true}',
                  '/greet{"account_id": "AC-10023", "verified": true}', '/greet{"account_id": ["AC-10023"]}',
                  '/greet{"account_id": "<script>"}', "/greet@1.0", "/affirm{}", "/ affirm"):
        assert not commands.allows(typed), typed
    assert commands.allows(deep_link_greeting("AC-900001")) and commands.allows('/greet{"account_id": "ac900001"}')


def test_a_button_added_to_a_policy_file_joins_the_list(tmp_path):
    source = tmp_path / "messages.yml"
    source.write_text(yaml.safe_dump({"offer": {"text": "Pick", "buttons": [
        {"title": "Weekly", "payload": "/choose_weekly"}, {"title": "Say it", "payload": "plain words"}]},
        "nested": [{"buttons": [{"title": "x", "payload": "/deep"}]}]}))
    assert button_payloads([source]) == {"/choose_weekly", "/deep"}
    assert CommandList.load([source]).allows("/choose_weekly")


def test_typed_text_reaches_nlu_without_its_slashes_and_entities_point_at_what_was_written():
    assert plain_text_for_nlu("/restart") == "restart"
    assert plain_text_for_nlu("// I'll pay next month") == "I'll pay next month"
    assert plain_text_for_nlu("/") == "/"
    text = "/my account is AC-10023"
    nlu = plain_text_for_nlu(text)
    parsed = plain_parse({"text": nlu, "intent": {"name": "provide_account"},
                          "entities": [{"entity": "account_id", "value": "AC-10023", "start": 14, "end": 22}]},
                         text, nlu)
    entity = parsed["entities"][0]
    assert parsed["text"] == text and text[entity["start"]:entity["end"]] == "AC-10023"


@pytest.mark.parametrize("body, status, words", [
    (b"", 400, "JSON"), (b"[1]", 400, "object"), (b"\xff", 400, "UTF-8"), (b"[" * 5000 + b"]" * 5000, 400, "nested"),
    (b'{"a": ' * 30 + b"1" + b"}" * 30, 400, "nested"),
])
def test_bad_bodies_are_refused_with_a_reason(body, status, words):
    with pytest.raises(RequestRefused) as refused:
        parse_json_object(body, "{...}")
    assert refused.value.status == status and words in refused.value.message


def test_rest_request_needs_a_sender_and_a_string_message():
    assert read_request(b'{"sender": "a-1", "message": " hi\\u0000 "}') == \
        {"sender": "a-1", "message": "hi", "metadata": None}
    for body, words in ((b'{"message": "hi"}', "required"), (b'{"sender": "", "message": "hi"}', "required"),
                        (b'{"sender": "a/b", "message": "hi"}', "letters"), (b'{"sender": "a", "message": 1}', "string"),
                        (b'{"sender": "a", "message": "hi", "metadata": []}', "metadata"),
                        (b'{"sender": "a", "message": "' + b"x" * 20_000 + b'"}', "bytes")):
        with pytest.raises(RequestRefused) as refused:
            read_request(body)
        assert words in refused.value.message


def test_message_text_is_cleaned_and_limited():
    assert clean_text("a\x00b\x1bc\td\ne\ud800") == "a b c\td\ne\ufffd"
    assert message_text("x" * MAX_MESSAGE_LENGTH) == "x" * MAX_MESSAGE_LENGTH
    with pytest.raises(RequestRefused) as refused:
        message_text("x" * (MAX_MESSAGE_LENGTH + 1))
    assert refused.value.status == 413
    with pytest.raises(RequestRefused):
        message_text("\x00 \x07")


def test_rate_limiter_counts_per_address_within_the_window():
    now = [100.0]
    limiter = RateLimiter(2, 60, clock=lambda: now[0])
    assert limiter.retry_after("10.0.0.1") == 0 and limiter.retry_after("10.0.0.1") == 0
    assert limiter.retry_after("10.0.0.1") == 60
    assert limiter.retry_after("10.0.0.2") == 0, "another address has its own count"
    now[0] += 59.5
    assert limiter.retry_after("10.0.0.1") == 1
    now[0] += 1
    assert limiter.retry_after("10.0.0.1") == 0, "refused attempts do not count"
    with pytest.raises(ValueError):
        RateLimiter(0, 60)


@pytest.mark.parametrize("env, words", [
    ({"COLLECTIONS_ENV": "production", "RASA_AUTH_TOKEN": "a-long-random-rasa-token-1234"}, "WEB_SECRET_KEY"),
    ({"COLLECTIONS_ENV": "production", "WEB_SECRET_KEY": "a-long-random-web-secret-1234"}, "RASA_AUTH_TOKEN"),
    ({"BIND_HOST": "0.0.0.0"}, "beyond loopback"),
])
def test_page_refuses_to_start_with_public_default_secrets_outside_development(env, words):
    clean = {k: v for k, v in os.environ.items() if k not in ("WEB_SECRET_KEY", "RASA_AUTH_TOKEN", "BIND_HOST",
                                                              "COLLECTIONS_ENV")}
    started = subprocess.run([sys.executable, "-m", "web.server", "--port", str(free_port())], cwd=ROOT,
                             env={**clean, **env}, capture_output=True, text=True, timeout=60)
    assert started.returncode != 0
    assert "Refusing to start" in started.stderr and words in started.stderr, started.stderr
