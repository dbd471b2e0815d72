"""The REST channel (POST /webhooks/rest/webhook) with typed commands disarmed and bad requests refused.

Registered in credentials.yml in place of Rasa's ``rest:``. Body: ``{"sender": str, "message": str,
"metadata"?: object}``. A text starting with "/" acts as an intent only if it is one of our own button payloads
or the page's greeting (channels.commands.CommandList); with ``"metadata": {"typed": true}`` (what the debtor
page sends for typed text) never. Otherwise the language model reads it as plain words and the conversation
records exactly what was written.
"""
from __future__ import annotations

import copy
import logging
from asyncio import CancelledError
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.commands import (
    SENDER_RE, CommandList, RequestRefused, looks_like_command, message_text, parse_json_object,
    plain_text_for_nlu,
)

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 16 * 1024
EXPECTED = '{"sender": "...", "message": "..."}'
TYPED = "typed"


def read_request(body: bytes) -> Dict[str, Any]:
    """``{"sender", "message", "metadata"}`` from a request body, or RequestRefused."""
    if len(body) > MAX_BODY_BYTES:
        raise RequestRefused(413, f"The request body can be at most {MAX_BODY_BYTES} bytes.")
    payload = parse_json_object(body, EXPECTED)
    sender = payload.get("sender")
    if sender is None or sender == "":
        raise RequestRefused(400, "\"sender\" is required: each conversation needs its own sender id.")
    if not isinstance(sender, str) or not SENDER_RE.match(sender):
        raise RequestRefused(400, "\"sender\" must be 1-128 letters, digits or - _ . : @, starting with a "
                                  "letter or digit.")
    metadata = payload.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise RequestRefused(400, "\"metadata\" must be a JSON object.")
    return {"sender": sender, "message": message_text(payload.get("message")), "metadata": metadata}


def plain_parse(parse_data: Dict[str, Any], text: str, nlu_text: str) -> Dict[str, Any]:
    """NLU's reading of ``nlu_text`` (a suffix of ``text``), recorded against what was really written."""
    shift = len(text) - len(nlu_text)
    parsed = dict(parse_data, text=text)
    parsed["entities"] = [dict(e, start=e["start"] + shift, end=e["end"] + shift)
                          if isinstance(e.get("start"), int) and isinstance(e.get("end"), int) else e
                          for e in parse_data.get("entities") or []]
    return parsed


def no_reply_text() -> str:
    """What the debtor reads when a message produced no answer at all (the action server down or an action
    failing): policy/messages.yml's something_went_wrong, never silence."""
    from actions.creditor import load_creditor
    from actions.messages import MessageCatalogue
    return MessageCatalogue.from_yaml().render("something_went_wrong",
                                               support_phone=load_creditor().support_phone)["text"]


class GuardedRestInput(RestInput):
    def __init__(self, commands: Optional[CommandList] = None) -> None:
        self.commands = commands or CommandList.load()
        self.no_reply = no_reply_text()

    @classmethod
    def name(cls) -> Text:
        return "rest"

    def is_command(self, text: str, metadata: Optional[Dict[str, Any]]) -> bool:
        return not (metadata or {}).get(TYPED) and self.commands.allows(text)

    async def parse_as_plain_text(self, request: Request, text: str) -> Dict[str, Any]:
        nlu_text = plain_text_for_nlu(text)
        parse_data = await request.app.ctx.agent.parse_message(nlu_text)
        return plain_parse(parse_data, text, nlu_text.strip())

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("guarded_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                incoming = read_request(request.body or b"")
            except RequestRefused as refused:
                return response.json({"error": refused.message}, status=refused.status)
            agent = request.app.ctx.agent
            if agent is None or not agent.is_ready():
                return response.json({"error": "The assistant is starting; please try again shortly."}, status=503)
            text, metadata = incoming["message"], incoming["metadata"]
            parse_data = None
            if looks_like_command(text) and not self.is_command(text, metadata):
                parse_data = await self.parse_as_plain_text(request, text)
            collector = CollectingOutputChannel()
            try:
                await on_new_message(UserMessage(text, collector, incoming["sender"], parse_data=parse_data,
                                                 input_channel=self.name(), metadata=metadata))
            except CancelledError:
                log.error("Timed out handling a message: %r", copy.deepcopy(text)[:80])
            except Exception:
                log.exception("Failed to handle a message: %r", copy.deepcopy(text)[:80])
            if not collector.messages:
                log.error("No reply to a message (is the action server down?); the debtor is asked to try again")
                await collector.send_text_message(incoming["sender"], self.no_reply)
            return response.json(collector.messages)

        return webhook
