"""The batch progress bar (rich, on stderr): count, rate in videos per minute, time left."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text


class RateColumn(ProgressColumn):
    """Completed items per minute, from rich's recent-speed estimate."""

    def render(self, task: Task) -> Text:
        if not task.fields.get("rate"):
            return Text("")
        speed = task.finished_speed or task.speed
        if speed is None and task.completed and task.elapsed:
            speed = task.completed / task.elapsed  # one item done: rich has no windowed speed yet
        return Text(
            "-- videos/min" if speed is None else f"{speed * 60:.1f} videos/min", style="cyan"
        )


class BatchProgress:
    """Context manager around a rich `Progress`; does nothing when ``enabled`` is False."""

    def __init__(self, enabled: bool = True, console: Console | None = None) -> None:
        self._progress: Progress | None = None
        self._failed: dict[TaskID, int] = {}
        if enabled:
            self._progress = Progress(
                TextColumn("{task.description:<9}"),
                BarColumn(),
                MofNCompleteColumn(),
                RateColumn(),
                TextColumn("{task.fields[failed]}", style="red"),
                TimeElapsedColumn(),
                TextColumn("left"),
                TimeRemainingColumn(),
                console=console or Console(stderr=True),
                speed_estimate_period=600.0,
            )

    def __enter__(self) -> BatchProgress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def start(self, description: str, total: int, rate: bool = True) -> Any:
        """Add a bar of ``total`` items (with a videos/min column if ``rate``); returns its id."""
        if self._progress is None:
            return None
        task = self._progress.add_task(description, total=total, failed="", rate=rate)
        self._failed[task] = 0
        return task

    def advance(self, task: Any, failed: bool = False) -> None:
        if self._progress is None or task is None:
            return
        if failed:
            self._failed[task] += 1
        n = self._failed[task]
        self._progress.update(task, advance=1, failed=f"{n} failed" if n else "")

    def finish(self, task: Any) -> None:
        """Mark a bar complete (e.g. hashing done)."""
        if self._progress is not None and task is not None:
            total = self._progress.tasks[task].total
            self._progress.update(task, completed=total)
