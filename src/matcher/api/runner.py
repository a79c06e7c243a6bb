"""Runs solves in child processes: queued jobs one process each, synchronous solves in a pool.

Jobs: one dispatcher thread owns every job process. It claims queued jobs from the store while
fewer than ``workers`` run, starts one :class:`multiprocessing.Process` per job (so a cancelled
job is stopped by terminating exactly its process), and waits on the processes' pipes and exit
sentinels, writing progress and results to the store. Nothing else touches the processes, so
there is no locking around them; other threads talk to it through :meth:`JobRunner.wake`.

Synchronous solves (``POST /v1/solve``, and the several solves of ``/v1/compare`` and
``/v1/explain``) go to a :class:`~concurrent.futures.ProcessPoolExecutor` of the same size: they
are short (their time limit is capped), so reusing warm processes keeps latency low, and a long
job never delays them. At most ``2 × workers`` solver processes run.

Processes are started by a fork server that has the solver already imported: starting one is
cheap and none of them inherits the server's threads, sockets or database connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.context import SpawnContext
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING, Any

from matcher.api import worker
from matcher.api.settings import Settings
from matcher.api.store import ClaimedJob, ErrorCode, Store

if TYPE_CHECKING:
    from multiprocessing.context import ForkServerContext

log = logging.getLogger("matcher.api.runner")

KILL_GRACE = 5.0  # seconds between SIGTERM and SIGKILL for a cancelled job's process
IDLE_POLL = 1.0  # seconds: the dispatcher looks at the queue at least this often


class BusyError(Exception):
    """Too many synchronous solves are running or waiting."""


def solver_context() -> ForkServerContext | SpawnContext:
    """The fork server where the platform has one (preloaded with the solver), else spawn."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["matcher.api.worker", "matcher.solve",
                                        "matcher.validation"])
        return context
    return multiprocessing.get_context("spawn")


@dataclass
class _Running:
    job_id: str
    process: BaseProcess
    conn: Connection
    started: float = field(default_factory=time.monotonic)
    answered: bool = False
    terminated_at: float | None = None


