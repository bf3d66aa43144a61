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
- How it sounds: a `Mixer` starts a tone at once, over whatever plays, and plays phrases one
  at a time, dropping a waiting phrase when a newer one comes.
- Where it goes: `DeviceOut` plays the mixer on the default audio device through
  ``sounddevice`` (PortAudio; Debian package ``libportaudio2``) from PortAudio's own thread,
  synthesising in another, so the frame loop never waits for speech; `FileOut` renders the
  session's requests through the same mixer into a WAV file (sample 0 = the first processed
  frame), written atomically at the end.
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
from .display import HeadlessDisplay
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
                out = subprocess.run(  # text on stdin: a cue may start with "-"
                    self._cmd, input=text.encode(), capture_output=True, check=True, timeout=30
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


class Mixer:
    """The voice's sound, block by block (float32 samples at `RATE` Hz): a tone starts at once,
    mixed over whatever plays; phrases play one at a time, each at least ``GAP_S`` after the
    previous phrase and after the last tone; a phrase still waiting when a newer one comes is
    dropped (the newest wins, as on screen). Thread-safe: `DeviceOut`'s audio callback reads
    while the session adds; `FileOut` renders a session with it offline, so the file holds
    what the device plays."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.t = 0  # samples read so far
        self._tones: list[tuple[int, np.ndarray]] = []  # (start sample, samples)
        self._phrase: tuple[int, np.ndarray] | None = None  # playing: (start sample, samples)
        self._waiting: tuple[np.ndarray, str] | None = None
        self._free = 0  # the next phrase may start at this sample
        self.log: list[tuple[int, int, str, str]] = []  # (start, length, kind, text) played

    def tone(self, audio: np.ndarray) -> None:
        with self._lock:
            self._tones.append((self.t, audio))
            self._free = max(self._free, self.t + len(audio) + int(GAP_S * RATE))
            self.log.append((self.t, len(audio), "tone", ""))

    def say(self, audio: np.ndarray, text: str = "") -> None:
        with self._lock:
            self._waiting = (audio, text)

    @property
    def idle(self) -> bool:
        """Nothing playing or waiting."""
        with self._lock:
            busy = self._waiting is not None or self._phrase is not None
            return not busy and all(s + len(a) <= self.t for s, a in self._tones)

    def read(self, n: int) -> np.ndarray:
        """The next ``n`` samples."""
        with self._lock:
            out = np.zeros(n, np.float32)
            t0, t1 = self.t, self.t + n
            if self._phrase is not None and self._phrase[0] + len(self._phrase[1]) <= t0:
                self._phrase = None
            if self._phrase is None and self._waiting is not None and self._free < t1:
                audio, text = self._waiting
                start = max(t0, self._free)
                self._phrase, self._waiting = (start, audio), None
                self._free = start + len(audio) + int(GAP_S * RATE)
                self.log.append((start, len(audio), "say", text))
            playing = [self._phrase] if self._phrase is not None else []
            for start, audio in [*self._tones, *playing]:
                lo, hi = max(start, t0), min(start + len(audio), t1)
                if lo < hi:
                    out[lo - t0 : hi - t0] += audio[lo - start : hi - start]
            self._tones = [(s, a) for s, a in self._tones if s + len(a) > t1]
            self.t = t1
            return out


class DeviceOut:
    """Plays the `Mixer` on the default output device (a PortAudio stream whose callback reads
    it); phrases are synthesised in a thread of its own, so nothing here waits.

    Raises `InputError` (one line) when PortAudio is missing or there is no output device.
    """

    def __init__(self, speech: Espeak) -> None:
        self.mixer = Mixer()
        try:
            import sounddevice as sd

            sd.query_devices(kind="output")
            self._stream = sd.OutputStream(
                samplerate=RATE, channels=1, dtype="float32", callback=self._callback
            )
            self._stream.start()
        except Exception as exc:  # OSError: no PortAudio; sounddevice.PortAudioError: no device
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise InputError(
                f"--voice: no audio output device ({reason}); --voice-to FILE.wav writes "
                f"the voice to a file instead"
            ) from None
        self.speech = speech
        self.errors: list[str] = []
        self._texts: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._synthesise, name="voice", daemon=True)
        self._thread.start()

    def _callback(self, outdata, frames, time, status) -> None:  # noqa: ANN001 -- PortAudio's
        outdata[:, 0] = self.mixer.read(frames)

    def tone(self, at: float) -> None:
        self.mixer.tone(tone())

    def say(self, text: str, at: float) -> None:
        self._texts.put(text)

    def _synthesise(self) -> None:
        while (text := self._texts.get()) is not None:
            try:
                self.mixer.say(self.speech.speak(text), text)
            except Exception as exc:  # speech failing must not end the session: note it once
                if not self.errors:
                    self.errors.append(f"voice: {exc}")

    def close(self, timeout: float = 5.0) -> None:
        """Let what is queued be said (at most ``timeout`` seconds), then stop the stream."""
        import time

        self._texts.put(None)
        self._thread.join(timeout)
        deadline = time.monotonic() + timeout
        while not self.mixer.idle and time.monotonic() < deadline:
            time.sleep(0.05)
        self._stream.stop()
        self._stream.close()


class FileOut:
    """Writes the voice into a WAV file (16-bit mono, `RATE` Hz) on ``close``: the session's
    requests, each at its time, played through a `Mixer` as `DeviceOut` plays them. Times
    count from ``origin`` (the first processed frame's time); ``placed`` lists what was
    played: ``(start s, length s, kind, text)``."""

    def __init__(self, path: Path, speech: Espeak) -> None:
        self.path = Path(path)
        self.speech = speech
        self.origin: float | None = None
        self._items: list[tuple[float, str, str]] = []
        self.end = 0.0  # session time (s) the file must reach
        self.placed: list[tuple[float, float, str, str]] = []

    def tone(self, at: float) -> None:
        self._items.append((at, "tone", ""))

    def say(self, text: str, at: float) -> None:
        self._items.append((at, "say", text))

    def timeline(self) -> np.ndarray:
        """The session's sound: float32 samples at `RATE` Hz from ``origin`` to at least
        ``end`` (longer when the last phrase ends later)."""
        origin = self.origin if self.origin is not None else 0.0
        mixer, blocks = Mixer(), []
        for at, kind, text in sorted(self._items, key=lambda item: item[0]):
            due = int(round((at - origin) * RATE))
            if due > mixer.t:
                blocks.append(mixer.read(due - mixer.t))
            if kind == "tone":
                mixer.tone(tone())
            else:
                mixer.say(self.speech.speak(text), text)
        end = int(round((self.end - origin) * RATE))
        while mixer.t < end or not mixer.idle:
            blocks.append(mixer.read(max(end - mixer.t, RATE // 10)))
        self.placed = [(s / RATE, n / RATE, kind, text) for s, n, kind, text in mixer.log]
        return np.concatenate(blocks) if blocks else np.zeros(0, np.float32)

    def close(self) -> None:
        """Write the file (atomically: complete or not at all)."""
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
        self.now = 0.0  # the last update's time (s)
        self.reset()

    def reset(self) -> None:
        """Start over with the session (``r``): its reps are numbered from 1 again."""
        self.board.clear()
        self._last = ""

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

    def __init__(
        self, inner: HeadlessDisplay, coach: VoiceCoach, file_out: FileOut | None = None
    ) -> None:
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
        return self._reset_on(self.inner.show(feedback, paused))

    def idle(self) -> str | None:
        return self._reset_on(self.inner.idle())

    def _reset_on(self, action: str | None) -> str | None:
        if action == "reset":
            self.coach.reset()
        return action

    def events(self, events: Iterable[RepEvent]) -> None:
        events = tuple(events)
        self.coach.update(self.coach.now, events)
        self.inner.events(events)

    def close(self) -> None:
        """Close the inner display, then the voice (what is queued is said, the file written)."""
        try:
            self.inner.close()
        finally:
            self.coach.close()
