"""Live progress for apply and sync: rich bars on a terminal, plain lines elsewhere.

Apply reports :class:`~faborite.apply.context.ApplyEvent`s; this turns them
into output. Sync tables get a bar each (rows, bytes, rate); everything else
is a line. Off a terminal (CI logs) each sync table gets one summary line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from faborite.apply.context import ApplyEvent


def _size(count: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} GB"


class ApplyProgress:
    """Context manager and event callback: ``with ApplyProgress(console) as show: ws.apply(..., on_event=show)``."""

    def __init__(self, console: "Console") -> None:
        from faborite.output import apply_event_printer

        self._console = console
        self._lines = apply_event_printer(console)
        self._bars = None
        self._tasks: dict[str, int] = {}

    def __enter__(self) -> "ApplyProgress":
        if self._console.is_terminal:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._bars = Progress(TextColumn("  {task.description}"), BarColumn(), TextColumn("{task.fields[stats]}"),
                                  TimeElapsedColumn(), console=self._console, transient=True)
            self._bars.start()
            self._lines = __import__("faborite.output", fromlist=["x"]).apply_event_printer(self._bars.console)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bars is not None:
            self._bars.stop()

    def __call__(self, event: "ApplyEvent") -> None:
        if event.kind == "sync_start":
            if self._bars is not None:
                self._tasks[event.node or ""] = self._bars.add_task(event.message, total=event.total, stats="")
            return
        if event.kind == "sync_progress":
            if self._bars is not None and event.node in self._tasks:
                rate = f"{event.rows / event.seconds:,.0f} rows/s" if event.seconds else ""
                self._bars.update(self._tasks[event.node], completed=event.rows,
                                  stats=f"{event.rows:,} rows  {_size(event.bytes)}  {rate}")
            return
        if event.kind == "node_done" and event.node in self._tasks and self._bars is not None:
            self._bars.remove_task(self._tasks.pop(event.node))
        self._lines(event)
