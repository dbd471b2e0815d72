"""Supervisor review over the conversation index: inbox filters and pages, review status, tags, notes, message
flags, intent corrections, saved test stories, and the dashboard's figures. Tables in actions/models.py."""
from __future__ import annotations

import re
from collections import Counter, OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Dict, List, Mapping, Optional, Sequence

import yaml
from sqlalchemy import and_, delete, exists, func, select
from sqlalchemy.orm import Session

from actions.commitments import OUTCOME_CODES
from actions.compliance import CompliancePolicy
from actions.conversation_index import HANDOFF_FLAG, ConversationIndex, Transcript, split_members
from actions.escalation import EscalationPolicy
from actions.models import (
    AccountFlagRow, IntentCorrectionRow, OutcomeRow, PromiseRow, ReviewConversationRow, ReviewMessageFlagRow,
    ReviewNoteRow, ReviewTagRow, SavedStoryRow, utc_now,
)
from actions.policy_files import PROJECT_ROOT

REVIEW_STATUSES = ("unreviewed", "reviewed", "saved_for_later")
PAGE_SIZE = 50
MAX_PAGE = 100000
MAX_TAG = 40
MAX_TAGS_PER_CALL = 20
MAX_NOTE = 4000
MAX_REASON = 500
MAX_QUERY = 200
TAG_RE = re.compile(r"^[^\x00-\x1f]{1,40}$")
ACCOUNT_RE = re.compile(r"^[A-Za-z0-9-]{1,32}$")
CONVERSATION_RE = re.compile(r"^[^\x00-\x1f/]{1,255}$")
COMMITTED = ("PROMISE_TO_PAY", "PAYMENT_PLAN", "PARTIAL_PAYMENT", "PAY_NOW")
FILTER_KEYS = ("from", "to", "outcome", "intent", "tone", "flag", "confidence_below", "fallback", "status", "tag",
               "account", "q", "page")


