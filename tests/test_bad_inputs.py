"""A corpus of bad and odd inputs, run through the command line as a user would.

Every case asserts the exit code, what reaches stderr (one line for a refusal, never a
traceback) and that nothing is half-written: the files of the working folder after the run are
the ones before it plus, for a case that succeeds, the outputs it names. The inputs are made once
per session (`corpus`), small and fast; the cases that run the pose model are marked ``slow``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np
import pytest
from conftest import _noise_frames, make_bad_input, set_mp4_display_matrix

from formcheck.core.sequence import PoseSequence
from formcheck.media.cache import save
from formcheck.testing import squat_sequence_with_truth

SIZE = (120, 160)  # width, height of the squat clips (portrait, like a phone)
FORMCHECK = [sys.executable, "-m", "formcheck"]


def encode(
    path: Path,
    frames: list[np.ndarray],
    codec: str = "libx264",
    fps: int = 30,
    pts_ms: list[int] | None = None,
) -> Path:
    """``frames`` (RGB) as a video in the container ``path``'s suffix names; ``pts_ms`` gives
    each frame's time in milliseconds (variable frame rate)."""
    from fractions import Fraction

    h, w = frames[0].shape[:2]
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height = w, h
        stream.pix_fmt = "yuv420p"
        if pts_ms is not None:
            stream.time_base = Fraction(1, 1000)
        for i, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
            if pts_ms is not None:
                frame.pts, frame.time_base = pts_ms[i], Fraction(1, 1000)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def _damaged(path: Path) -> Path:
    """90 noise frames (a keyframe every 15) with 3 % of the coded data zeroed at 40 %."""
    import struct

    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 96, 64, "yuv420p"
        stream.options = {"g": "15", "keyint_min": "15"}
        for rgb in _noise_frames(90):
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    data = bytearray(path.read_bytes())
    at = data.find(b"mdat")
    end = at - 4 + struct.unpack(">I", data[at - 4 : at])[0]
    start, length = at + 4 + int((end - at - 4) * 0.4), int((end - at - 4) * 0.03)
    data[start : start + length] = bytes(length)
    path.write_bytes(bytes(data))
    return path


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every input of the cases below, by name, in one folder made once."""
    root = tmp_path_factory.mktemp("corpus")
    c: dict[str, Path] = {}
    for kind in (
        "missing",
        "directory",
        "zero_bytes",
        "text_named_mp4",
        "truncated",
        "truncated_faststart",
        "corrupt",
        "no_decodable_frames",
        "no_video_stream",
        "audio_with_cover_art",
        "ansi_text",
        "image_png",
        "image_jpg",
    ):
        c[kind] = make_bad_input(kind, root)
    c["damaged"] = _damaged(root / "phone with glitches.mp4")
    rng = np.random.default_rng(5)
    c["one_frame"] = encode(root / "one frame.mp4", [rng.integers(0, 256, (120, 160, 3), np.uint8)])
    c["tiny"] = encode(root / "tiny.mp4", _noise_frames(10, 32, 32))
    c["4k"] = encode(root / "4k.mp4", [np.full((2160, 3840, 3), 90, np.uint8)] * 2)

    # a squat set as landmarks, and the same-size, same-length videos that go with it
    seq, _ = squat_sequence_with_truth(n_reps=2, image_size=SIZE, peak_knee_flexion=110.0)
    n = len(seq)
    grey = [np.full((SIZE[1], SIZE[0], 3), 150 + k % 50, np.uint8) for k in range(n)]
    c["cache"] = save(seq, root / "squat.npz")
    c["video"] = encode(root / "squat.mp4", grey)
    for suffix, codec in ((".mov", "libx264"), (".mkv", "libx264"), (".avi", "mpeg4")):
        c[suffix] = encode(root / f"squat{suffix}", grey, codec=codec)
    c[".webm"] = encode(root / "squat.webm", grey[:n], codec="libvpx-vp9")
    c["odd_name"] = encode(root / "Ünïcödé squat (copy) & 'quotes' #1.mp4", grey)
    rotated = encode(root / "portrait.mp4", [np.ascontiguousarray(np.rot90(g)) for g in grey])
    set_mp4_display_matrix(rotated, 0, 1, -1, 0)  # stored landscape, shown portrait
    c["rotated"] = rotated
    steps = np.where(np.arange(n) % 3 == 0, 40, 30)  # 25-33 fps, as phones record
    c["vfr"] = encode(
        root / "vfr.mp4", grey, pts_ms=list(np.concatenate([[0], np.cumsum(steps[1:])]))
    )
    nobody = PoseSequence.from_image_landmarks(np.full((14, 33, 4), np.nan), 30.0, (64, 64))
    c["truncated_cache"] = save(nobody, root / "cut.npz", video=c["truncated_faststart"])
    other = [np.full((SIZE[1], SIZE[0], 3), 60, np.uint8)] * n
    c["other_video"] = encode(root / "side.mp4", other)
    c["bound_cache"] = save(seq, root / "front_landmarks.npz", video=c["video"])
    c["other_size"] = encode(root / "wide.mp4", [np.zeros((120, 200, 3), np.uint8)] * n)

    # bad rules, models and caches
    (root / "rules.toml").write_text("name = 3\n")
    c["bad_rules"] = root / "rules.toml"
    (root / "broken.toml").write_text("[rule\n")
    c["broken_rules"] = root / "broken.toml"
    (root / "model.task").write_text("not a model")
    c["text_model"] = root / "model.task"
    import zipfile

    with zipfile.ZipFile(root / "hands.task", "w") as z:
        z.writestr("hand_detector.tflite", b"xxxxTFL3")
    c["wrong_model"] = root / "hands.task"
    (root / "notes.npz").write_text("not a cache")
    c["text_cache"] = root / "notes.npz"
    np.savez(root / "objects.npz", format=np.array([{"a": 1}], dtype=object))
    c["pickled_cache"] = root / "objects.npz"
    np.savez(root / "foreign.npz", x=np.zeros(3))
    c["foreign_cache"] = root / "foreign.npz"
    c["empty_folder"] = root / "empty folder"
    c["empty_folder"].mkdir()
    (root / "a file").write_text("x")
    c["file"] = root / "a file"
    return c


@dataclass(frozen=True)
class Case:
    """``formcheck`` arguments made from the corpus and the run's folder, and what must happen."""

    args: Callable[[dict[str, Path], Path], list[str | Path]]
    code: int
    phrase: str  # in the one stderr line ('' for a success without one)
    lines: int = 1  # stderr lines
    writes: tuple[str, ...] = field(default=())  # what the run leaves in its folder
    slow: bool = False  # runs the pose model


