"""The pose model: find the ``.task`` bundle, check it, hash it, and open a MediaPipe ``PoseLandmarker``.

Which model: ``--model PATH`` if given, else the ``FORMCHECK_MODEL`` environment
variable, else the bundled ``models/pose_landmarker_full.task``. Any official
``pose_landmarker_{lite,full,heavy}.task`` works too.

Threads: MediaPipe Tasks (1.2.3) has no thread-count option (``BaseOptions`` only
takes the model and a delegate). Measured on the bundled model in VIDEO mode, the
CPU delegate uses about one core per landmarker (CPU time / wall time = 1.0), so
two worker processes on two cores do not oversubscribe.

MediaPipe's native code (LiteRT, absl) writes INFO/WARNING lines straight to file
descriptor 2; :func:`open_landmarker` silences them for the landmarker's whole life
(set ``FORMCHECK_NATIVE_LOGS=1`` to see them).

Offline: the native library of mediapipe 1.2.x posts usage statistics to
``https://play.googleapis.com/log`` through its bundled libcurl whenever a landmarker
starts and stops (``tasks/cc/core/logging/google_internal``; the open-source tree has only a
dummy logger, and nothing in the wheel switches the upload off: the task runner always
builds the HTTP logger). :func:`keep_offline` stops it before any name lookup: libcurl reads
the proxy for that URL from ``https_proxy`` (``all_proxy`` as a fallback) and refuses a proxy
whose scheme it does not know, without resolving or connecting anything; ``no_proxy`` would
bypass the proxy, so it is removed. :func:`create_landmarker` calls it first, so every
process that runs the model (the CLI, batch workers, live mode) sends nothing anywhere.
"""

from __future__ import annotations

import hashlib
import os
import sys
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..errors import ModelError

ENV_VAR = "FORMCHECK_MODEL"
MODEL_NAME = "pose_landmarker_full.task"
#: Members every PoseLandmarker bundle holds.
REQUIRED_MEMBERS = ("pose_detector.tflite", "pose_landmarks_detector.tflite")
#: Default confidence thresholds (MediaPipe's defaults), each in [0, 1].
MIN_DETECTION_CONFIDENCE = 0.5
MIN_PRESENCE_CONFIDENCE = 0.5
MIN_TRACKING_CONFIDENCE = 0.5
#: Proxy set by :func:`keep_offline`: a scheme libcurl does not support, on a reserved name
#: (RFC 2606 ``.invalid``), so the upload fails before any lookup or connection.
NO_NETWORK_PROXY = "formcheck-offline://no-network.invalid"
#: Variables libcurl reads for the proxy of an https URL (lowercase first) and the bypass list.
_PROXY_VARS = ("https_proxy", "HTTPS_PROXY", "http_proxy", "all_proxy", "ALL_PROXY")
_NO_PROXY_VARS = ("no_proxy", "NO_PROXY")
#: People the landmarker looks for per frame: the squatter plus a partner, a camera operator
#: or a mirror reflection (see `formcheck.core.people` for how the squatter is chosen).
MAX_POSES = 3


@dataclass(frozen=True)
class ModelFile:
    """A checked model bundle and the sha256 of its bytes (hex)."""

    path: Path
    sha256: str


def bundled_model_path() -> Path:
    """The bundled model: in the package if installed there, else in the repository's ``models/``."""
    package = Path(__file__).resolve().parents[1]
    for candidate in (package / "models" / MODEL_NAME, package.parents[1] / "models" / MODEL_NAME):
        if candidate.is_file():
            return candidate
    return package.parents[1] / "models" / MODEL_NAME


def resolve_model_path(model: str | Path | None = None) -> Path:
    """``model`` if given, else ``$FORMCHECK_MODEL`` if set, else the bundled model."""
    if model is not None and str(model) != "":
        return Path(model)
    env = os.environ.get(ENV_VAR, "")
    return Path(env) if env else bundled_model_path()


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def validate_model(path: Path) -> None:
    """Raise :class:`ModelError` unless ``path`` is a readable PoseLandmarker ``.task`` bundle."""
    if not path.exists():
        raise ModelError(f"model {path}: no such file, expected a .task model bundle")
    if path.is_dir():
        raise ModelError(f"model {path}: is a directory, expected a .task file")
    if not zipfile.is_zipfile(path):
        raise ModelError(f"model {path}: not a MediaPipe .task bundle (expected a zip archive)")
    try:
        with zipfile.ZipFile(path) as bundle:
            names = set(bundle.namelist())
            missing = [m for m in REQUIRED_MEMBERS if m not in names]
            if missing:
                got = ", ".join(sorted(names)) or "nothing"
                want = ", ".join(missing)
                raise ModelError(
                    f"model {path}: not a pose landmarker bundle (expected {want}, got {got})"
                )
            for name in REQUIRED_MEMBERS:
                with bundle.open(name) as member:
                    head = member.read(8)
                if head[4:8] != b"TFL3":
                    raise ModelError(f"model {path}: {name} is not a TFLite model")
            bad = bundle.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ModelError(f"model {path}: corrupt .task bundle ({exc})") from None
    if bad is not None:
        raise ModelError(f"model {path}: corrupt .task bundle (checksum error in {bad})")


