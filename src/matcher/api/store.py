"""The job table, and every state change of a job as one conditional UPDATE.

Why conditional updates: the API thread cancels while the runner thread claims or finishes the
same job. Each transition names the states it may start from (``WHERE status IN ...``), so
whichever commits first wins and the loser sees ``False`` instead of overwriting a cancelled
job with ``done`` or a finished one with ``cancelled``. Only the server process writes (solver
processes send their results back over pipes), so SQLite's one writer is enough, and any
SQLAlchemy URL (PostgreSQL) works the same way. One server per database: start-up recovery
treats every ``running`` row as its own.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime, Float, String, Text, create_engine, event, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"
    cancelled = "cancelled"


ACTIVE = (JobStatus.queued, JobStatus.running)


class ErrorCode(StrEnum):
    """Why a job failed (stored in ``error_code``)."""

    interrupted = "interrupted"  # the server died while the job ran
    worker_died = "worker_died"  # the solver process exited without an answer
    solver_error = "solver_error"  # the solver raised
    invalid_problem = "invalid_problem"  # stored problem no longer parses (version change)


class QueueFullError(Exception):
    """The number of queued jobs is at its bound."""


class Base(DeclarativeBase):
    pass


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    time_limit: Mapped[float | None] = mapped_column(Float)
    problem: Mapped[str] = mapped_column(Text, deferred=True)
    solution: Mapped[str | None] = mapped_column(Text, deferred=True)
    error_code: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)
    phase: Mapped[str | None] = mapped_column(String(64))
    objective: Mapped[float | None] = mapped_column(Float)
    bound: Mapped[float | None] = mapped_column(Float)
    elapsed_s: Mapped[float | None] = mapped_column(Float)


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    """What a solver process needs to run a job."""

    id: str
    problem: str
    time_limit: float | None


def utc(moment: datetime | None) -> datetime | None:
    """SQLite forgets time zones; every stored time is UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _now() -> datetime:
    return datetime.now(UTC)


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL and a busy timeout so readers never block."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _pragmas(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


class Store:
    """Jobs in a database: create, read, and move through their states."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        Base.metadata.create_all(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._admit = threading.Lock()  # count-then-insert must not interleave

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()

    def ping(self) -> bool:
        try:
            with self.session() as session:
                session.execute(select(1))
        except Exception:
            return False
        return True

    # --- creating and reading -------------------------------------------------------------

    def create(self, problem: str, name: str, time_limit: float | None, max_queued: int) -> Job:
        """Queue a job; :class:`QueueFullError` when ``max_queued`` jobs already wait."""
        with self._admit, self.session() as session:
            waiting = session.scalar(
                select(func.count()).select_from(Job).where(Job.status == JobStatus.queued))
            if (waiting or 0) >= max_queued:
                raise QueueFullError
            job = Job(id=uuid.uuid4().hex, status=JobStatus.queued, name=name[:200],
                      created_at=_now(), time_limit=time_limit, problem=problem)
            session.add(job)
        return job

    def get(self, job_id: str) -> Job | None:
        with self.session() as session:
            return session.get(Job, job_id)

    def solution(self, job_id: str) -> str | None:
        with self.session() as session:
            return session.scalar(select(Job.solution).where(Job.id == job_id))

    def jobs(self, status: JobStatus | None = None, limit: int = 100) -> list[Job]:
        """Newest first, without their problems and solutions."""
        query = select(Job).order_by(Job.created_at.desc(), Job.id).limit(limit)
        if status is not None:
            query = query.where(Job.status == status)
        with self.session() as session:
            return list(session.scalars(query))

    def counts(self) -> dict[str, int]:
        with self.session() as session:
            rows = session.execute(select(Job.status, func.count()).group_by(Job.status))
            return {str(status): int(count) for status, count in rows}

    # --- transitions ----------------------------------------------------------------------

    def _move(self, job_id: str, sources: tuple[JobStatus, ...], **values: Any) -> bool:
        with self.session() as session:
            result = session.execute(
                update(Job).where(Job.id == job_id, Job.status.in_(sources)).values(**values))
            return bool(getattr(result, "rowcount", 0))

    def claim_next(self) -> ClaimedJob | None:
        """Move the oldest queued job to ``running`` and return it (``None``: queue empty)."""
        while True:
            with self.session() as session:
                row = session.execute(
                    select(Job.id, Job.problem, Job.time_limit)
                    .where(Job.status == JobStatus.queued)
                    .order_by(Job.created_at, Job.id).limit(1)).first()
            if row is None:
                return None
            if self._move(row.id, (JobStatus.queued,), status=JobStatus.running,
                          started_at=_now()):
                return ClaimedJob(row.id, row.problem, row.time_limit)
            # cancelled between the read and the claim: look again

    def progress(self, job_id: str, phase: str, elapsed_s: float, objective: float | None,
                 bound: float | None) -> None:
        self._move(job_id, (JobStatus.running,), phase=phase[:64], elapsed_s=elapsed_s,
                   objective=objective, bound=bound)

    def finish(self, job_id: str, solution: str, elapsed_s: float) -> bool:
        return self._move(job_id, (JobStatus.running,), status=JobStatus.done, solution=solution,
                          finished_at=_now(), phase="done", elapsed_s=elapsed_s,
                          objective=None, bound=None)  # the solution has the final values

    def fail(self, job_id: str, code: ErrorCode, message: str) -> bool:
        return self._move(job_id, ACTIVE, status=JobStatus.failed, error_code=code,
                          error=message, finished_at=_now())

    def cancel(self, job_id: str) -> bool:
        return self._move(job_id, ACTIVE, status=JobStatus.cancelled, finished_at=_now())

    def requeue(self, job_id: str) -> bool:
        """Put a job stopped by a graceful shutdown back in the queue, progress cleared."""
        return self._move(job_id, (JobStatus.running,), status=JobStatus.queued,
                          started_at=None, phase=None, elapsed_s=None, objective=None,
                          bound=None)

    def recover(self) -> int:
        """At start-up: jobs still ``running`` belong to a server that died; fail them.

        They are failed rather than re-run because a solve that was running when the process
        died may be what killed it (memory); re-running it blindly could crash every restart.
        Queued jobs had not started and simply stay queued.
        """
        with self.session() as session:
            result = session.execute(
                update(Job).where(Job.status == JobStatus.running).values(
                    status=JobStatus.failed, error_code=ErrorCode.interrupted,
                    error="the server stopped while this job was running; submit it again",
                    finished_at=_now()))
            return int(getattr(result, "rowcount", 0))