def _analyze(key: str, *extra: str) -> Callable[[dict[str, Path], Path], list[str | Path]]:
    return lambda c, w: ["analyze", c[key], "-o", w / "out", "--no-video", *extra]


def _from_cache(key: str, cache: str = "cache") -> Callable:
    return lambda c, w: ["analyze", c[key], "--landmarks", c[cache], "-o", w / "out", "--no-video"]


REPORT = ("out",)
CASES: dict[str, Case] = {
    # videos that are not videos, or not whole
    "missing": Case(_analyze("missing"), 1, "missing.mp4: no such file"),
    "folder": Case(_analyze("directory"), 1, "is a directory, expected a video file"),
    "empty": Case(_analyze("zero_bytes"), 1, "empty file (0 bytes)"),
    "text": Case(_analyze("text_named_mp4"), 1, "not a readable video"),
    "truncated_no_index": Case(_analyze("truncated"), 1, "not a readable video"),
    "corrupt_middle": Case(_analyze("corrupt"), 1, "corrupt video data, "),
    "no_frames": Case(_analyze("no_decodable_frames"), 1, "no decodable video frames"),
    "audio_only": Case(_analyze("no_video_stream"), 1, "contains no video stream (found audio)"),
    "cover_art": Case(_analyze("audio_with_cover_art"), 1, "(found audio, cover art)"),
    "ansi_text": Case(_analyze("ansi_text"), 1, "is a text file, expected a video"),
    "png": Case(_analyze("image_png"), 1, "is an image (PNG), expected a video"),
    "jpg": Case(_analyze("image_jpg"), 1, "is an image (JPEG), expected a video"),
    "tiny": Case(_analyze("tiny"), 1, "video too small (32x32 pixels)"),
    # output folders that cannot be used: refused before the (here broken) model is looked at
    "outdir_is_file": Case(
        lambda c, w: ["analyze", c["video"], "-o", c["file"], "--model", c["text_model"]],
        1,
        "a file: exists and is not a folder",
    ),
    "outdir_under_file": Case(
        lambda c, w: ["analyze", c["video"], "-o", c["file"] / "out", "--model", c["text_model"]],
        1,
        "is a file, expected a folder to write the output in",
    ),
    "outdir_refused_by_system": Case(
        lambda c, w: [
            "analyze",
            c["video"],
            "-o",
            "/sys/formcheck-out",
            "--model",
            c["text_model"],
        ],
        1,
        "cannot write in /sys",
    ),
    # rules, models and caches
    "rules_typo": Case(
        _analyze("video", "--rules", "cyclist_sqaut"), 1, "did you mean cyclist_squat?"
    ),
    "rules_bad_value": Case(_analyze("video", "--rules", "{bad_rules}"), 1, "rules.toml"),
    "rules_syntax": Case(_analyze("video", "--rules", "{broken_rules}"), 1, "syntax error"),
    "model_text": Case(_analyze("video", "--model", "{text_model}"), 1, "not a MediaPipe .task"),
    "model_wrong": Case(
        _analyze("video", "--model", "{wrong_model}"), 1, "not a pose landmarker bundle"
    ),
    "model_missing": Case(_analyze("video", "--model", "{missing}"), 1, "no such file"),
    "cache_text": Case(_from_cache("video", "text_cache"), 1, "not a zip archive"),
    "cache_pickled": Case(_from_cache("video", "pickled_cache"), 1, "holds Python objects"),
    "cache_foreign": Case(_from_cache("video", "foreign_cache"), 1, "not a formcheck landmark"),
    "cache_of_another_video": Case(
        _from_cache("other_video", "bound_cache"),
        1,
        "landmarks of another video (squat.mp4,",
    ),
    "cache_of_another_size": Case(_from_cache("other_size"), 1, "landmarks are for a 120x160"),
    "own_cache_of_a_truncated_video": Case(  # fewer frames than declared: the fingerprint decides
        _from_cache("truncated_faststart", "truncated_cache"), 2, "No person was found", 1, REPORT
    ),
    # other commands
    "landmarks_into_folder": Case(
        lambda c, w: ["landmarks", c["video"], "-o", c["empty_folder"]], 1, "is a directory"
    ),
    "landmarks_tiny": Case(
        lambda c, w: ["landmarks", c["tiny"], "-o", w / "l.npz"], 1, "video too small"
    ),
    "live_missing": Case(
        lambda c, w: ["live", "--source", c["missing"], "--headless"], 1, "no such file"
    ),
    "live_record_into_file": Case(
        lambda c, w: ["live", "--source", c["video"], "--headless", "--record", c["file"]],
        1,
        "exists and is not a folder",
    ),
    "batch_empty_folder": Case(
        lambda c, w: ["batch", c["empty_folder"], "-o", w / "b"], 1, "found none"
    ),
    "batch_into_file": Case(
        lambda c, w: ["batch", c["corpus"], "-o", c["file"]], 1, "exists and is not a folder"
    ),
    # odd but fine: analysed from the landmark cache, no stderr at all
    "container_mov": Case(_from_cache(".mov"), 0, "", 0, REPORT),
    "container_mkv": Case(_from_cache(".mkv"), 0, "", 0, REPORT),
    "container_avi_mpeg4": Case(_from_cache(".avi"), 0, "", 0, REPORT),
    "container_webm_vp9": Case(_from_cache(".webm"), 0, "", 0, REPORT),
    "odd_name": Case(_from_cache("odd_name"), 0, "", 0, REPORT),
    "rotated_phone": Case(_from_cache("rotated"), 0, "", 0, REPORT),
    "variable_frame_rate": Case(_from_cache("vfr"), 0, "", 0, REPORT),
    # damaged but readable, and extremes of size and length: through the pose model
    "damaged_packets": Case(
        _analyze("damaged"), 2, "damaged frames skipped (1.", 2, REPORT, slow=True
    ),
    "truncated_at_end": Case(
        _analyze("truncated_faststart"), 2, "truncated video, the file stops at", 2, REPORT, True
    ),
    "one_frame": Case(_analyze("one_frame"), 2, "No person was found", 1, REPORT, slow=True),
    "4k": Case(_analyze("4k"), 2, "No person was found in 4k.mp4", 1, REPORT, slow=True),
}


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def _expand(arg: str | Path, corpus: dict[str, Path]) -> str:
    text = str(arg)
    if text.startswith("{") and text.endswith("}"):
        return str(corpus[text[1:-1]])
    return text


