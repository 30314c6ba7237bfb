"""Reading uploaded files off the event loop, a few at a time, within limits.

The pages that parse an upload (``/import``, ``/trace``) hand the work to
``UploadWorkers.run``: it runs in one of ``upload_workers`` threads of its
own (not the event loop, not the thread pool of the ordinary pages), under
the reading limits of the settings (``clientfolio.filelimits``) with a time
limit of ``upload_seconds`` counted from the moment the work starts.  At most
``upload_queue`` more uploads wait for a thread; beyond, ``UploadsBusy``
(answered 503 "busy, try again", with ``Retry-After``) before any work.

Threads, not processes: the import writes through the app's store and key
ring, in one transaction, as the session's principal; a child process would
have to reopen the store (an in-memory or locked SQLite cannot be shared),
reload the keys and re-import the library (about a second per upload with
``spawn``; ``fork`` is unsafe in a threaded server).  A thread cannot be
killed, so the time limit is checked by the readers themselves, on each
chunk the XML parser takes and on each row, and the expansion limits
(declared sizes checked before a byte is inflated, bytes, rows, cells) bound
the memory and the time a file can take before the limit is seen.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ParamSpec, Protocol, TypeVar

from clientfolio.filelimits import LimitSettings, ReadLimits, reading_limits

__all__ = ["UploadWorkers", "UploadsBusy", "busy_message"]

P = ParamSpec("P")
T = TypeVar("T")


class _Settings(LimitSettings, Protocol):
    upload_workers: int
    upload_queue: int


class UploadsBusy(Exception):
    """Every upload worker is busy and the queue is full: try again later."""


def busy_message(_: Callable[[str], str]) -> str:
    """The message of an upload refused because the workers are busy, in the language of ``_``."""
    return _("The server is busy reading other files: try again in a minute. Nothing was imported.")


class UploadWorkers:
    """The threads that read uploaded files, and their bounded queue."""

    def __init__(self, settings: _Settings) -> None:
        self.workers = settings.upload_workers
        self.capacity = settings.upload_workers + settings.upload_queue
        self.limits = ReadLimits.from_settings(settings, timed=True)
        self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="clientfolio-upload")
        self._lock = threading.Lock()
        self._pending = 0

    @property
    def pending(self) -> int:
        """Uploads running or waiting."""
        return self._pending

    def _release(self, _: object) -> None:
        with self._lock:
            self._pending -= 1

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``fn(*args, **kwargs)`` in a worker thread within the reading
        limits (the time limit counted from its start); ``UploadsBusy`` at
        once when the workers and the queue are full.  The slot is held until
        the thread is done, even when the client has gone."""
        with self._lock:
            if self._pending >= self.capacity:
                raise UploadsBusy(f"{self._pending} uploads running or waiting")
            self._pending += 1
        limits = self.limits

        def job() -> T:
            with reading_limits(limits):
                return fn(*args, **kwargs)

        try:
            future: asyncio.Future[Any] = asyncio.get_running_loop().run_in_executor(self._executor, job)
        except BaseException:
            self._release(None)
            raise
        future.add_done_callback(self._release)
        result: T = await asyncio.shield(future)
        return result

    def close(self) -> None:
        """Stop taking work (the running uploads finish)."""
        self._executor.shutdown(wait=False, cancel_futures=True)
