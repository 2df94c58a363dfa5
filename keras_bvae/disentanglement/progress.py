"""Progress of a metric's long work: images encoded, classifiers fitted.

A metric announces the work it plans (``expect``) and reports what it has
finished (``advance``); a display installed with ``reporting`` shows it as
one line per metric with a rate and an ETA. Without a display both calls do
nothing, so metrics stay silent inside ``fit`` callbacks and tests.

Example:
```python
from keras_bvae.disentanglement import beta_vae_score, progress

with progress.reporting("beta_vae"):
    beta_vae_score(data, model.encode)
# beta_vae: 1,920,000/1,920,000 images (100%), 9,800 images/s, 3m16s
```
"""

from __future__ import annotations

import contextlib
import contextvars
import sys
import time
from collections.abc import Iterator
from typing import TextIO

__all__ = ["ProgressLine", "advance", "expect", "reporting", "start"]

_ACTIVE: contextvars.ContextVar[ProgressLine | None] = contextvars.ContextVar(
    "keras_bvae_metric_progress", default=None
)


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


class ProgressLine:
    """One metric's progress, redrawn in place on a terminal.

    Units (e.g. "images", "classifiers") are shown in the order they were
    first expected. The ETA extrapolates the unit in progress from its own
    rate since its first item began, plus the later units' totals at their
    own rates once known (unknown ones are left out and marked "+").

    Args:
        label: str. Shown first, e.g. the metric name.
        stream: where to write. Defaults to ``sys.stderr``.
        interval: float. Seconds between redraws. Defaults to 0.5 on a
            terminal and 30 elsewhere (log files get a line each time).
    """

    def __init__(
        self,
        label: str,
        stream: TextIO | None = None,
        interval: float | None = None,
    ):
        self.label = label
        self.stream = sys.stderr if stream is None else stream
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.interval = (
            (0.5 if self.tty else 30.0) if interval is None else interval
        )
        self.totals: dict[str, int] = {}
        self.done: dict[str, int] = {}
        self.began: dict[str, float] = {}
        self.started = time.monotonic()
        self._last_draw = -float("inf")

    def expect(self, unit: str, count: int) -> None:
        """Adds ``count`` items of ``unit`` to the planned work."""
        self.totals[unit] = self.totals.get(unit, 0) + int(count)
        self.done.setdefault(unit, 0)
        self._draw()

    def advance(self, unit: str, count: int = 1) -> None:
        """Marks ``count`` more items of ``unit`` as finished."""
        self.done[unit] = self.done.get(unit, 0) + int(count)
        self.totals.setdefault(unit, 0)
        self._draw()

    def start(self, unit: str) -> None:
        """Marks the moment work on ``unit`` began (for its rate)."""
        self.began.setdefault(unit, time.monotonic())

    def eta(self) -> tuple[float, bool] | None:
        """(seconds left, whether some later work had no rate yet)."""
        now = time.monotonic()
        left, unknown = 0.0, False
        for unit, total in self.totals.items():
            done = self.done[unit]
            if done >= total:
                continue
            began = self.began.get(unit)
            if not done or began is None:
                unknown = True
                continue
            left += (now - began) / done * (total - done)
        if unknown and left == 0.0:
            return None
        return left, unknown

    def text(self, final: bool = False) -> str:
        parts = []
        for unit, total in self.totals.items():
            done = self.done[unit]
            item = f"{done:,}/{total:,} {unit}"
            if total and unit == next(iter(self.totals)):
                item += f" ({100 * done // total}%)"
            began = self.began.get(unit)
            if unit == "images" and done and began is not None:
                rate = done / max(time.monotonic() - began, 1e-9)
                item += f", {rate:,.0f} {unit}/s"
            parts.append(item)
        elapsed = time.monotonic() - self.started
        if final:
            tail = _duration(elapsed)
        else:
            estimate = self.eta()
            tail = (
                "ETA ?"
                if estimate is None
                else f"ETA {_duration(estimate[0])}{'+' if estimate[1] else ''}"
            )
        return f"{self.label}: {', '.join(parts)}, {tail}"

    def _draw(self, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self._last_draw < self.interval:
            return
        self._last_draw = now
        line = self.text(final)
        if self.tty:
            self.stream.write("\r\033[K" + line + ("\n" if final else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        """Draws the final line (with the elapsed time), if any work was
        announced."""
        if self.totals:
            self._draw(final=True)


@contextlib.contextmanager
def reporting(
    label: str, stream: TextIO | None = None, interval: float | None = None
) -> Iterator[ProgressLine]:
    """Shows the progress of the metrics run inside the block.

    Args:
        label: str. The line's label, e.g. the metric name.
        stream, interval: as for ``ProgressLine``.

    Returns:
        A context manager yielding the ``ProgressLine``.
    """
    line = ProgressLine(label, stream, interval)
    token = _ACTIVE.set(line)
    try:
        yield line
    finally:
        _ACTIVE.reset(token)
        line.close()


def expect(unit: str, count: int) -> None:
    """Announces ``count`` items of work (no-op without a display)."""
    line = _ACTIVE.get()
    if line is not None:
        line.expect(unit, count)


def start(unit: str) -> None:
    """Marks that work on ``unit`` begins now (no-op without a display)."""
    line = _ACTIVE.get()
    if line is not None:
        line.start(unit)


def advance(unit: str, count: int = 1) -> None:
    """Reports ``count`` finished items (no-op without a display)."""
    line = _ACTIVE.get()
    if line is not None:
        line.advance(unit, count)
