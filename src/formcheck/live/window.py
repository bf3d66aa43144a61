"""The live window's own process: ``python -m formcheck.live.window FD``.

It shows the frames the live session sends on the socket ``FD`` in an OpenCV (Qt) window and
sends back the keys pressed. It imports cv2 and never av, which is why it is a process of its
own (see `formcheck.live.display.WindowDisplay`).

Messages (``multiprocessing.connection.Connection`` on the socket), in: ``("frame", shape)``
followed by the frame's RGB bytes; ``("close", None)``. Out: ``("ready", modules)`` (the
top-level modules this process has imported) or ``("error", reason)`` once, then
``("shown", None)`` after each frame and ``("key", action)`` per key; ``("key", "quit")``
when the window is closed.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from multiprocessing.connection import Connection

import numpy as np

WINDOW_TITLE = "formcheck live"
KEYS = {ord("q"): "quit", 27: "quit", ord("r"): "reset", ord(" "): "pause"}
FULL_SCREEN_KEY = ord("f")  # handled here: full screen on/off


def full_screen(on: bool) -> bool:
    """Switch the window to full screen (or back to a normal window); returns ``on``."""
    import cv2

    mode = cv2.WINDOW_FULLSCREEN if on else cv2.WINDOW_NORMAL
    cv2.setWindowProperty(WINDOW_TITLE, cv2.WND_PROP_FULLSCREEN, mode)
    return on


def visible() -> bool:
    """The window is still open (closing it destroys Qt's window: OpenCV then raises)."""
    import cv2

    try:
        return cv2.getWindowProperty(WINDOW_TITLE, cv2.WND_PROP_VISIBLE) >= 1
    except cv2.error:
        return False


def starting(size: tuple[int, int] = (640, 360)) -> np.ndarray:
    """What the window shows until the first frame (BGR ``(height, width, 3)``): a dark
    picture saying that the pose model is loading."""
    import cv2

    w, h = size
    image = np.full((h, w, 3), 40, np.uint8)
    text, scale = "Starting: loading the pose model...", h / 500
    (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 2)
    org = ((w - tw) // 2, (h + th) // 2)
    cv2.putText(image, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 2, cv2.LINE_AA)
    return image


def serve(conn: Connection) -> None:
    """Show frames from ``conn`` until it sends "close", closes, or the window is closed."""
    import cv2

    try:
        # no toolbar or status bar; full screen so that it can be read from where one squats
        cv2.namedWindow(
            WINDOW_TITLE, cv2.WINDOW_NORMAL | cv2.WINDOW_KEEPRATIO | cv2.WINDOW_GUI_NORMAL
        )
        full = full_screen(True)
        cv2.imshow(WINDOW_TITLE, starting())
        cv2.waitKey(1)
    except cv2.error as exc:
        conn.send(("error", str(exc).strip().splitlines()[-1]))
        return
    conn.send(("ready", tuple(sorted({m.split(".")[0] for m in sys.modules}))))
    size: tuple[int, ...] = ()
    try:
        while True:
            if conn.poll(0.005):
                kind, value = conn.recv()
                if kind == "close":
                    break
                image = np.frombuffer(conn.recv_bytes(), np.uint8).reshape(value)
                if value != size:  # the frame's size when not full screen (or no window manager)
                    cv2.resizeWindow(WINDOW_TITLE, value[1], value[0])
                    full, size = full_screen(full), value
                cv2.imshow(WINDOW_TITLE, cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
                conn.send(("shown", None))
            code = cv2.waitKey(1)
            if not visible():
                conn.send(("key", "quit"))  # the window was closed
                break
            if code >= 0 and code & 0xFF == FULL_SCREEN_KEY:
                full = full_screen(not full)
                if not full and size:
                    cv2.resizeWindow(WINDOW_TITLE, size[1], size[0])
            action = KEYS.get(code & 0xFF) if code >= 0 else None
            if action is not None:
                conn.send(("key", action))
    except (EOFError, OSError):
        pass  # the session's process has gone
    finally:
        with contextlib.suppress(cv2.error):
            cv2.destroyAllWindows()


def main(argv: list[str]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C ends the session in the main process
    serve(Connection(int(argv[1])))


if __name__ == "__main__":
    main(sys.argv)