class ReviewError(ValueError):
    """Bad input from a reviewer; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def domain_intents() -> List[str]:
    with open(PROJECT_ROOT / "domain.yml", encoding="utf-8") as handle:
        return [i if isinstance(i, str) else next(iter(i)) for i in yaml.safe_load(handle)["intents"]]


def compliance_flags() -> List[str]:
    stops = CompliancePolicy.from_yaml(EscalationPolicy.from_yaml()).stops.values()
    return sorted({s.flag for s in stops}) + [HANDOFF_FLAG]


@dataclass(frozen=True)
class Vocabulary:
    """The lists filters are checked against, each read from where it is defined."""
    intents: Sequence[str]
    tones: Sequence[str]
    flags: Sequence[str]
    outcomes: Sequence[str]

    @classmethod
    def load(cls) -> "Vocabulary":
        return cls(domain_intents() + ["nlu_fallback"], list(EscalationPolicy.from_yaml().tones),
                   compliance_flags(), list(OUTCOME_CODES))


@dataclass(frozen=True)
class InboxFilter:
    start: Optional[date] = None
    end: Optional[date] = None
    outcome: Optional[str] = None
    intent: Optional[str] = None
    tone: Optional[str] = None
    flag: Optional[str] = None
    confidence_below: Optional[float] = None
    fallback: Optional[bool] = None
    status: Optional[str] = None
    tag: Optional[str] = None
    account: Optional[str] = None
    q: Optional[str] = None
    page: int = 1

    @classmethod
    def parse(cls, query: Mapping[str, str], vocabulary: Vocabulary) -> "InboxFilter":
        """From URL query parameters; raises ReviewError naming the first bad one. Empty values mean "any"."""
        values = {k: (query.get(k) or "").strip() for k in FILTER_KEYS}
        unknown = sorted(set(query) - set(FILTER_KEYS))
        if unknown:
            raise ReviewError(f"unknown filter(s): {', '.join(unknown)}; filters are {', '.join(FILTER_KEYS)}")

        def one_of(key: str, allowed: Sequence[str]) -> Optional[str]:
            value = values[key]
            if value and value not in allowed:
                raise ReviewError(f"{key}={value[:60]!r} is not one of: {', '.join(allowed)}")
            return value or None

        def day(key: str) -> Optional[date]:
            try:
                return date.fromisoformat(values[key]) if values[key] else None
            except ValueError:
                raise ReviewError(f"{key} must be a date written YYYY-MM-DD, not {values[key][:40]!r}") from None

        confidence = None
        if values["confidence_below"]:
            try:
                confidence = float(values["confidence_below"])
            except ValueError:
                confidence = -1.0
            if not 0 <= confidence <= 1:
                raise ReviewError("confidence_below must be a number from 0 to 1")
        fallback = None
        if values["fallback"]:
            if values["fallback"].lower() not in ("yes", "no", "true", "false", "1", "0"):
                raise ReviewError("fallback must be yes or no")
            fallback = values["fallback"].lower() in ("yes", "true", "1")
        page = 1
        if values["page"]:
            if not values["page"].isdigit() or not 1 <= int(values["page"]) <= MAX_PAGE:
                raise ReviewError(f"page must be a whole number from 1 to {MAX_PAGE}")
            page = int(values["page"])
        if values["tag"] and not TAG_RE.match(values["tag"]):
            raise ReviewError(f"tag must be 1 to {MAX_TAG} characters")
        if values["account"] and not ACCOUNT_RE.match(values["account"]):
            raise ReviewError("account must be an account reference such as AC-10023")
        if len(values["q"]) > MAX_QUERY:
            raise ReviewError(f"q (text search) may be at most {MAX_QUERY} characters")
        start, end = day("from"), day("to")
        if start and end and end < start:
            raise ReviewError("'to' is before 'from'")
        return cls(start, end, one_of("outcome", vocabulary.outcomes), one_of("intent", vocabulary.intents),
                   one_of("tone", vocabulary.tones), one_of("flag", vocabulary.flags), confidence, fallback,
                   one_of("status", REVIEW_STATUSES), values["tag"] or None, values["account"].upper() or None,
                   values["q"] or None, page)

    def conditions(self) -> list:
        row = ReviewConversationRow
        found = []
        if self.start:
            found.append(row.started_at >= datetime.combine(self.start, datetime.min.time()))
        if self.end:
            found.append(row.started_at < datetime.combine(self.end + timedelta(days=1), datetime.min.time()))
        if self.outcome:
            found.append(row.outcome == self.outcome)
        if self.intent:
            found.append(row.intents.like(f"%;{self.intent};%"))
        if self.tone:
            found.append(row.max_tone == self.tone)
        if self.flag:
            found.append(row.flags.like(f"%;{self.flag};%"))
        if self.confidence_below is not None:
            found.append(row.min_confidence < self.confidence_below)
        if self.fallback is not None:
            found.append(row.fallbacks > 0 if self.fallback else row.fallbacks == 0)
        if self.status:
            found.append(row.review_status == self.status)
        if self.tag:
            found.append(exists().where(and_(ReviewTagRow.conversation_id == row.conversation_id,
                                             ReviewTagRow.tag == self.tag)))
        if self.account:
            found.append(row.account_id == self.account)
        if self.q:
            escaped = self.q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            found.append(row.search_text.like(f"%{escaped}%", escape="\\"))
        return found

    def as_query(self, **changes: Any) -> Dict[str, str]:
        """The non-empty filters as URL parameters (for links that keep the view)."""
        values = {"from": self.start, "to": self.end, "outcome": self.outcome, "intent": self.intent,
                  "tone": self.tone, "flag": self.flag, "confidence_below": self.confidence_below,
                  "fallback": None if self.fallback is None else ("yes" if self.fallback else "no"),
                  "status": self.status, "tag": self.tag, "account": self.account, "q": self.q,
                  "page": self.page if self.page > 1 else None}
        values.update(changes)
        return {k: str(v) for k, v in values.items() if v not in (None, "")}


def summary(row: ReviewConversationRow, tags: Sequence[str]) -> Dict[str, Any]:
    return {"conversation_id": row.conversation_id, "started_at": row.started_at.isoformat() + "Z",
            "account_id": row.account_id, "outcome": row.outcome, "max_tone": row.max_tone,
            "objections": split_members(row.objections), "flags": split_members(row.flags), "turns": row.turns,
            "min_confidence": None if row.min_confidence is None else round(row.min_confidence, 4),
            "fallbacks": row.fallbacks, "review_status": row.review_status, "tags": list(tags),
            "score": row.score}


class ReviewStore:
    def __init__(self, index: ConversationIndex, vocabulary: Optional[Vocabulary] = None):
        self.index = index
        self.sessions = index.sessions
        self.vocabulary = vocabulary or Vocabulary.load()

    def session(self) -> Session:
        return self.sessions()

    # ------------------------------------------------------------ inbox

    def inbox(self, where: InboxFilter, page_size: int = PAGE_SIZE) -> Dict[str, Any]:
        self.index.refresh()
        conditions = where.conditions()
        with self.session() as session:
            total = session.scalar(select(func.count()).select_from(ReviewConversationRow).where(*conditions))
            rows = list(session.scalars(
                select(ReviewConversationRow).where(*conditions)
                .order_by(ReviewConversationRow.started_at.desc(), ReviewConversationRow.conversation_id)
                .offset((where.page - 1) * page_size).limit(page_size)))
            tags = self._tags(session, [r.conversation_id for r in rows])
        return {"total": total, "page": where.page, "page_size": page_size,
                "items": [summary(r, tags.get(r.conversation_id, [])) for r in rows]}

    def all_matching(self, where: InboxFilter) -> List[Dict[str, Any]]:
        self.index.refresh()
        with self.session() as session:
            rows = list(session.scalars(select(ReviewConversationRow).where(*where.conditions())
                                        .order_by(ReviewConversationRow.started_at.desc(),
                                                  ReviewConversationRow.conversation_id)))
            tags = self._tags(session, None)
        return [summary(r, tags.get(r.conversation_id, [])) for r in rows]

    @staticmethod
    def _tags(session: Session, conversation_ids: Optional[List[str]]) -> Dict[str, List[str]]:
        query = select(ReviewTagRow.conversation_id, ReviewTagRow.tag).order_by(ReviewTagRow.tag)
        if conversation_ids is not None:
            query = query.where(ReviewTagRow.conversation_id.in_(conversation_ids))
        found: Dict[str, List[str]] = {}
        for conversation_id, tag in session.execute(query):
            found.setdefault(conversation_id, []).append(tag)
        return found

    # ------------------------------------------------------------ one conversation

    def conversation_row(self, conversation_id: str) -> ReviewConversationRow:
        if not isinstance(conversation_id, str) or not CONVERSATION_RE.match(conversation_id):
            raise ReviewError("no such conversation", 404)
        self.index.refresh()
        with self.session() as session:
            row = session.get(ReviewConversationRow, conversation_id)
        if row is None:
            raise ReviewError(f"no conversation {conversation_id[:80]!r}", 404)
        return row

    def transcript(self, conversation_id: str) -> Transcript:
        self.conversation_row(conversation_id)
        transcript = self.index.transcript(conversation_id)
        if transcript is None:
            raise ReviewError(f"no conversation {conversation_id[:80]!r}", 404)
        return transcript

    def detail(self, conversation_id: str, scorecard: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        row = self.conversation_row(conversation_id)
        transcript = self.transcript(conversation_id)
        with self.session() as session:
            recorded = session.get(OutcomeRow, conversation_id)
            account_flags = list(session.scalars(select(AccountFlagRow.flag).where(
                AccountFlagRow.conversation_id == conversation_id)))
            tags = self._tags(session, [conversation_id]).get(conversation_id, [])
            notes = list(session.scalars(select(ReviewNoteRow).where(ReviewNoteRow.conversation_id == conversation_id)
                                         .order_by(ReviewNoteRow.written_at, ReviewNoteRow.id)))
            flagged = {f.event_id: f for f in session.scalars(select(ReviewMessageFlagRow).where(
                ReviewMessageFlagRow.conversation_id == conversation_id))}
            corrected = {c.event_id: c.corrected_intent for c in session.scalars(select(IntentCorrectionRow).where(
                IntentCorrectionRow.conversation_id == conversation_id))}
            saved = session.get(SavedStoryRow, conversation_id) is not None
        turns = []
        for turn in transcript.turns:
            item = {"message_id": turn.event_id, "speaker": turn.speaker, "text": turn.text,
                    "time": turn.time.isoformat() + "Z", "intent": turn.intent, "confidence": turn.confidence,
                    "next_intents": turn.ranking, "entities": turn.entities, "action": turn.action,
                    "tone": turn.tone, "fallback": turn.fallback, "slot_changes": turn.slot_changes,
                    "flagged": turn.event_id in flagged,
                    "flag_reason": flagged[turn.event_id].reason if turn.event_id in flagged else None,
                    "corrected_intent": corrected.get(turn.event_id)}
            turns.append(item)
        return {"conversation_id": conversation_id, "started_at": row.started_at.isoformat() + "Z",
                "account_id": row.account_id, "turns": turns,
                "flags": sorted(set(transcript.flags) | set(account_flags)),
                "outcome": recorded.outcome if recorded else transcript.outcome,
                "recorded_outcome": None if recorded is None else {
                    "outcome": recorded.outcome, "account_id": recorded.account_id,
                    "promise_date": recorded.promise_date.isoformat() if recorded.promise_date else None,
                    "promise_amount": str(recorded.promise_amount) if recorded.promise_amount is not None else None,
                    "max_tone": recorded.max_tone, "recorded_at": recorded.recorded_at.isoformat() + "Z"},
                "max_tone": row.max_tone, "objections": split_members(row.objections),
                "review_status": row.review_status, "tags": tags,
                "notes": [{"author": n.author, "text": n.text, "written_at": n.written_at.isoformat() + "Z"}
                          for n in notes],
                "saved_as_story": saved, "scorecard": scorecard}

    def unscored(self, limit: int, skip: Sequence[str] = ()) -> List[str]:
        """Verified conversations without a score yet, most recently active first."""
        row = ReviewConversationRow
        with self.session() as session:
            found = session.scalars(select(row.conversation_id).where(row.score.is_(None), row.account_id.isnot(None))
                                    .order_by(row.last_event_at.desc()).limit(limit + len(skip)))
            return [c for c in found if c not in skip][:limit]

    def set_score(self, conversation_id: str, score: Optional[int]) -> None:
        with self.session() as session, session.begin():
            row = session.get(ReviewConversationRow, conversation_id)
            if row is not None:
                row.score = score

    # ------------------------------------------------------------ what a supervisor records

    def set_status(self, conversation_id: str, status: Any, by: str) -> str:
        if status not in REVIEW_STATUSES:
            raise ReviewError(f"status must be one of: {', '.join(REVIEW_STATUSES)}")
        self.conversation_row(conversation_id)
        with self.session() as session, session.begin():
            row = session.get(ReviewConversationRow, conversation_id)
            row.review_status, row.reviewed_by, row.reviewed_at = status, by, utc_now()
        return status

    def change_tags(self, conversation_id: str, add: Any, remove: Any, by: str) -> List[str]:
        add, remove = self._tag_list(add, "add"), self._tag_list(remove, "remove")
        if not add and not remove:
            raise ReviewError("send tags to 'add' and/or 'remove'")
        self.conversation_row(conversation_id)
        with self.session() as session, session.begin():
            if remove:
                session.execute(delete(ReviewTagRow).where(ReviewTagRow.conversation_id == conversation_id,
                                                           ReviewTagRow.tag.in_(remove)))
            present = set(session.scalars(select(ReviewTagRow.tag).where(
                ReviewTagRow.conversation_id == conversation_id)))
            for tag in add:
                if tag not in present:
                    session.add(ReviewTagRow(conversation_id=conversation_id, tag=tag, added_by=by))
                    present.add(tag)
        with self.session() as session:
            return self._tags(session, [conversation_id]).get(conversation_id, [])

    @staticmethod
    def _tag_list(value: Any, key: str) -> List[str]:
        if value is None:
            return []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or len(value) > MAX_TAGS_PER_CALL:
            raise ReviewError(f"'{key}' must be a tag or a list of at most {MAX_TAGS_PER_CALL} tags")
        tags = []
        for tag in value:
            if not isinstance(tag, str) or not TAG_RE.match(tag.strip()):
                raise ReviewError(f"each tag must be text of 1 to {MAX_TAG} characters without control characters")
            tags.append(tag.strip())
        return tags

    def add_note(self, conversation_id: str, text: Any, by: str) -> Dict[str, Any]:
        if not isinstance(text, str) or not text.strip():
            raise ReviewError("'text' must be a non-empty note")
        if len(text) > MAX_NOTE:
            raise ReviewError(f"a note may be at most {MAX_NOTE} characters; this one has {len(text)}", 413)
        self.conversation_row(conversation_id)
        with self.session() as session, session.begin():
            note = ReviewNoteRow(conversation_id=conversation_id, author=by, text=text.strip())
            session.add(note)
            session.flush()
            return {"author": note.author, "text": note.text, "written_at": note.written_at.isoformat() + "Z"}

    def _message(self, conversation_id: str, message_id: Any, speaker: Optional[str] = None):
        transcript = self.transcript(conversation_id)
        if isinstance(message_id, bool) or not isinstance(message_id, int):
            raise ReviewError("'message_id' must be the number of a message in this conversation")
        for turn in transcript.turns:
            if turn.event_id == message_id and (speaker is None or turn.speaker == speaker):
                return transcript, turn
        raise ReviewError(f"message {message_id} is not a {speaker or 'message'} of this conversation", 404)

    def flag_message(self, conversation_id: str, message_id: Any, reason: Any, flagged: Any, by: str) -> bool:
        self._message(conversation_id, message_id)
        reason = "" if reason is None else reason
        if not isinstance(reason, str) or len(reason) > MAX_REASON:
            raise ReviewError(f"'reason' must be text of at most {MAX_REASON} characters")
        with self.session() as session, session.begin():
            session.execute(delete(ReviewMessageFlagRow).where(ReviewMessageFlagRow.conversation_id == conversation_id,
                                                               ReviewMessageFlagRow.event_id == message_id))
            if flagged is not False:
                session.add(ReviewMessageFlagRow(conversation_id=conversation_id, event_id=message_id,
                                                 reason=reason.strip(), flagged_by=by))
        return flagged is not False

    def correct_intent(self, conversation_id: str, message_id: Any, intent: Any, by: str) -> Dict[str, Any]:
        if intent not in self.vocabulary.intents or intent == "nlu_fallback":
            raise ReviewError("'intent' must be one of the assistant's intents (domain.yml)")
        _, turn = self._message(conversation_id, message_id, "debtor")
        with self.session() as session, session.begin():
            row = session.scalar(select(IntentCorrectionRow).where(
                IntentCorrectionRow.conversation_id == conversation_id, IntentCorrectionRow.event_id == message_id))
            row = row or IntentCorrectionRow(conversation_id=conversation_id, event_id=message_id)
            row.text, row.annotated_text = turn.text, annotated(turn.text, turn.entities)
            row.predicted_intent, row.corrected_intent = turn.intent, intent
            row.corrected_by, row.corrected_at = by, utc_now()
            session.add(row)
        return {"message_id": message_id, "text": turn.text, "predicted_intent": turn.intent,
                "corrected_intent": intent}

    def save_story(self, conversation_id: str, by: str) -> str:
        transcript = self.transcript(conversation_id)
        with self.session() as session:
            corrected = {c.event_id: c.corrected_intent for c in session.scalars(select(IntentCorrectionRow).where(
                IntentCorrectionRow.conversation_id == conversation_id))}
        story = story_yaml([transcript], {conversation_id: corrected})
        with self.session() as session, session.begin():
            row = session.get(SavedStoryRow, conversation_id) or SavedStoryRow(conversation_id=conversation_id)
            row.story_yaml, row.saved_by, row.saved_at = story, by, utc_now()
            session.add(row)
        return story

    # ------------------------------------------------------------ back into training

    def corrections(self) -> List[IntentCorrectionRow]:
        with self.session() as session:
            return list(session.scalars(select(IntentCorrectionRow).order_by(
                IntentCorrectionRow.corrected_intent, IntentCorrectionRow.corrected_at)))

    def saved_stories(self) -> List[SavedStoryRow]:
        with self.session() as session:
            return list(session.scalars(select(SavedStoryRow).order_by(SavedStoryRow.saved_at)))

    # ------------------------------------------------------------ dashboard

    def dashboard(self, start: date, end: date) -> Dict[str, Any]:
        self.index.refresh()
        row = ReviewConversationRow
        with self.session() as session:
            rows = session.execute(select(
                row.conversation_id, row.started_at, row.outcome, row.max_tone, row.flags, row.intents, row.turns,
                row.fallbacks).where(*InboxFilter(start=start, end=end).conditions())).all()
            promises = Counter(session.scalars(select(PromiseRow.status).where(PromiseRow.conversation_id.in_(
                select(row.conversation_id).where(*InboxFilter(start=start, end=end).conditions())))))
        days = OrderedDict(((start + timedelta(days=n)).isoformat(), []) for n in range((end - start).days + 1))
        for item in rows:
            days.setdefault(item.started_at.date().isoformat(), []).append(item)
        per_day = {d: len(items) for d, items in days.items()}
        outcomes = Counter(r.outcome for r in rows)
        flags = Counter(f for r in rows for f in split_members(r.flags))
        intents = Counter(i for r in rows for i in split_members(r.intents))
        tones = Counter(r.max_tone or "none" for r in rows)

        def rate(items, test) -> float:
            return round(100 * sum(1 for i in items if test(i)) / len(items), 1) if items else 0.0

        stops = [f for f in self.vocabulary.flags if f != HANDOFF_FLAG]
        tone_labels = list(self.vocabulary.tones) + ["none"]
        day_labels, by_day = list(days), list(days.values())
        promise_rate = [rate(items, lambda i: i.outcome in COMMITTED) for items in by_day]
        handoffs = [sum(1 for i in items if HANDOFF_FLAG in split_members(i.flags)) for items in by_day]
        fallback_rate = [round(100 * sum(i.fallbacks for i in items) / max(1, sum(i.turns for i in items)), 1)
                         for items in by_day]
        return {
            "from": start.isoformat(), "to": end.isoformat(), "total": len(rows),
            "charts": [
                chart("per_day", "Day", "Conversations per day", "bar", day_labels,
                      {"Conversations": list(per_day.values())}),
                chart("outcomes", "Outcome", "Outcomes", "bar", sorted(outcomes),
                      {"Conversations": [outcomes[o] for o in sorted(outcomes)]}),
                chart("promise_rate", "Day", "Promise-to-pay rate (%)", "line", day_labels,
                      {"Promise-to-pay rate (%)": promise_rate}),
                chart("promises", "Promise status", "Promises kept versus broken", "bar", ["kept", "broken", "open"],
                      {"Promises": [promises["kept"], promises["broken"], promises["open"]]}),
                chart("stops", "Flag", "Disputes, stop requests and hardship", "bar", stops,
                      {"Conversations": [flags[f] for f in stops]}),
                chart("handoffs", "Day", "Hand-offs to a person", "bar", day_labels, {"Hand-offs": handoffs}),
                chart("fallback_rate", "Day", "Fallback rate (% of debtor messages)", "line", day_labels,
                      {"Fallback rate (%)": fallback_rate}),
                chart("intents", "Intent", "Intents (conversations in which each was seen)", "bar",
                      [i for i, _ in intents.most_common()], {"Conversations": [n for _, n in intents.most_common()]}),
                chart("tones", "Tone", "Highest tone reached", "bar", tone_labels,
                      {"Conversations": [tones[t] for t in tone_labels]}),
            ]}


def chart(key: str, label_name: str, title: str, kind: str, labels: List[str],
          series: Dict[str, List[Any]]) -> Dict[str, Any]:
    return {"id": key, "title": title, "type": kind, "label_name": label_name, "labels": labels,
            "series": [{"label": name, "values": values} for name, values in series.items()]}


# ---------------------------------------------------------------- Rasa YAML for training and tests

def annotated(text: str, entities: Sequence[Dict[str, Any]]) -> str:
    """The text with ``[value](entity)`` marks where the model found entities, as Rasa NLU data writes them."""
    spans = sorted((e for e in entities if isinstance(e.get("start"), int) and isinstance(e.get("end"), int)
                    and 0 <= e["start"] < e["end"] <= len(text) and e.get("entity")), key=lambda e: e["start"])
    out, at = [], 0
    for entity in spans:
        if entity["start"] < at:
            continue
        out.append(text[at:entity["start"]])
        out.append(f"[{text[entity['start']:entity['end']]}]({entity['entity']})")
        at = entity["end"]
    out.append(text[at:])
    return " ".join("".join(out).split())


class _Literal(str):
    """A YAML block scalar (``|``), the way Rasa's own files write examples and user messages."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Literal, lambda dumper, value: dumper.represent_scalar(
    "tag:yaml.org,2002:str", value, style="|"))


