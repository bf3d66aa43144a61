"""Spoken cues (``formcheck live --voice`` / ``--voice-to FILE.wav``): after each rep, its number
and the one cue that matters, and a short tone the moment a rep is counted.

- `VoiceCoach` decides what is said and when, on the session's source clock (seconds): a tone
  per counted rep at once; the phrase ("Rep 3. Push your knees out over your toes.") through a
  `CueBoard` with the on-screen board's hold and time-to-live, so a phrase is spoken at least
  ``hold_s`` after the previous one started, the newest waiting one wins and one that waited
  ``ttl_s`` is dropped, exactly as the screen does it.
- `Espeak` speaks offline with the espeak-ng program (Debian package ``espeak-ng``), run as a
  subprocess per phrase (each text synthesised once, then cached). It says any text, so the
  cues of a custom rule file are spoken as written.
- Where it goes: `DeviceOut` plays on the default audio device through ``sounddevice``
  (PortAudio; Debian package ``libportaudio2``) in a thread of its own, so the frame loop never
  waits for speech; `FileOut` writes what would have been said into a WAV file, each sound at
  its time in the session (sample 0 = the first processed frame), written atomically at the end.
"""

from __future__ import annotations

import io
import queue
import shutil
import subprocess
import threading
import wave
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

import numpy as np

from ..errors import InputError
from .cues import CueBoard
from .events import NEW, REVISED, WITHDRAWN, Feedback, RepEvent

RATE = 22050  # Hz: espeak-ng's output rate, used for the tone and the file too
#: The rep tone: 880 Hz (A5, clear over gym noise and music without being shrill), 120 ms with
#: 10 ms fades (no clicks), at a quarter of full scale (below speech, which peaks near full).
TONE_HZ, TONE_S, TONE_FADE_S, TONE_LEVEL = 880.0, 0.12, 0.01, 0.25
SILENCE = 1e-3  # |sample| below this (-60 dBFS) at the ends of a phrase is cut off
GAP_S = 0.15  # silence between the tone and the phrase, and between "Rep 3." and the cue
WORDS_PER_MINUTE = 150  # espeak-ng's default is 175: slower carries better across a room
GOOD = "Good rep."


def phrase(event: RepEvent) -> str:
    """What is said for a rep event: its number and its cue (``"Rep 3. Push your knees out."``)."""
    head = f"Rep {event.number}" + (", corrected" if event.kind == REVISED else "")
    if event.score is None:
        return f"{head}. Not scored."
    cue = event.cue.strip().rstrip(".") + "." if event.cue.strip() else GOOD
    return f"{head}. {cue}"


def tone(rate: int = RATE) -> np.ndarray:
    """The rep tone: float32 samples in [-1, 1] at ``rate`` Hz (see ``TONE_HZ``)."""
    t = np.arange(int(TONE_S * rate)) / rate
    fade = np.clip(np.minimum(t, TONE_S - t) / TONE_FADE_S, 0.0, 1.0)
    return (TONE_LEVEL * fade * np.sin(2 * np.pi * TONE_HZ * t)).astype(np.float32)


class Espeak:
    """Offline speech with espeak-ng: ``speak(text)`` -> float32 samples at `RATE` Hz.

    Raises `InputError` at construction when espeak-ng is not installed.
    """

    def __init__(self, words_per_minute: int = WORDS_PER_MINUTE, voice: str = "en") -> None:
        exe = shutil.which("espeak-ng")
        if exe is None:
            raise InputError(
                "--voice: espeak-ng is not installed (Debian/Ubuntu: apt-get install espeak-ng)"
            )
        self._cmd = [exe, "--stdout", "-s", str(words_per_minute), "-v", voice]
        self._cache: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def speak(self, text: str) -> np.ndarray:
        """``text`` spoken: float32 samples at `RATE` Hz (cached per text)."""
        with self._lock:
            if text not in self._cache:
                out = subprocess.run(
                    [*self._cmd, text], capture_output=True, check=True, timeout=30
                ).stdout
                self._cache[text] = _wav_samples(out)
            return self._cache[text]


