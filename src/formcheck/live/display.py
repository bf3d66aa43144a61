"""Where live feedback goes: an OpenCV window, or plain lines on stdout (``--headless``).

Both print one line per rep event on stdout (``rep 3: score 82, push your knees out over
your toes``). The window (full screen, in a process of its own) draws the frame with
`formcheck.media.annotate` (skeleton, knee angles) and, across the top, the rep count, the
last score and the one message, sized to be read from 3 m; the processed fps and latency
small at the bottom right. Keys: ``q`` (or Esc) quit, ``r`` reset, space pause, ``f`` full
screen on/off.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Iterable
from typing import TextIO

import numpy as np

from ..errors import InputError
from .events import Feedback, RepEvent
from .readiness import FEET_HIDDEN, NO_BLOCK, NO_PERSON, TURN

SETUP_MESSAGES = (NO_PERSON, FEET_HIDDEN, TURN, NO_BLOCK)


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


#: Letter heights as fractions of the frame's height, for a person squatting about 3 m from a
#: laptop whose screen (~19 cm tall) shows the frame full height. The message: 6.5 % (12 mm
#: letters at 3 m subtend 14 arcmin, almost 3x the 5-arcmin letters of 20/20 vision, the
#: margin signage uses for reading at a glance); the rep count larger (8 %); the status line
#: (fps, latency) is for whoever sits at the computer (2.8 %). A message that does not fit in
#: two lines at full size shrinks down to ``MIN_MESSAGE_HEIGHT`` (then takes up to 3 lines).
MESSAGE_HEIGHT, MIN_MESSAGE_HEIGHT, COUNT_HEIGHT, STATUS_HEIGHT = 0.065, 0.045, 0.08, 0.028
#: Message colours (RGB): a correction amber, a good rep or ready green, a setup problem white.
CUE_COLOUR, GOOD_COLOUR, SETUP_COLOUR = (255, 190, 40), (70, 210, 100), (255, 255, 255)
_FONT = 0  # cv2.FONT_HERSHEY_SIMPLEX
PAUSED = "PAUSED"


def hud_lines(feedback: Feedback) -> list[str]:
    """The status line drawn small at the bottom right: processed fps and latency."""
    latency = "-" if not np.isfinite(feedback.latency_s) else f"{1000 * feedback.latency_s:.0f} ms"
    return [f"{feedback.fps:.0f} fps  latency {latency}"]


def _scale_for(height_px: float) -> float:
    """The Hershey-simplex font scale whose capital letters are ``height_px`` pixels high."""
    import cv2

    (_, th), _ = cv2.getTextSize("H", _FONT, 1.0, 2)
    return height_px / th


def _wrap(text: str, scale: float, thick: int, width: int) -> list[str]:
    """``text`` split into lines no wider than ``width`` pixels at ``scale`` (greedy by words)."""
    import cv2

    lines: list[str] = []
    for word in text.split():
        trial = f"{lines[-1]} {word}" if lines else word
        if lines and cv2.getTextSize(trial, _FONT, scale, thick)[0][0] <= width:
            lines[-1] = trial
        else:
            lines.append(word)
    return lines


@functools.lru_cache(maxsize=64)
def _message_layout(
    text: str, w: int, h: int, pad: int
) -> tuple[tuple[str, ...], float, float, int]:
    """``text`` wrapped to the frame's width at the largest letter height (``MESSAGE_HEIGHT``
    of ``h``, down to ``MIN_MESSAGE_HEIGHT``) that fits in two lines (else three): lines,
    letter height (px), font scale and stroke (cached: the same message stays for seconds)."""
    lines: list[str] = []
    msg_h = MESSAGE_HEIGHT * h
    while text:
        msg_scale, msg_thick = _scale_for(msg_h), max(2, int(msg_h / 10))
        lines = _wrap(text, msg_scale, msg_thick, w - 2 * pad)
        if len(lines) <= 2 or msg_h <= MIN_MESSAGE_HEIGHT * h:
            return tuple(lines[:3]), msg_h, msg_scale, msg_thick
        msg_h = max(MIN_MESSAGE_HEIGHT * h, msg_h * 0.9)
    return (), msg_h, 1.0, 2


def message_colour(feedback: Feedback) -> tuple[int, int, int]:
    """The colour of the message on screen: see ``CUE_COLOUR``."""
    from .session import GOOD_REP, READY

    text = feedback.cue or feedback.setup
    if text in (GOOD_REP, READY):
        return GOOD_COLOUR
    if text == feedback.setup or text in SETUP_MESSAGES:
        return SETUP_COLOUR
    return CUE_COLOUR


def render(feedback: Feedback, paused: bool = False) -> np.ndarray:
    """A copy of the feedback's frame (RGB) with the skeleton and knee angles
    (`formcheck.media.annotate`), and a band across the top (kept off the knees and feet):
    the rep count and last score, then the one message (the cue, else the setup message), big
    and coloured, framed by a border of its colour (and PAUSED in the middle of the top row
    when paused); the status line small at the bottom right."""
    import cv2

    from ..media.annotate import Annotator, Overlay, _plain, _text

    frame = feedback.frame.image.copy()
    overlay = Overlay(
        pixels=feedback.pixels[None],
        knee_angle=feedback.knee_angle[None],
        rep=np.array([feedback.rep_count]),
        n_reps=0,  # the counter and the message are drawn here, at the top
        cue=np.array([-1]),
        cues=(),
    )
    Annotator(overlay).annotate(frame, 0)
    h, w = frame.shape[:2]
    pad = max(4, int(0.02 * h))
    # top row: rep count left, (PAUSED,) last score right; smaller if a narrow frame needs it
    score = "-" if feedback.last_score is None else f"{feedback.last_score:.0f}"
    row = [f"Rep {feedback.rep_count}", f"score {score}"]
    count_scale, thick = _scale_for(COUNT_HEIGHT * h), max(2, int(COUNT_HEIGHT * h / 12))
    words = "    ".join([*row, PAUSED] if paused else row)  # with room between them
    fit = (w - 2 * pad) / cv2.getTextSize(words, _FONT, count_scale, thick)[0][0]
    count_scale *= min(1.0, fit)
    count_h = int(COUNT_HEIGHT * h * min(1.0, fit))
    lines, msg_h, msg_scale, msg_thick = _message_layout(
        _plain(feedback.cue or feedback.setup), w, h, pad
    )
    line_h = int(msg_h * 1.6)
    band = pad + count_h + pad + (len(lines) * line_h + pad if lines else 0)
    top_band = frame[:band]
    cv2.convertScaleAbs(top_band, dst=top_band, alpha=0.35)  # darkened 65 %, text stands out
    _text(frame, row[0], (pad, pad + count_h), count_scale, (255, 255, 255), thick)
    (sw, _), _ = cv2.getTextSize(row[1], _FONT, count_scale, thick)
    _text(frame, row[1], (w - sw - pad, pad + count_h), count_scale, (255, 255, 255), thick)
    if paused:  # between the count and the score, as big as they are
        (cw, _), _ = cv2.getTextSize(row[0], _FONT, count_scale, thick)
        (pw, _), _ = cv2.getTextSize(PAUSED, _FONT, count_scale, thick)
        x = (pad + cw + w - sw - pad - pw) // 2
        _text(frame, PAUSED, (x, pad + count_h), count_scale, SETUP_COLOUR, thick)
    if lines:
        colour = message_colour(feedback)
        top = 2 * pad + count_h
        for k, line in enumerate(lines):
            y = top + int(k * line_h + (line_h + msg_h) / 2)
            _text(frame, line, (pad, y), msg_scale, colour, msg_thick)
        edge = max(3, int(0.012 * h))
        cv2.rectangle(frame, (0, 0), (w - 1, h - 1), colour, edge)
    status_scale = _scale_for(STATUS_HEIGHT * h)
    for k, line in enumerate(reversed(hud_lines(feedback))):
        (tw, th), _ = cv2.getTextSize(line, _FONT, status_scale, 1)
        org = (w - tw - pad, h - pad - int(k * th * 1.7))
        _text(frame, line, org, status_scale, (255, 255, 255), 1)
    return frame


class WindowDisplay(HeadlessDisplay):
    """An OpenCV window drawn by a process of its own (`formcheck.live.window`); raises
    `InputError` when there is no display or the window does not open within ``open_timeout_s``.

    Why a process: the opencv-contrib-python and av wheels each bundle ``libxcb-shm``,
    ``libxcb-shape`` and ``libxcb-xfixes`` under the *same* file names (e.g.
    ``libxcb-shm-0be6dfbf.so.0.0.0``) but linked differently: OpenCV's against the system
    ``libxcb.so.1``, av's against av's own copy of libxcb. Once ``import av`` has loaded av's
    copies, the dynamic loader hands them to OpenCV's Qt xcb plugin too (it matches by name),
    so Qt calls ``xcb_shm_query_version`` through av's libxcb on a connection opened by the
    system's, which never returns: ``cv2.namedWindow`` hangs. The window process imports cv2
    and never av (a test checks), whatever the main process has imported.

    Frames go through a socket; a frame is only sent once the window has shown the previous
    one, so a slow window skips frames instead of slowing the processing loop.
    """

    def __init__(self, out: TextIO | None = None, open_timeout_s: float = 30.0) -> None:
        super().__init__(out)
        has_display = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
        if sys.platform.startswith("linux") and not has_display:
            raise InputError("no display to open a window on (DISPLAY is not set): use --headless")
        import socket
        import subprocess
        import tempfile
        from multiprocessing.connection import Connection

        ours, theirs = socket.socketpair()
        # Qt writes here; its first line says why when the window fails to open (closed in close)
        self._log = tempfile.TemporaryFile()  # noqa: SIM115
        # a fresh interpreter running only formcheck.live.window: none of this process's imports
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "formcheck.live.window", str(theirs.fileno())],
            pass_fds=(theirs.fileno(),),
            stdout=subprocess.DEVNULL,
            stderr=self._log,
        )
        theirs.close()
        self._conn = Connection(ours.detach())
        self._busy = False  # a frame was sent and not shown yet
        self._actions: list[str] = []
        self.modules: tuple[str, ...] = ()  # the window process's imported top-level modules
        try:
            reply = self._conn.recv() if self._conn.poll(open_timeout_s) else None
        except (EOFError, OSError):
            reply = ("error", self._failure())
        if reply is None or reply[0] != "ready":
            self.close()
            reason = reply[1] if reply else f"no window after {open_timeout_s:g} s"
            raise InputError(f"cannot open a window ({reason}): use --headless")
        self.modules = reply[1]

    def _failure(self) -> str:
        """Why the window process ended before opening: the first line of its messages."""
        code = self._proc.wait(5)
        self._log.seek(0)
        lines = [line.strip() for line in self._log.read().decode(errors="replace").splitlines()]
        first = next((line for line in lines if line), "")
        return first or f"the window process ended with exit code {code}"

    def show(self, feedback: Feedback, paused: bool = False) -> str | None:
        self.events(feedback.events)
        self._poll()
        if not self._busy and self._proc.poll() is None:
            image = render(feedback, paused)
            try:
                self._conn.send(("frame", image.shape))
                self._conn.send_bytes(image.reshape(-1))  # bytes, not rows
                self._busy = True
            except OSError:  # the window process has gone: quit at the next poll
                pass
        return self._action()

    def idle(self) -> str | None:
        self._poll()
        return self._action()

    def _poll(self) -> None:
        """Collect the window's messages: frames shown, keys pressed, window closed."""
        try:
            while self._conn.poll():
                kind, value = self._conn.recv()
                if kind == "shown":
                    self._busy = False
                elif kind == "key":
                    self._actions.append(value)
        except (EOFError, OSError):
            self._actions.append("quit")
        if self._proc.poll() is not None:
            self._actions.append("quit")  # closed, or killed

    def _action(self) -> str | None:
        return self._actions.pop(0) if self._actions else None

    def close(self) -> None:
        """Close the window and end its process (at most a few seconds)."""
        import subprocess

        with contextlib.suppress(OSError):
            self._conn.send(("close", None))
        try:
            self._proc.wait(3.0)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._conn.close()
        self._log.close()