@pytest.mark.parametrize(
    "name",
    [pytest.param(n, marks=[pytest.mark.slow] if c.slow else []) for n, c in CASES.items()],
)
def test_bad_or_odd_input(name: str, corpus: dict[str, Path], tmp_path: Path) -> None:
    case = CASES[name]
    work = tmp_path / "work"
    work.mkdir()
    corpus_with_root = {**corpus, "corpus": corpus["video"].parent}
    args = [_expand(a, corpus_with_root) for a in case.args(corpus_with_root, work)]
    corpus_before = _files(corpus["video"].parent)
    proc = subprocess.run(FORMCHECK + args, capture_output=True, text=True, timeout=300, cwd=work)
    assert proc.returncode == case.code, proc.stderr
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    lines = proc.stderr.splitlines()
    assert len(lines) == case.lines, proc.stderr
    if case.phrase:
        assert case.phrase in proc.stderr, proc.stderr
    if case.code == 1:
        assert lines[0].startswith("formcheck: error: "), lines
    # nothing half-written: the run's folder holds exactly what it names, the corpus is untouched
    left = {p.split(os.sep)[0] for p in _files(work)}
    assert left == set(case.writes), left
    assert _files(corpus["video"].parent) == corpus_before
    if case.writes == REPORT:
        assert (work / "out" / "report.json").is_file() and (work / "out" / "report.html").is_file()