def _wav_samples(data: bytes) -> np.ndarray:
    """The samples of espeak-ng's 16-bit mono WAV (its header's length is unset when piped)."""
    with wave.open(io.BytesIO(data[:44])) as w:
        if (w.getnchannels(), w.getsampwidth(), w.getframerate()) != (1, 2, RATE):
            raise ValueError(f"espeak-ng: expected 16-bit mono at {RATE} Hz, got {w.getparams()}")
    start = data.index(b"data") + 8
    pcm = data[start : start + (len(data) - start) // 2 * 2]
    samples = np.frombuffer(pcm, "<i2").astype(np.float32) / 32768.0
    sound = np.flatnonzero(np.abs(samples) > SILENCE)
    return samples[sound[0] : sound[-1] + 1] if sound.size else samples[:0]  # no silent ends


class AudioOut(Protocol):
    """Where sounds go; ``at`` is the session time (s) the sound was asked for."""

    def tone(self, at: float) -> None: ...

    def say(self, text: str, at: float) -> None: ...

    def close(self) -> None: ...


class DeviceOut:
    """Plays on the default output device from a thread of its own, one sound after another
    (a phrase still waiting when a newer one is queued is dropped).

    Raises `InputError` (one line) when PortAudio is missing or there is no output device.
    """

    def __init__(self, speech: Espeak) -> None:
        try:
            import sounddevice as sd

            sd.query_devices(kind="output")
        except Exception as exc:  # OSError: no PortAudio; sounddevice.PortAudioError: no device
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise InputError(
                f"--voice: no audio output device ({reason}); --voice-to FILE.wav writes "
                f"the voice to a file instead"
            ) from None
        self._sd = sd
        self.speech = speech
        self.errors: list[str] = []
        self._queue: queue.Queue[tuple[str, str] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="voice", daemon=True)
        self._thread.start()

    def tone(self, at: float) -> None:
        self._queue.put(("tone", ""))

    def say(self, text: str, at: float) -> None:
        self._queue.put(("say", text))

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            kind, text = item
            if kind == "say" and any(k == "say" for k, _ in _queued(self._queue)):
                continue  # a newer phrase waits behind this one: the newest wins, as on screen
            try:
                audio = tone() if kind == "tone" else self.speech.speak(text)
                self._sd.play(audio, RATE, blocking=True)
            except Exception as exc:  # a lost device must not end the session: note it once
                if not self.errors:
                    self.errors.append(f"voice: {exc}")

    def close(self, timeout: float = 10.0) -> None:
        """Let what is queued be said (at most ``timeout`` seconds), then stop."""
        self._queue.put(None)
        self._thread.join(timeout)
        if self._thread.is_alive():
            self._sd.stop()


def _queued(q: queue.Queue) -> list:
    """A snapshot of the items waiting in ``q`` (None, the end mark, excluded)."""
    with q.mutex:
        return [item for item in q.queue if item is not None]


class FileOut:
    """Writes every sound at its session time into a WAV file (16-bit mono, `RATE` Hz) on
    ``close``, as `DeviceOut` would play it: a sound asked for while the previous one plays
    starts when it ends, and a phrase still waiting when a newer one is asked for is dropped.
    Times count from ``origin`` (the first processed frame's time)."""

    def __init__(self, path: Path, speech: Espeak) -> None:
        self.path = Path(path)
        self.speech = speech
        self.origin: float | None = None
        self._items: list[tuple[float, str, str]] = []
        self.end = 0.0  # session time (s) the file must reach
        self.placed: list[tuple[float, float, str, str]] = []  # (start s, length s, kind, text)

    def tone(self, at: float) -> None:
        self._items.append((at, "tone", ""))

    def say(self, text: str, at: float) -> None:
        self._items.append((at, "say", text))

    def timeline(self) -> np.ndarray:
        """The session's sound: float32 samples at `RATE` Hz from ``origin`` to ``end``."""
        origin = self.origin if self.origin is not None else 0.0
        placed: list[tuple[int, np.ndarray]] = []
        self.placed = []
        free = 0  # first sample after the last placed sound
        says = [at for at, kind, _ in self._items if kind == "say"]
        for at, kind, text in self._items:
            start = max(int(round((at - origin) * RATE)), free)
            later = [t for t in says if t > at]
            if kind == "say" and later and (later[0] - origin) * RATE <= start:
                continue  # a newer phrase was asked for before this one could start: dropped
            audio = tone() if kind == "tone" else self.speech.speak(text)
            placed.append((start, audio))
            self.placed.append((start / RATE, len(audio) / RATE, kind, text))
            free = start + len(audio) + int(GAP_S * RATE)
        n = max([int(round((self.end - origin) * RATE)), *(s + len(a) for s, a in placed)])
        out = np.zeros(n, np.float32)
        for start, audio in placed:
            out[start : start + len(audio)] += audio
        return out

    def close(self) -> None:
        from ..media.cache import atomic_write

        pcm = (np.clip(self.timeline(), -1.0, 1.0) * 32767).astype("<i2")

        def write(fh) -> None:  # noqa: ANN001 -- a binary file
            with wave.open(fh, "wb") as w:
                w.setnchannels(1)
                w.setsampwidth(2)
                w.setframerate(RATE)
                w.writeframes(pcm.tobytes())

        atomic_write(self.path, write)


class VoiceCoach:
    """Decides what is said and when (see the module docstring); ``update`` once per processed
    frame with its time (s, source clock) and rep events. Never blocks: the outputs queue."""

    def __init__(self, outs: Iterable[AudioOut], hold_s: float, ttl_s: float) -> None:
        self.outs = list(outs)
        self.board = CueBoard(hold_s=hold_s, ttl_s=ttl_s)
        self.said: list[tuple[float, str]] = []  # (time, phrase) of everything said
        self.tones: list[float] = []  # times of the rep tones
        self._last = ""
        self.now = 0.0

    def update(self, now: float, events: Iterable[RepEvent]) -> None:
        self.now = now
        for event in events:
            if event.kind == WITHDRAWN:
                continue
            if event.kind == NEW:
                self.tones.append(now)
                for out in self.outs:
                    out.tone(now)
            self.board.offer(phrase(event), now)
        text = self.board.current(now)
        if text and text != self._last:
            self.said.append((now, text))
            for out in self.outs:
                out.say(text, now)
        self._last = text

    def close(self) -> None:
        """Say what still waits (when its hold is over), then close the outputs."""
        self.update(self.now + self.board.hold_s, ())
        for out in self.outs:
            out.close()


class VoiceDisplay:
    """A display (see `formcheck.live.session.Display`) that also feeds a `VoiceCoach`: wraps
    the window or the headless display; rep events after the last frame are said at its time."""

    def __init__(self, inner, coach: VoiceCoach, file_out: FileOut | None = None) -> None:  # noqa: ANN001
        self.inner = inner
        self.coach = coach
        self.file_out = file_out

    def show(self, feedback: Feedback, paused: bool = False) -> str | None:
        now = feedback.frame.timestamp
        if self.file_out is not None:
            if self.file_out.origin is None:
                self.file_out.origin = now
            self.file_out.end = now
        self.coach.update(now, () if paused else feedback.events)
        return self.inner.show(feedback, paused)

    def idle(self) -> str | None:
        return self.inner.idle()

    def events(self, events) -> None:  # noqa: ANN001
        self.coach.update(self.coach.now, tuple(events))
        self.inner.events(events)

    def close(self) -> None:
        """Close the inner display, then the voice (what is queued is said, the file written)."""
        try:
            self.inner.close()
        finally:
            self.coach.close()
