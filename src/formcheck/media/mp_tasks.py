"""MediaPipe's pose landmarker API, imported without the rest of MediaPipe.

``import mediapipe`` runs four package ``__init__`` files that import every task MediaPipe has
(audio with sounddevice, text, GenAI) and ``vision.drawing_utils`` (matplotlib.pyplot, cv2):
most of formcheck's start-up before the first frame reaches the model (benchmarks/RESULTS.md),
for a pose landmarker that needs a few modules of ``mediapipe.tasks.python``.

`pose_api` imports just those. The four packages on the way (`DEFERRED`) are created as module
objects without running their ``__init__``; the modules beneath them import as usual (their own
imports are absolute, so nothing else is needed). Each deferred package answers a name it does
not hold yet (``mediapipe.__version__``, ``mediapipe.tasks.python.audio``) by running the
deferred ``__init__`` files in their own module objects, innermost first (`complete`): after
that ``mediapipe`` is the whole package, as if imported normally, for any code in the same
process. When ``mediapipe`` is already imported, or its layout is not the one expected (another
release), `pose_api` imports the whole package instead.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import logging
import sys
import threading
from types import ModuleType, SimpleNamespace
from typing import Any

log = logging.getLogger(__name__)

#: The packages whose ``__init__`` `pose_api` defers, outermost first.
DEFERRED = (
    "mediapipe",
    "mediapipe.tasks",
    "mediapipe.tasks.python",
    "mediapipe.tasks.python.vision",
)
#: The modules the pose landmarker needs, and the names formcheck takes from them.
_NAMES = {
    "mediapipe.tasks.python.vision.core.image": ("Image", "ImageFormat"),
    "mediapipe.tasks.python.core.base_options": ("BaseOptions",),
    "mediapipe.tasks.python.vision.core.vision_task_running_mode": ("VisionTaskRunningMode",),
    "mediapipe.tasks.python.vision.pose_landmarker": (
        "PoseLandmarker",
        "PoseLandmarkerOptions",
        "PoseLandmarkerResult",
    ),
}
_HOOK = "__getattr__"
_lock = threading.RLock()
_deferred: list[ModuleType] = []  # the packages whose __init__ has not run yet, outermost first
_api: SimpleNamespace | None = None


def pose_api() -> SimpleNamespace:
    """The pose landmarker's classes: ``Image``, ``ImageFormat``, ``BaseOptions``,
    ``RunningMode`` (``VisionTaskRunningMode``), ``PoseLandmarker``, ``PoseLandmarkerOptions``
    and ``PoseLandmarkerResult``; the same objects ``import mediapipe`` gives."""
    global _api
    with _lock:
        if _api is None:
            _api = _load()
        return _api


def _load() -> SimpleNamespace:
    if "mediapipe" not in sys.modules:
        try:
            return _load_deferred()
        except (ImportError, AttributeError) as exc:  # another layout: the usual import
            log.debug("mediapipe: deferred import failed (%s); importing all of it", exc)
            _undo()
    importlib.import_module("mediapipe")
    return _namespace()


def _load_deferred() -> SimpleNamespace:
    for name in DEFERRED:
        parent, _, _ = name.rpartition(".")
        path = sys.modules[parent].__path__ if parent else None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None or spec.submodule_search_locations is None:
            raise ImportError(f"{name}: no package found")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        _deferred.append(module)
        if parent:
            setattr(sys.modules[parent], name.rpartition(".")[2], module)
    api = _namespace()
    for module in _deferred:
        setattr(module, _HOOK, _hook_for(module))
    return api


def _namespace() -> SimpleNamespace:
    found: dict[str, Any] = {}
    for module_name, names in _NAMES.items():
        module = importlib.import_module(module_name)
        for name in names:
            found[name] = getattr(module, name)
    found["RunningMode"] = found.pop("VisionTaskRunningMode")
    return SimpleNamespace(**found)


def _hook_for(module: ModuleType) -> Any:
    def __getattr__(name: str) -> Any:  # noqa: N807 (PEP 562 module hook)
        if name.startswith("__") and name not in ("__version__", "__all__"):
            raise AttributeError(name)  # import machinery probing dunders: no need to complete
        complete()
        return getattr(module, name)

    return __getattr__


def complete() -> None:
    """Run the ``__init__`` files `pose_api` deferred (innermost first), so ``mediapipe`` is the
    whole package; nothing when none are deferred."""
    with _lock:
        pending = list(_deferred)
        _deferred.clear()
        for module in pending:
            module.__dict__.pop(_HOOK, None)
        for module in reversed(pending):
            module.__spec__.loader.exec_module(module)  # type: ignore[union-attr]


def _undo() -> None:
    """Forget a failed deferred import: every ``mediapipe`` module, so the usual import starts
    clean."""
    _deferred.clear()
    for name in [n for n in sys.modules if n == "mediapipe" or n.startswith("mediapipe.")]:
        del sys.modules[name]