def nlu_yaml(corrections: Sequence[IntentCorrectionRow]) -> str:
    """Rasa 3.x NLU YAML with each corrected message under its corrected intent."""
    by_intent: Dict[str, List[str]] = OrderedDict()
    for row in corrections:
        examples = by_intent.setdefault(row.corrected_intent, [])
        if row.annotated_text not in examples:
            examples.append(row.annotated_text)
    data = {"version": "3.1", "nlu": [
        {"intent": intent, "examples": _Literal("".join(f"- {e}\n" for e in examples))}
        for intent, examples in by_intent.items()]}
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=10000)


def merged_stories_yaml(documents: Sequence[Dict[str, Any]]) -> str:
    """Several saved story files as one test-story file."""
    stories = [story for document in documents for story in (document or {}).get("stories") or []]
    for story in stories:
        for step in story.get("steps") or []:
            if isinstance(step.get("user"), str):
                step["user"] = _Literal(step["user"])
    return yaml.dump({"version": "3.1", "stories": stories}, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     width=10000)


def story_yaml(transcripts: Sequence[Transcript], corrections: Mapping[str, Mapping[int, str]]) -> str:
    """Rasa test stories (tests/ format): each debtor message with its intent (corrected where a reviewer
    corrected it), the actions that followed and the slots they set."""
    stories = []
    for transcript in transcripts:
        fixed = corrections.get(transcript.conversation_id, {})
        steps: List[Dict[str, Any]] = []
        for kind, value in transcript.steps:
            if kind == "user":
                intent = fixed.get(value.event_id) or value.intent
                if not intent or not value.text.strip():
                    continue
                steps.append({"user": _Literal(annotated(value.text, value.entities) + "\n"), "intent": intent})
            elif kind == "action":
                steps.append({"action": value})
            elif kind == "slot" and steps:
                if "slot_was_set" not in steps[-1]:
                    steps.append({"slot_was_set": []})
                steps[-1]["slot_was_set"].append({value[0]: value[1]})
        stories.append({"story": f"reviewed conversation {transcript.conversation_id}", "steps": steps})
    return yaml.dump({"version": "3.1", "stories": stories}, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     width=10000)
