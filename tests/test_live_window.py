"""The live window under Xvfb (skipped when Xvfb is not installed): it opens in a process of its
own that never imports av, so PyAV imported first (as ``formcheck live`` does) cannot hang it;
`formcheck live` with the window ends by itself; and the drawing keeps off the knees and feet."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from formcheck.live.capture import Frame
from formcheck.live.display import CUE_COLOUR, GOOD_COLOUR, message_colour, render
from formcheck.live.events import Feedback

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "knee-valgus_front.mp4"


@pytest.fixture(scope="module")
def xvfb() -> Iterator[dict[str, str]]:
    """An environment whose DISPLAY is a fresh Xvfb server (1280x800)."""
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (apt-get install xvfb)")
    read, write = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as f:
        number = f.readline().strip()  # Xvfb picks a free display and writes its number
    assert number, "Xvfb did not start"
    env = {**os.environ, "DISPLAY": f":{number}"}
    env.pop("WAYLAND_DISPLAY", None)
    yield env
    server.terminate()
    server.wait(10)


def _python(code: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,  # a hang fails the test instead of hanging the suite
        env=env,
        cwd=ROOT,
    )


def test_window_opens_after_pyav_was_imported_and_closes(xvfb: dict[str, str]) -> None:
    proc = _python(
        """
        import av, cv2, time
        import numpy as np
        from formcheck.commands.live import live  # noqa: F401  the command's imports
        from formcheck.live.capture import FileSource, Frame
        from formcheck.live.display import WindowDisplay
        from formcheck.live.events import Feedback

        display = WindowDisplay()
        assert "cv2" in display.modules and "av" not in display.modules, display.modules
        image = np.full((240, 320, 3), 90, np.uint8)
        shown = 0
        for i in range(40):
            frame = Frame(index=i, timestamp=i / 30, captured_at=0.0, image=image)
            nan = np.full((33, 2), np.nan)
            fb = Feedback(frame, i, nan, np.full(2, np.nan), 1, 80.0, "Good rep", "", 30.0, 0.02)
            assert display.show(fb) is None
            shown += not display._busy
            time.sleep(1 / 30)
        display._proc.kill()  # the window's process gone (e.g. killed): the session quits
        display._proc.wait()
        assert display.idle() == "quit"
        display.close()
        print("ok", shown)
        """,
        xvfb,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("ok")


@pytest.mark.slow
def test_formcheck_live_with_the_window_ends_by_itself(xvfb: dict[str, str]) -> None:
    if not SAMPLE.is_file():
        pytest.skip("no rendered samples in samples/")
    proc = subprocess.run(
        [sys.executable, "-m", "formcheck", "live", "--source", str(SAMPLE), "--max-seconds", "4"],
        capture_output=True,
        text=True,
        timeout=120,
        env=xvfb,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    assert "ended: --max-seconds 4 reached" in proc.stdout
    assert "Traceback" not in proc.stderr


def _feedback(cue: str, setup: str = "", size: tuple[int, int] = (640, 360)) -> Feedback:
    w, h = size
    image = np.zeros((h, w, 3), np.uint8)
    frame = Frame(index=0, timestamp=0.0, captured_at=0.0, image=image)
    nan = np.full((33, 2), np.nan)
    return Feedback(frame, 0, nan, np.full(2, np.nan), 2, 71.0, cue, setup, 29.0, 0.031)


@pytest.mark.parametrize(
    ("size", "paused"), [((640, 360), False), ((1280, 720), True), ((480, 640), True)]
)
def test_message_is_big_at_the_top_and_leaves_knees_and_feet_clear(size, paused) -> None:
    cue = "Push your knees out over your toes, and keep your heels on the block"
    drawn = render(_feedback(cue, size=size), paused)
    w, h = size
    edge = max(3, int(0.012 * h))
    inner = drawn[edge:-edge, edge:-edge]
    rows = np.flatnonzero(inner.any(axis=(1, 2)))
    band = rows[rows < h // 2].max()
    # the band (count, score, the message in at most 3 lines) stays in the top 45 % of the frame
    assert band < 0.45 * h
    # below it only the small status line, at the bottom right: knees and feet stay clear
    lower = inner[band + 1 :]
    assert not lower[:, : inner.shape[1] // 2].any()
    # the message is drawn in its colour, in letters at least 4.5 % of the frame's height
    amber = (np.abs(drawn.astype(int) - CUE_COLOUR).sum(axis=2) < 30)[edge:band]
    text_rows = np.flatnonzero(amber[:, edge:-edge].any(axis=1))
    assert text_rows.size >= 0.045 * h
    assert (drawn[0, :] == CUE_COLOUR).all()  # the border: unmissable


def test_message_colours_say_what_kind_of_message_it_is() -> None:
    assert message_colour(_feedback("Good rep")) == GOOD_COLOUR
    assert message_colour(_feedback("Push your knees out over your toes")) == CUE_COLOUR
    setup = "Step back: feet not visible"
    assert message_colour(_feedback(setup, setup)) != CUE_COLOUR
    assert message_colour(_feedback("", setup)) != CUE_COLOUR


@pytest.fixture
def desktop(xvfb: dict[str, str]) -> Iterator[dict[str, str]]:
    """The Xvfb display with a window manager (openbox) and xdotool to act as the user."""
    if shutil.which("openbox") is None or shutil.which("xdotool") is None:
        pytest.skip("openbox and xdotool are not installed")
    wm = subprocess.Popen(["openbox"], env=xvfb, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    yield xvfb
    wm.terminate()
    wm.wait(10)


@pytest.mark.slow
def test_closing_the_window_ends_the_session_cleanly(desktop: dict[str, str]) -> None:
    xvfb = desktop
    if not SAMPLE.is_file():
        pytest.skip("no rendered samples in samples/")
    proc = subprocess.Popen(
        [sys.executable, "-m", "formcheck", "live", "--source", str(SAMPLE), "--max-seconds", "60"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=xvfb,
        cwd=ROOT,
    )
    try:
        for _ in range(300):  # the window appears within a few seconds
            found = subprocess.run(
                ["xdotool", "search", "--name", "formcheck live"],
                capture_output=True,
                text=True,
                env=xvfb,
            ).stdout.split()
            if found:
                break
            time.sleep(0.1)
        assert found, "no window"
        time.sleep(1.0)
        # what a user does: the window manager's close (alt+F4 in openbox)
        subprocess.run(["xdotool", "windowactivate", "--sync", found[0]], env=xvfb, check=True)
        subprocess.run(["xdotool", "key", "alt+F4"], env=xvfb, check=True)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "ended: quit" in out
    assert "Traceback" not in err


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 displays: Linux")
def test_a_display_that_does_not_answer_is_one_line_and_exit_1(noise_video: Path) -> None:
    number = next(n for n in range(4000, 4100) if not Path(f"/tmp/.X11-unix/X{n}").exists())
    env = {**os.environ, "DISPLAY": f":{number}"}
    env.pop("WAYLAND_DISPLAY", None)
    proc = subprocess.run(
        [sys.executable, "-m", "formcheck", "live", "--source", str(noise_video)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=ROOT,
    )
    assert proc.returncode == 1
    [line] = proc.stderr.splitlines()  # Qt's own lines are not shown, the first gives the reason
    assert line.startswith("formcheck: error: cannot open a window (") and f":{number}" in line
    assert line.endswith("): use --headless")
