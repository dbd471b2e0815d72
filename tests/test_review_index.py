"""The conversation index reads only new tracker events and keeps what reviewers recorded (no Rasa needed)."""
import random

from sqlalchemy import text

from actions.conversation_index import ConversationIndex
from actions.review_store import InboxFilter, ReviewStore
from benchmarks.review_inbox import _events, fill_tracker


def test_refresh_reads_only_new_events_and_keeps_review_work(tmp_path):
    tracker, accounts = f"sqlite:///{tmp_path / 'tracker.db'}", f"sqlite:///{tmp_path / 'accounts.db'}"
    fill_tracker(tracker, 40)
    index = ConversationIndex(tracker, accounts)
    store = ReviewStore(index)
    assert index.refresh() == 40 and index.refresh() == 0
    assert store.inbox(InboxFilter())["total"] == 40
    store.set_status("bench-000003", "reviewed", "sam")
    store.change_tags("bench-000003", ["keep"], None, "sam")

    extra = _events("bench-000003", 1795000000.0, random.Random(7)) + _events("late-one", 1795000100.0,
                                                                              random.Random(8))
    with index.events.engine.begin() as connection:
        connection.execute(text("INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data)"
                                " VALUES (:s, :k, :t, :i, :a, :d)"),
                           [dict(zip(("s", "k", "t", "i", "a", "d"), row)) for row in extra])
    assert index.refresh() == 2
    listed = store.inbox(InboxFilter(status="reviewed"))
    assert [i["conversation_id"] for i in listed["items"]] == ["bench-000003"]
    assert listed["items"][0]["tags"] == ["keep"]
    assert store.inbox(InboxFilter())["total"] == 41


def test_summaries_follow_the_events(tmp_path):
    tracker, accounts = f"sqlite:///{tmp_path / 'tracker.db'}", f"sqlite:///{tmp_path / 'accounts.db'}"
    fill_tracker(tracker, 200)
    index = ConversationIndex(tracker, accounts)
    store = ReviewStore(index)
    for item in store.all_matching(InboxFilter()):
        transcript = index.transcript(item["conversation_id"])
        assert item["turns"] == len(transcript.debtor_turns)
        assert item["fallbacks"] == transcript.fallbacks
        assert item["outcome"] == transcript.outcome and item["flags"] == transcript.flags
        tones = [t.tone for t in transcript.turns if t.speaker == "assistant" and t.tone]
        assert item["max_tone"] == (max(tones, key=["gentle", "firm", "legal"].index) if tones else None)
        if item["fallbacks"]:
            assert item["account_id"] is None
    legal = store.inbox(InboxFilter(tone="legal"))
    assert legal["total"] and all(i["max_tone"] == "legal" for i in legal["items"])
    flagged = store.inbox(InboxFilter(flag="DISPUTE"))
    assert flagged["total"] and all("DISPUTE" in i["flags"] and i["outcome"] == "DISPUTE" for i in flagged["items"])


def test_an_empty_inbox_before_anyone_has_talked_to_the_assistant(tmp_path):
    index = ConversationIndex(f"sqlite:///{tmp_path / 'not-yet' / 'tracker.db'}", f"sqlite:///{tmp_path / 'a.db'}")
    assert index.refresh() == 0
    assert ReviewStore(index).inbox(InboxFilter()) == {"total": 0, "page": 1, "page_size": 50, "items": []}


def test_an_event_committed_late_with_a_lower_id_is_still_indexed(tmp_path):
    """PostgreSQL hands out ids before commit: a conversation's events can appear after higher ids were read."""
    tracker, accounts = f"sqlite:///{tmp_path / 'tracker.db'}", f"sqlite:///{tmp_path / 'accounts.db'}"
    fill_tracker(tracker, 40)
    index = ConversationIndex(tracker, accounts)
    store = ReviewStore(index)
    with index.events.engine.begin() as connection:
        late = [dict(row._mapping) for row in connection.execute(text(
            "SELECT id, sender_id, type_name, timestamp, intent_name, action_name, data FROM events "
            "WHERE sender_id = 'bench-000030' ORDER BY id"))]
        connection.execute(text("DELETE FROM events WHERE sender_id = 'bench-000030'"))
    assert index.refresh() == 39
    assert "bench-000030" not in [i["conversation_id"] for i in store.all_matching(InboxFilter())]
    assert late[-1]["id"] < index.events.newest_id(), "its ids are below the ones already indexed"

    with index.events.engine.begin() as connection:  # now they commit, with their lower ids
        connection.execute(text("INSERT INTO events (id, sender_id, type_name, timestamp, intent_name, action_name, "
                                "data) VALUES (:id, :sender_id, :type_name, :timestamp, :intent_name, "
                                ":action_name, :data)"), late)
    assert index.refresh() == 1
    assert store.inbox(InboxFilter())["total"] == 40
    row = next(i for i in store.all_matching(InboxFilter()) if i["conversation_id"] == "bench-000030")
    assert row["turns"] == len(index.transcript("bench-000030").debtor_turns) > 0
    assert index.refresh() == 0, "indexing again changes nothing"
