"""formcheck.media.model: which model, bundle checks, hashing, loading, native log silencing."""

from __future__ import annotations

import hashlib
import os
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from formcheck.errors import ModelError
from formcheck.media.model import (
    ENV_VAR,
    REQUIRED_MEMBERS,
    bundled_model_path,
    native_stderr_silenced,
    open_landmarker,
    resolve_model,
    resolve_model_path,
    validate_model,
)

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "models" / "pose_landmarker_full.task"


def test_bundled_model_is_found_from_the_source_tree() -> None:
    assert bundled_model_path() == BUNDLED


def test_model_choice_order_flag_then_env_then_bundled(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert resolve_model_path(None) == BUNDLED
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "env.task"))
    assert resolve_model_path(None) == tmp_path / "env.task"
    assert resolve_model_path(tmp_path / "flag.task") == tmp_path / "flag.task"


def test_resolve_model_hashes_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    model = resolve_model()
    assert model.path == BUNDLED
    assert model.sha256 == hashlib.sha256(BUNDLED.read_bytes()).hexdigest()


def _bundle(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def _missing(d: Path) -> Path:
    return d / "absent.task"


def _directory(d: Path) -> Path:
    return d


def _text(d: Path) -> Path:
    (d / "t.task").write_text("not a model")
    return d / "t.task"


def _truncated(d: Path) -> Path:
    (d / "half.task").write_bytes(BUNDLED.read_bytes()[:1000])
    return d / "half.task"


def _wrong_members(d: Path) -> Path:
    return _bundle(d / "hands.task", {"hand_detector.tflite": b"x"})


def _not_tflite(d: Path) -> Path:
    return _bundle(d / "txt.task", {m: b"hello world!" for m in REQUIRED_MEMBERS})


def _flipped_byte(d: Path) -> Path:
    data = bytearray(BUNDLED.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte inside the landmark model: CRC mismatch
    (d / "flipped.task").write_bytes(bytes(data))
    return d / "flipped.task"


@pytest.mark.parametrize(
    ("make", "phrase"),
    [
        (_missing, "no such file"),
        (_directory, "is a directory"),
        (_text, "expected a zip archive"),
        (_truncated, "expected a zip archive"),
        (_wrong_members, "expected pose_detector.tflite"),
        (_not_tflite, "not a TFLite model"),
        (_flipped_byte, "checksum error"),
    ],
)
def test_bad_model_file_gives_one_line_model_error(
    tmp_path: Path, make: Callable[[Path], Path], phrase: str
) -> None:
    path = make(tmp_path)
    with pytest.raises(ModelError) as err:
        resolve_model(path)
    assert str(path) in str(err.value)
    assert phrase in str(err.value)
    assert "\n" not in str(err.value)


def test_validate_accepts_the_bundled_model() -> None:
    validate_model(BUNDLED)


@pytest.mark.slow
def test_model_loads_and_finds_nobody_in_a_blank_frame() -> None:
    import mediapipe as mp

    with open_landmarker(resolve_model(BUNDLED), mode="video") as landmarker:
        blank = np.zeros((240, 320, 3), np.uint8)
        result = landmarker.detect_for_video(
            mp.Image(image_format=mp.ImageFormat.SRGB, data=blank), 0
        )
    assert result.pose_landmarks == []


@pytest.mark.slow
def test_model_mediapipe_cannot_parse_gives_model_error(tmp_path: Path) -> None:
    """Passes the zip checks (TFLite magic) but the flatbuffers are garbage: MediaPipe's error, one line."""
    junk = b"\0\0\0\0TFL3" + bytes(range(256)) * 20
    path = _bundle(tmp_path / "junk.task", {m: junk for m in REQUIRED_MEMBERS})
    model = resolve_model(path)
    with pytest.raises(ModelError, match="MediaPipe cannot load it") as err, open_landmarker(model):
        pass
    assert "\n" not in str(err.value)


def test_native_stderr_is_silenced_but_python_stderr_is_not(
    capfd: pytest.CaptureFixture[str],
) -> None:
    with native_stderr_silenced():
        os.write(2, b"native noise\n")
        print("python message", file=sys.stderr)
    os.write(2, b"after\n")
    err = capfd.readouterr().err
    assert "native noise" not in err
    assert "python message" in err
    assert "after" in err