def resolve_model(model: str | Path | None = None) -> ModelFile:
    """Find (see :func:`resolve_model_path`), check and hash the model to use."""
    path = resolve_model_path(model)
    validate_model(path)
    return ModelFile(path=path, sha256=sha256_file(path))


@contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Send what native code writes to file descriptor 2 to /dev/null; Python's ``sys.stderr`` still works.

    ``sys.stderr`` is pointed at a copy of the original descriptor for the duration, so
    progress bars, warnings and tracebacks still reach the user. No-op when
    ``FORMCHECK_NATIVE_LOGS=1``.
    """
    if os.environ.get("FORMCHECK_NATIVE_LOGS") == "1":
        yield
        return
    old_stream = sys.stderr
    try:
        swap = old_stream is not None and old_stream.fileno() == 2
    except (AttributeError, OSError, ValueError):
        swap = False
    if swap:
        old_stream.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    if swap:
        sys.stderr = open(  # noqa: SIM115 (restored in the finally block)
            saved,
            "w",
            buffering=1,
            closefd=False,
            encoding=old_stream.encoding,
            errors=old_stream.errors,
        )
    try:
        yield
    finally:
        if swap:
            sys.stderr.flush()
            sys.stderr.close()
            sys.stderr = old_stream
        os.dup2(saved, 2)
        os.close(saved)


def keep_offline() -> None:
    """Stop MediaPipe's native usage upload in this process (and its children), before any
    lookup or connection: point libcurl's proxy variables at `NO_NETWORK_PROXY` and remove the
    ``no_proxy`` bypass (see the module docstring). formcheck itself opens no network
    connection, so nothing it does needs those variables. Idempotent."""
    for name in _PROXY_VARS:
        os.environ[name] = NO_NETWORK_PROXY
    for name in _NO_PROXY_VARS:
        os.environ.pop(name, None)


RunningMode = Literal["video", "live_stream", "image"]


def create_landmarker(
    model: ModelFile,
    *,
    mode: RunningMode = "video",
    min_detection_confidence: float = MIN_DETECTION_CONFIDENCE,
    min_presence_confidence: float = MIN_PRESENCE_CONFIDENCE,
    min_tracking_confidence: float = MIN_TRACKING_CONFIDENCE,
    num_poses: int = 1,
    result_callback: Callable[..., Any] | None = None,
) -> Any:
    """A MediaPipe ``PoseLandmarker`` for ``model``; the caller must ``close()`` it.

    ``mode`` is ``"video"`` (``detect_for_video``), ``"live_stream"`` (``detect_async``,
    needs ``result_callback``) or ``"image"``. Thresholds are confidences in [0, 1];
    ``num_poses`` is the most people found per frame (1 to :data:`MAX_POSES`).
    Prefer :func:`open_landmarker`, which also closes it and keeps native logs quiet.
    """
    keep_offline()  # before the native library starts its upload thread
    from .mp_tasks import pose_api

    api = pose_api()
    options = api.PoseLandmarkerOptions(
        base_options=api.BaseOptions(model_asset_path=str(model.path)),
        running_mode=api.RunningMode[mode.upper()],
        num_poses=num_poses,
        min_pose_detection_confidence=min_detection_confidence,
        min_pose_presence_confidence=min_presence_confidence,
        min_tracking_confidence=min_tracking_confidence,
        output_segmentation_masks=False,
        result_callback=result_callback,
    )
    try:
        return api.PoseLandmarker.create_from_options(options)
    except (RuntimeError, ValueError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"model {model.path}: MediaPipe cannot load it ({reason})") from None


@contextmanager
def open_landmarker(model: ModelFile, **options: Any) -> Iterator[Any]:
    """:func:`create_landmarker` as a context manager: closed on exit, native stderr noise silenced."""
    with native_stderr_silenced():
        landmarker = create_landmarker(model, **options)
        try:
            yield landmarker
        finally:
            landmarker.close()
