"""A one-line progress display for long solves on a terminal (or plain lines in a log)."""

from __future__ import annotations

import threading
import time
from typing import TextIO

from matcher.options import Progress


class ProgressPrinter:
    """Prints the phase, elapsed time, best objective and bound as a solve proceeds.

    On a terminal the line is rewritten in place; in a log file each update is its own line,
    at most one every ``interval`` seconds apart from phase changes. Called from solver
    threads, hence the lock.
    """

    def __init__(self, stream: TextIO, interval: float = 0.5) -> None:
        self._stream = stream
        self._interval = interval
        self._tty = stream.isatty()
        self._last_phase = ""
        self._last_time = 0.0
        self._lock = threading.Lock()
        self._dirty = False

    def __call__(self, progress: Progress) -> None:
        with self._lock:
            now = time.monotonic()
            if progress.phase == self._last_phase and now - self._last_time < self._interval:
                return
            self._last_phase, self._last_time = progress.phase, now
            line = f"[{progress.elapsed_s:7.2f}s] {progress.phase}"
            if progress.objective is not None:
                line += f"  best {progress.objective:g}"
            if progress.bound is not None:
                line += f"  bound {progress.bound:g}"
            if self._tty:
                self._stream.write("\r\033[K" + line)
                self._dirty = True
            else:
                self._stream.write(line + "\n")
            self._stream.flush()

    def finish(self) -> None:
        """End the in-place line so that what follows starts on its own line."""
        with self._lock:
            if self._dirty:
                self._stream.write("\n")
                self._stream.flush()
                self._dirty = False
