"""Work off the GUI thread, results handed back on the GUI thread.

The GUI thread never blocks (DESIGN.md 2): loading files, building timelines
and rebuilding state for a seek run in a worker thread; `Background.submit`
delivers the result (or the exception) to a callback that runs on the GUI
thread, through a queued signal (napari's `ensure_main_thread` idea).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal, Slot

T = TypeVar("T")


class Background(QObject):
    """A one-worker executor whose callbacks run on the thread that owns this object."""

    sig_call = Signal(object)
    """Internal: a thunk to run on the owner's thread (emitted from the worker)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="watchfloor")
        self.sig_call.connect(self._run)
        self.pending = 0

    @Slot(object)
    def _run(self, thunk: Callable[[], None]) -> None:
        thunk()

    def submit(
        self,
        work: Callable[[], T],
        on_done: Callable[[T], None],
        on_error: Callable[[BaseException], None],
    ) -> Future[None]:
        """Run `work` in the worker; then `on_done(result)` or `on_error(exc)` here."""
        self.pending += 1

        def job() -> None:
            try:
                result = work()
            except BaseException as exc:  # handed to the GUI thread, never lost
                error = exc  # `exc` is unbound after the except block
                self.sig_call.emit(lambda: self._finish(on_error, error))
            else:
                self.sig_call.emit(lambda: self._finish(on_done, result))

        return self._executor.submit(job)

    def _finish(self, callback: Callable[[Any], None], value: Any) -> None:
        self.pending -= 1
        callback(value)

    def call_soon(self, thunk: Callable[[], None]) -> None:
        """From any thread: run `thunk` on the owner's thread (progress reports)."""
        self.sig_call.emit(thunk)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
