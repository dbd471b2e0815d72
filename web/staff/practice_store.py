"""Practice sessions, their messages and scorecards, over the practice tables of actions/models.py.

No web framework here: web/staff/practice.py calls these and turns PracticeError into 4xx answers.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, List, Optional, Sequence, Tuple

from sqlalchemy import Integer, func, select

from actions.models import (
    PracticeCriterionResultRow, PracticeScorecardRow, PracticeSessionRow, PracticeTurnRow, StaffUserRow,
    database_url, sessions_for, utc_now,
)


class PracticeError(ValueError):
    """A practice request that cannot be done; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class PracticeSession:
    id: str
    user_id: int
    username: str
    scenario_id: str
    card: Dict[str, Any]
    started_at: datetime
    debtor_ended: bool
    finished_at: Optional[datetime]
    score: Optional[int]
    passed: Optional[bool]


Rate = Tuple[str, int, int]  # (who or what, attempts passed, attempts)


def iso(moment: Optional[datetime]) -> Optional[str]:
    return None if moment is None else moment.replace(microsecond=0).isoformat() + "Z"


class PracticeStore:
    def __init__(self, url: Optional[str] = None):
        self._sessions = sessions_for(url or database_url())

    def start(self, session_id: str, user_id: int, scenario_id: str, card: Dict[str, Any],
              opening: Sequence[str]) -> None:
        with self._sessions.begin() as db:
            db.add(PracticeSessionRow(id=session_id, user_id=user_id, scenario_id=scenario_id,
                                      card=json.dumps(card, default=str)))
            db.flush()
            for position, text in enumerate(opening):
                db.add(PracticeTurnRow(session_id=session_id, position=position, speaker="debtor", text=text))

    def get(self, session_id: str) -> Optional[PracticeSession]:
        with self._sessions() as db:
            found = db.execute(select(PracticeSessionRow, StaffUserRow.username)
                               .join(StaffUserRow, StaffUserRow.id == PracticeSessionRow.user_id)
                               .where(PracticeSessionRow.id == session_id)).first()
        if found is None:
            return None
        row, username = found
        return PracticeSession(row.id, row.user_id, username, row.scenario_id, json.loads(row.card), row.started_at,
                               row.debtor_ended, row.finished_at, row.score, row.passed)

    def turns(self, session_id: str) -> List[Dict[str, str]]:
        with self._sessions() as db:
            rows = db.execute(select(PracticeTurnRow).where(PracticeTurnRow.session_id == session_id)
                              .order_by(PracticeTurnRow.position)).scalars().all()
        return [{"speaker": r.speaker, "text": r.text, "time": iso(r.said_at)} for r in rows]

    def add_exchange(self, session_id: str, said: str, replies: Sequence[str], debtor_ended: bool) -> None:
        """The collector's message and the debtor's replies, written together so a failed relay stores nothing."""
        with self._sessions.begin() as db:
            row = db.get(PracticeSessionRow, session_id)
            if row.finished_at is not None:
                raise PracticeError("this practice session is already finished; start a new one", 409)
            position = db.execute(select(func.count()).select_from(PracticeTurnRow)
                                  .where(PracticeTurnRow.session_id == session_id)).scalar_one()
            db.add(PracticeTurnRow(session_id=session_id, position=position, speaker="collector", text=said))
            for offset, text in enumerate(replies, start=1):
                db.add(PracticeTurnRow(session_id=session_id, position=position + offset, speaker="debtor",
                                       text=text))
            row.debtor_ended = row.debtor_ended or debtor_ended

    def finish(self, session_id: str, scorecard: Dict[str, Any]) -> None:
        with self._sessions.begin() as db:
            row = db.get(PracticeSessionRow, session_id)
            if row.finished_at is not None:
                raise PracticeError("this practice session is already finished; its scorecard is at "
                                    f"/api/practice/attempts/{session_id}", 409)
            row.finished_at, row.score, row.passed = utc_now(), scorecard["score"], scorecard["passed"]
            db.add(PracticeScorecardRow(session_id=session_id, scorecard=json.dumps(scorecard)))
            for criterion in scorecard["criteria"]:
                db.add(PracticeCriterionResultRow(session_id=session_id, criterion_id=criterion["id"],
                                                  passed=criterion["passed"]))

    def scorecard(self, session_id: str) -> Optional[Dict[str, Any]]:
        with self._sessions() as db:
            row = db.get(PracticeScorecardRow, session_id)
        return json.loads(row.scorecard) if row else None

    def attempts(self, user_id: int) -> List[Tuple[PracticeSessionRow, Dict[str, bool]]]:
        """The user's finished sessions, oldest first, each with its per-criterion results."""
        with self._sessions() as db:
            rows = db.execute(select(PracticeSessionRow)
                              .where(PracticeSessionRow.user_id == user_id,
                                     PracticeSessionRow.finished_at.is_not(None))
                              .order_by(PracticeSessionRow.finished_at, PracticeSessionRow.id)).scalars().all()
            results: Dict[str, Dict[str, bool]] = {r.id: {} for r in rows}
            if rows:
                for result in db.execute(select(PracticeCriterionResultRow).where(
                        PracticeCriterionResultRow.session_id.in_(list(results)))).scalars():
                    results[result.session_id][result.criterion_id] = result.passed
        return [(row, results[row.id]) for row in rows]

    def open_sessions(self, user_id: int) -> List[PracticeSessionRow]:
        with self._sessions() as db:
            return db.execute(select(PracticeSessionRow)
                              .where(PracticeSessionRow.user_id == user_id, PracticeSessionRow.finished_at.is_(None))
                              .order_by(PracticeSessionRow.started_at.desc())).scalars().all()

    def pass_rates(self, start: datetime, end: datetime) -> Tuple[List[Rate], List[Rate]]:
        """Finished attempts in [start, end): (username, passed, total) per collector and (criterion, passed,
        total) per criterion."""
        window = (PracticeSessionRow.finished_at >= start, PracticeSessionRow.finished_at < end)
        with self._sessions() as db:
            collectors = db.execute(
                select(StaffUserRow.username, func.sum(PracticeSessionRow.passed.cast(Integer)), func.count())
                .join(StaffUserRow, StaffUserRow.id == PracticeSessionRow.user_id).where(*window)
                .group_by(StaffUserRow.username).order_by(StaffUserRow.username)).all()
            criteria = db.execute(
                select(PracticeCriterionResultRow.criterion_id,
                       func.sum(PracticeCriterionResultRow.passed.cast(Integer)), func.count())
                .join(PracticeSessionRow, PracticeSessionRow.id == PracticeCriterionResultRow.session_id)
                .where(*window).group_by(PracticeCriterionResultRow.criterion_id)).all()
        return ([(n, int(p or 0), int(t)) for n, p, t in collectors],
                [(c, int(p or 0), int(t)) for c, p, t in criteria])
