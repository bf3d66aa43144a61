"""Where live feedback goes: an OpenCV window, or plain lines on stdout (``--headless``).

Both print one line per rep event on stdout (``rep 3: score 82, push your knees out over
your toes``). The window draws the frame with `formcheck.media.annotate` (skeleton, knee
angles, rep counter, the one cue) plus the last score, processed fps and latency; keys:
``q`` (or Esc) quit, ``r`` reset, space pause.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import TextIO

import numpy as np

from ..errors import InputError
from .events import Feedback, RepEvent

WINDOW_TITLE = "formcheck live"
_KEYS = {ord("q"): "quit", 27: "quit", ord("r"): "reset", ord(" "): "pause"}


class HeadlessDisplay:
    """No window: rep lines on ``out`` (stdout by default)."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout

    def show(self, feedback: Feedback, paused: bool = False) -> str | None:
        self.events(feedback.events)
        return None

    def idle(self) -> str | None:
        return None

    def events(self, events: Iterable[RepEvent]) -> None:
        for event in events:
            print(event.line(), file=self.out, flush=True)

    def close(self) -> None:
        pass


def hud_lines(feedback: Feedback, paused: bool) -> list[str]:
    """The small status lines drawn top right: score of the last rep, fps, latency."""
    score = "-" if feedback.last_score is None else f"{feedback.last_score:.0f}"
    latency = "-" if not np.isfinite(feedback.latency_s) else f"{1000 * feedback.latency_s:.0f} ms"
    lines = [f"last score {score}", f"{feedback.fps:.0f} fps  latency {latency}"]
    if paused:
        lines.append("PAUSED (space)")
    return lines


def render(feedback: Feedback, paused: bool = False) -> np.ndarray:
    """A copy of the feedback's frame (RGB) with the skeleton, knee angles, rep counter, the one
    message (the cue, else the setup message) and the status lines drawn on it."""
    import cv2

    from ..media.annotate import Annotator, Overlay

    frame = feedback.frame.image.copy()
    text = feedback.cue or feedback.setup
    overlay = Overlay(
        pixels=feedback.pixels[None],
        knee_angle=feedback.knee_angle[None],
        rep=np.array([feedback.rep_count]),
        n_reps=feedback.rep_count,
        cue=np.array([0 if text else -1]),
        cues=(text,),
    )
    Annotator(overlay).annotate(frame, 0)
    h, w = frame.shape[:2]
    scale = max(min(h, w) / 900, 0.5)
    for k, line in enumerate(hud_lines(feedback, paused)):
        (tw, th), _ = cv2.getTextSize(line, cv2.FONT_HERSHEY_SIMPLEX, scale, 2)
        org = (w - tw - 10, int((k + 1) * th * 1.8))
        cv2.putText(frame, line, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 5, cv2.LINE_AA)
        cv2.putText(
            frame, line, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 2, cv2.LINE_AA
        )
    return frame


class WindowDisplay(HeadlessDisplay):
    """An OpenCV window; raises `InputError` when there is no display to open it on."""

    def __init__(self, out: TextIO | None = None) -> None:
        super().__init__(out)
        has_display = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
        if sys.platform.startswith("linux") and not has_display:
            raise InputError("no display to open a window on (DISPLAY is not set): use --headless")
        import cv2

        try:
            cv2.namedWindow(WINDOW_TITLE, cv2.WINDOW_NORMAL)
        except cv2.error as exc:
            reason = str(exc).strip().splitlines()[-1]
            raise InputError(f"cannot open a window ({reason}): use --headless") from None

    def show(self, feedback: Feedback, paused: bool = False) -> str | None:
        import cv2

        self.events(feedback.events)
        cv2.imshow(WINDOW_TITLE, cv2.cvtColor(render(feedback, paused), cv2.COLOR_RGB2BGR))
        return self._key(cv2.waitKey(1))

    def idle(self) -> str | None:
        import cv2

        return self._key(cv2.waitKey(1))

    @staticmethod
    def _key(code: int) -> str | None:
        import cv2

        if cv2.getWindowProperty(WINDOW_TITLE, cv2.WND_PROP_VISIBLE) < 1:
            return "quit"  # the window was closed
        return _KEYS.get(code & 0xFF) if code >= 0 else None

    def close(self) -> None:
        import cv2

        cv2.destroyWindow(WINDOW_TITLE)