class JobRunner:
    """Owns the solver processes of one server."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self._store = store
        self._settings = settings
        self._context = solver_context()
        self._running: dict[str, _Running] = {}
        self._to_kill: set[str] = set()
        self._kill_lock = threading.Lock()
        self._stopping = threading.Event()
        # Children get the read end; the write end never leaves this process (see worker).
        self._lifeline, self._lifeline_w = self._context.Pipe(duplex=False)
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="job-dispatcher", daemon=True)
        self._pool: ProcessPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self._pending = 0

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()
        self.warm_up()

    def stop(self) -> None:
        """Stop every solver process; running jobs go back to the queue for the next start."""
        self._stopping.set()
        self.wake()
        if self._thread.is_alive():
            self._thread.join(timeout=30)
        with self._pool_lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None
        self._closed = True
        os.close(self._wake_r)
        os.close(self._wake_w)
        self._lifeline_w.close()
        self._lifeline.close()

    def alive(self) -> bool:
        return self._thread.is_alive() and not self._stopping.is_set()

    def running(self) -> dict[str, int | None]:
        """Job id → pid of its process (for status pages and tests)."""
        return {job_id: run.process.pid for job_id, run in list(self._running.items())}

    def wake(self) -> None:
        """Make the dispatcher look at the queue and the cancellations now."""
        if self._closed:
            return  # its descriptors may already belong to another file
        with contextlib.suppress(OSError):  # full: it wakes anyway
            os.write(self._wake_w, b"w")

    def cancel(self, job_id: str) -> bool:
        """Cancel a queued or running job; ``False`` when it had already finished."""
        if not self._store.cancel(job_id):
            return False
        with self._kill_lock:
            self._to_kill.add(job_id)
        self.wake()
        return True

    # --- synchronous solves ---------------------------------------------------------------

    def _pool_now(self) -> ProcessPoolExecutor:
        """The pool, made on first use or after a worker died (call with the pool lock)."""
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self._settings.workers, mp_context=self._context,
                                             initializer=worker.init_pool_process,
                                             initargs=(self._lifeline,))
        return self._pool

    def warm_up(self) -> None:
        """Start the pool's processes now, in the background, rather than on first request."""
        with self._pool_lock:
            pool = self._pool_now()
            for _ in range(self._settings.workers):
                pool.submit(worker.warm_up)

    async def solve(self, problem_json: str, time_limit: float) -> str:
        """Solve in the pool without blocking the event loop; the solution as JSON text."""
        return await self.call(worker.solve_request, problem_json, time_limit, 0,
                               self._settings.solver_threads)

    async def call(self, task: Callable[..., str], *args: Any) -> str:
        """Run ``task(*args)`` (a function of :mod:`~matcher.api.worker`) in the pool.

        For the synchronous routes that solve (solve, compare, explain): they share the pool
        and its bound on solves running or waiting. The task's own time limits keep it short.
        """
        with self._pool_lock:
            if self._pending >= self._settings.max_pending_solves:
                raise BusyError
            self._pending += 1
            pool = self._pool_now()
        try:
            future = pool.submit(task, *args)
            return await asyncio.wrap_future(future)
        except BrokenProcessPool:
            with self._pool_lock:
                if self._pool is pool:
                    self._pool = None
            pool.shutdown(wait=False, cancel_futures=True)
            raise worker.WorkerError("worker_died", "the solver process died") from None
        finally:
            with self._pool_lock:
                self._pending -= 1

    # --- the dispatcher -------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self._step()
            except Exception:
                log.exception("job dispatcher error; retrying")
                time.sleep(IDLE_POLL)
        self._shutdown_jobs()

    def _step(self) -> None:
        self._kill_cancelled()
        while len(self._running) < self._settings.workers and not self._stopping.is_set():
            job = self._store.claim_next()
            if job is None:
                break
            self._launch(job)
        waitables: list[object] = [self._wake_r]
        for run in self._running.values():
            waitables += [run.conn, run.process.sentinel]
        ready = wait(waitables, timeout=IDLE_POLL)  # type: ignore[arg-type]
        if self._wake_r in ready:
            self._drain_wake()
        for job_id, run in list(self._running.items()):
            if run.conn in ready:
                self._read(run)
            if run.process.sentinel in ready or not run.process.is_alive():
                self._reap(job_id, run)

    def _launch(self, job: ClaimedJob) -> None:
        receiver, sender = self._context.Pipe(duplex=False)
        process = self._context.Process(
            target=worker.run_job, name=f"matcher-job-{job.id}",
            args=(sender, self._lifeline, job.problem, job.time_limit, 0,
                  self._settings.solver_threads),
            daemon=True)
        try:
            process.start()
        except Exception as error:
            receiver.close()
            self._store.fail(job.id, ErrorCode.worker_died,
                             f"could not start a solver process ({type(error).__name__})")
            raise
        finally:
            sender.close()  # the child has its own copy; ours would hide its exit from recv
        self._running[job.id] = _Running(job.id, process, receiver)
        log.info("job %s started in process %s", job.id, process.pid)

    def _read(self, run: _Running) -> None:
        try:
            while run.conn.poll():
                self._handle(run, run.conn.recv())
        except (EOFError, OSError):
            pass  # the process closed its end; its sentinel says the rest

    def _handle(self, run: _Running, message: worker.Message) -> None:
        kind = message[0]
        if kind == "progress":
            _, phase, elapsed, objective, bound = message
            self._store.progress(run.job_id, phase, elapsed, objective, bound)
        elif kind == "done":
            run.answered = True
            self._store.finish(run.job_id, message[1], message[2])
        elif kind == "error":
            run.answered = True
            code = ErrorCode(message[1]) if message[1] in ErrorCode.__members__ else \
                ErrorCode.solver_error
            self._store.fail(run.job_id, code, message[2])

    def _reap(self, job_id: str, run: _Running) -> None:
        self._read(run)
        run.process.join(timeout=1)
        if run.process.is_alive():
            return
        if not run.answered:
            # Cancelled jobs are already marked; fail() only changes an active job.
            self._store.fail(job_id, ErrorCode.worker_died,
                             f"the solver process exited with code {run.process.exitcode}")
        run.conn.close()
        run.process.close()
        del self._running[job_id]
        log.info("job %s process ended", job_id)

    def _kill_cancelled(self) -> None:
        with self._kill_lock:
            targets, self._to_kill = self._to_kill, set()
        now = time.monotonic()
        for job_id in targets:
            run = self._running.get(job_id)
            if run is not None and run.terminated_at is None:
                run.terminated_at = now
                run.process.terminate()
        for run in self._running.values():
            if run.terminated_at is not None and now - run.terminated_at > KILL_GRACE:
                run.process.kill()

    def _drain_wake(self) -> None:
        try:
            while os.read(self._wake_r, 4096):
                pass
        except BlockingIOError:
            pass

    def _shutdown_jobs(self) -> None:
        for job_id, run in list(self._running.items()):
            run.process.terminate()
            run.process.join(timeout=KILL_GRACE)
            if run.process.is_alive():
                run.process.kill()
                run.process.join()
            if self._store.requeue(job_id):
                log.info("job %s re-queued at shutdown", job_id)
            run.conn.close()
            run.process.close()
        self._running.clear()