def test_corpus_has_at_least_thirty_cases() -> None:
    assert len(CASES) >= 30


# --- signals and killed runs ---------------------------------------------------------------------


def _stage_of(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.startswith(".out.") and p.name.endswith(".tmp")]


def _as_from_a_terminal() -> None:
    """In the child before exec: SIGINT handled by default, as in a terminal. A test run started
    in the background by a non-interactive shell (``cmd &``, as CI scripts do) inherits SIGINT
    ignored, and Python then keeps ignoring it (the Unix convention for background jobs), so a
    Ctrl-C could not reach the run at all."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_signal_while_writing_leaves_nothing_and_says_interrupted(
    sig: signal.Signals, corpus: dict[str, Path], tmp_path: Path
) -> None:
    """Sent once the staging folder exists (the report is being written). On a loaded machine the
    test may see the folder only as the run ends, and a signal then lands after the outputs are
    complete (exit 0, everything written, no staging left): that is tried again, up to 5 times,
    until one run is caught in the write step."""
    out = tmp_path / "out"
    for attempt in range(5):
        proc = subprocess.Popen(
            FORMCHECK
            + ["analyze", str(corpus["video"]), "--landmarks", str(corpus["cache"])]
            + ["-o", str(out)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=_as_from_a_terminal,
        )
        deadline = time.monotonic() + 60
        while not _stage_of(tmp_path) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.15 * attempt)  # each try a little later in the write step
        if attempt and proc.poll() is not None:  # ended while waiting: as a late signal, below
            proc.communicate(timeout=60)
            assert proc.returncode == 0 and (out / "report.json").is_file()
            shutil.rmtree(out)
            continue
        assert proc.poll() is None, "finished before the signal could be sent"
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
        if proc.returncode == 0:  # the signal came as the run ended: all written, nothing staged
            assert (out / "report.json").is_file() and not _stage_of(tmp_path), err
            shutil.rmtree(out)
            continue
        assert proc.returncode == 130, err
        assert err == "formcheck: interrupted\n"
        assert list(tmp_path.iterdir()) == []
        return
    pytest.fail("the signal never reached a run during its write step in 5 tries")


def test_staging_folder_of_a_killed_run_is_removed_by_the_next_run(
    corpus: dict[str, Path], tmp_path: Path
) -> None:
    args = FORMCHECK + ["analyze", str(corpus["video"]), "--landmarks", str(corpus["cache"])]
    proc = subprocess.Popen(args + ["-o", str(tmp_path / "out")], stderr=subprocess.PIPE)
    while not _stage_of(tmp_path) and proc.poll() is None:
        time.sleep(0.01)
    proc.kill()  # SIGKILL: nothing can clean up
    proc.wait()
    assert len(_stage_of(tmp_path)) == 1
    done = subprocess.run(
        args + ["-o", str(tmp_path / "out"), "--no-video"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
