"""Spoken cues: what is said for a rep, the tone, the hold shared with the screen, and the
``--voice-to`` WAV checked with numpy (a tone and speech after each rep, silence otherwise).
Tests that speak need espeak-ng (apt-get install espeak-ng) and are skipped without it."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import threading
import wave
from pathlib import Path

import numpy as np
import pytest
from live_support import SequenceEstimator, SequenceSource

from formcheck.live.capture import Capture
from formcheck.live.display import HeadlessDisplay
from formcheck.live.events import NEW, REVISED, RepEvent
from formcheck.live.session import LiveSession, run
from formcheck.live.voice import (
    GAP_S,
    RATE,
    TONE_HZ,
    TONE_S,
    Espeak,
    FileOut,
    Mixer,
    VoiceCoach,
    VoiceDisplay,
    phrase,
    tone,
)
from formcheck.testing import squat_sequence

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "knee-valgus_front.mp4"
needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng is not installed"
)


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, RATE)
        return np.frombuffer(w.readframes(w.getnframes()), "<i2") / 32768.0


def rms(x: np.ndarray, t0: float, t1: float) -> float:
    part = x[int(t0 * RATE) : int(t1 * RATE)]
    return float(np.sqrt(np.mean(part**2))) if part.size else 0.0


def event(number: int, cue: str = "", score: float | None = 80.0, kind: str = NEW) -> RepEvent:
    return RepEvent(number, 0, 5, 9, 0.0, 1.0, score, cue=cue, kind=kind)


def test_each_rep_is_said_with_its_number_and_its_cue() -> None:
    assert phrase(event(3, "Push your knees out over your toes")) == (
        "Rep 3. Push your knees out over your toes."
    )
    assert phrase(event(1)) == "Rep 1. Good rep."
    assert phrase(event(2, "Keep your heels down.", kind=REVISED)) == (
        "Rep 2, corrected. Keep your heels down."
    )
    assert phrase(event(4, score=None)) == "Rep 4. Not scored."


def test_the_tone_is_short_clean_and_at_its_pitch() -> None:
    x = tone()
    assert len(x) == int(TONE_S * RATE) and 0.2 < np.abs(x).max() <= 0.25
    assert abs(x[0]) < 1e-3 and abs(x[-1]) < 0.01  # faded: no click
    spectrum = np.abs(np.fft.rfft(x, 4 * RATE))
    assert np.fft.rfftfreq(4 * RATE, 1 / RATE)[spectrum.argmax()] == pytest.approx(TONE_HZ, abs=1)


class Log:
    """An `AudioOut` that only notes what it is asked for."""

    def __init__(self) -> None:
        self.items: list[tuple[str, float, str]] = []
        self.closed = False

    def tone(self, at: float) -> None:
        self.items.append(("tone", at, ""))

    def say(self, text: str, at: float) -> None:
        self.items.append(("say", at, text))

    def close(self) -> None:
        self.closed = True


def test_phrases_keep_the_screens_hold_and_the_newest_waiting_one_wins() -> None:
    log = Log()
    coach = VoiceCoach([log], hold_s=2.5, ttl_s=5.0)
    coach.update(10.0, [event(1, "Go deeper")])
    coach.update(11.0, [event(2, "Go deeper")])  # within the hold: waits
    coach.update(11.5, [event(3)])  # newer: replaces rep 2's phrase
    for t in np.arange(116, 130) / 10:
        coach.update(float(t), [])
    coach.close()
    assert [i for i in log.items if i[0] == "tone"] == [
        ("tone", 10.0, ""),
        ("tone", 11.0, ""),
        ("tone", 11.5, ""),
    ]
    said = [(round(at, 1), text) for kind, at, text in log.items if kind == "say"]
    assert said == [(10.0, "Rep 1. Go deeper."), (12.5, "Rep 3. Good rep.")]
    assert log.closed


def test_mixer_sounds_a_tone_at_once_and_plays_the_newest_phrase_after_the_current() -> None:
    mixer = Mixer()
    one, two, three = (np.full(RATE, k / 10, np.float32) for k in (1, 2, 3))  # 1-s "phrases"
    mixer.say(one, "one")
    a = mixer.read(RATE // 2)  # "one" plays
    mixer.tone(tone())  # mixed in at once, over "one"
    mixer.say(two, "two")
    mixer.say(three, "three")  # newer: "two" is dropped
    b = np.concatenate([mixer.read(RATE // 10) for _ in range(30)])
    assert mixer.idle
    assert [(kind, text) for _, _, kind, text in mixer.log] == [
        ("say", "one"),
        ("tone", ""),
        ("say", "three"),
    ]
    starts = {text or kind: start / RATE for start, _, kind, text in mixer.log}
    assert starts["tone"] == 0.5 and starts["three"] == pytest.approx(1.0 + GAP_S, abs=2 / RATE)
    assert np.allclose(a, 0.1)
    n_tone = len(tone())
    assert np.allclose(b[:n_tone], 0.1 + tone())  # the tone over "one"
    gap = b[int((0.5 + 0.01) * RATE) : int((0.5 + GAP_S - 0.01) * RATE)]
    assert not gap.any()  # silence between the phrases
    assert np.allclose(b[int((0.5 + GAP_S + 0.01) * RATE) : int(1.5 * RATE)], 0.3)


@pytest.fixture(scope="module")
def voiced_session(tmp_path_factory: pytest.TempPathFactory):
    """A 3-rep synthetic set (knees caving in) through the live loop with --voice-to."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    seq = squat_sequence(
        n_reps=3, valgus_deg=15.0, heel_height_cm=8.0, noise_px=1.0, noise_world_m=0.004
    )
    session = LiveSession(SequenceEstimator(seq), fps=seq.fps, image_size=seq.image_size)
    path = tmp_path_factory.mktemp("voice") / "voice.wav"
    speech = Espeak()
    out = FileOut(path, speech)
    coach = VoiceCoach([out], hold_s=session.cues.hold_s, ttl_s=session.cues.ttl_s)
    display = VoiceDisplay(HeadlessDisplay(io.StringIO()), coach, out)
    capture = Capture(SequenceSource(seq), realtime=False).start()
    summary = run(capture, session, display, threading.Event())
    display.close()
    return summary, coach, out, read_wav(path), seq


@needs_espeak
def test_voice_file_has_a_tone_and_speech_after_each_rep_and_silence_otherwise(
    voiced_session,
) -> None:
    summary, coach, out, x, seq = voiced_session
    assert len(summary.reps) == 3 and len(coach.tones) == 3
    t0 = float(seq.timestamps[0])
    assert len(x) / RATE >= seq.timestamps[-1] - t0 - 0.05  # the whole session
    tones = [p for p in out.placed if p[2] == "tone"]
    says = [p for p in out.placed if p[2] == "say"]
    assert len(tones) == 3 and [p[3] for p in says] == [text for _, text in coach.said]
    alone = np.abs(np.fft.rfft(tone(), RATE))[int(TONE_HZ)]
    for (start, length, _, _), asked in zip(tones, coach.tones, strict=True):
        assert start == pytest.approx(asked - t0, abs=1e-3)  # at once, even over a phrase
        seg = x[int(start * RATE) : int((start + length) * RATE)]
        assert np.abs(np.fft.rfft(seg, RATE))[int(TONE_HZ)] == pytest.approx(alone, rel=0.2)
    for (start, length, _, text), (asked, _) in zip(says, coach.said, strict=True):
        assert text.startswith("Rep ") and "knees" in text.lower()
        assert asked - t0 + TONE_S < start <= asked - t0 + 3.5 and length > 1.0
        assert rms(x, start, start + length) > 0.03  # speech
    # silence everywhere else (before the first rep, between sounds, after the last)
    quiet = np.ones(len(x), bool)
    for start, length, _, _ in out.placed:
        quiet[int(start * RATE) : int((start + length) * RATE) + 1] = False
    assert quiet[: int((coach.tones[0] - t0) * RATE)].all()
    assert np.abs(x[quiet]).max() == 0.0


def test_voice_to_needs_a_wav_name() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "formcheck", "live", "--headless", "--voice-to", "x.mp3"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [
        "formcheck: error: --voice-to x.mp3: expected a .wav file name"
    ]


def _has_output_device() -> bool:
    try:
        import sounddevice as sd

        sd.query_devices(kind="output")
        return True
    except Exception:
        return False


@needs_espeak
@pytest.mark.skipif(_has_output_device(), reason="there is an audio device here")
def test_voice_without_an_audio_device_is_one_line_and_exit_1(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "formcheck", "live", "--headless", "--voice", "--source", "x.mp4"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert proc.returncode == 1
    assert len(proc.stderr.splitlines()) == 1
    assert "--voice: no audio output device" in proc.stderr and "--voice-to" in proc.stderr


@needs_espeak
@pytest.mark.slow
def test_formcheck_live_voice_to_speaks_after_each_rep_line(tmp_path: Path) -> None:
    if not SAMPLE.is_file():
        pytest.skip("no rendered samples in samples/")
    wav = tmp_path / "voice.wav"
    proc = subprocess.run(
        [sys.executable, "-m", "formcheck", "live", "--source", str(SAMPLE), "--headless"]
        + ["--no-drop", "--voice-to", str(wav)],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    reps = [line for line in proc.stdout.splitlines() if line.startswith("rep ")]
    assert len(reps) == 2
    x = read_wav(wav)
    # the 8-s clip, and the last rep's phrase (that rep is only final at the end of the clip)
    assert 7.9 <= len(x) / RATE <= 8.0 + 4.5
    # silence until the first rep is counted (mid-clip), then its tone, then speech for both
    hop = RATE // 50
    on = np.sqrt((x[: len(x) // hop * hop].reshape(-1, hop) ** 2).mean(axis=1)) > 1e-3
    first = np.flatnonzero(on)[0] / 50
    assert 3.0 <= first <= 7.0
    seg = x[int(first * RATE) : int((first + TONE_S) * RATE)]
    spectrum = np.abs(np.fft.rfft(seg, RATE))
    assert np.fft.rfftfreq(RATE, 1 / RATE)[spectrum.argmax()] == pytest.approx(TONE_HZ, abs=2)
    assert on.sum() / 50 >= 2 * (TONE_S + 1.5)  # two tones and two phrases


@needs_espeak
def test_device_output_plays_the_mixer_through_portaudio(tmp_path: Path) -> None:
    """The real PortAudio path, on an ALSA device that writes what it plays to a file (float32:
    bit-exact), run in a child process so that its ALSA configuration is its own."""
    raw = tmp_path / "played.raw"
    conf = tmp_path / "asound.conf"
    conf.write_text(
        f'pcm.!default {{ type file slave.pcm {{ type null }} file "{raw}" format "raw" }}\n'
    )
    code = """
import time
from formcheck.live.voice import DeviceOut, Espeak
out = DeviceOut(Espeak())
out.tone(0.0)
out.say("Rep 1. Good rep.", 0.0)
out.close()
print("ok", out.errors)
"""
    env = {**os.environ, "ALSA_CONFIG_PATH": str(conf)}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env
    )
    if "no audio output device" in proc.stderr:
        pytest.skip(f"no PortAudio/ALSA here: {proc.stderr.strip().splitlines()[-1]}")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok []"
    played = np.fromfile(raw, "<f4")
    raw.unlink()  # the null device takes samples as fast as they come: a big file
    expected = tone()
    starts = np.flatnonzero(np.isclose(played, expected[1], atol=1e-7))
    assert any(np.array_equal(played[s - 1 : s - 1 + len(expected)], expected) for s in starts)
    speech = Espeak().speak("Rep 1. Good rep.")
    loud = np.flatnonzero(np.abs(played) > 0.05)
    assert loud.size and loud[-1] - loud[0] >= 0.8 * (len(expected) + len(speech))


def test_after_a_reset_rep_1_is_said_again() -> None:
    log = Log()
    coach = VoiceCoach([log], hold_s=2.5, ttl_s=5.0)
    coach.update(10.0, [event(1)])
    coach.reset()  # the r key: the session counts from 1 again
    coach.update(13.0, [event(1)])
    said = [(at, text) for kind, at, text in log.items if kind == "say"]
    assert said == [(10.0, "Rep 1. Good rep."), (13.0, "Rep 1. Good rep.")]


@needs_espeak
def test_a_cue_starting_with_a_dash_is_spoken_not_taken_for_an_option() -> None:
    assert len(Espeak().speak("-5 degrees of toe-out is fine.")) > RATE // 2


def test_voice_without_espeak_ng_is_one_line_and_exit_1(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(Path(sys.executable).parent)}  # no /usr/bin: no espeak-ng
    proc = subprocess.run(
        [sys.executable, "-m", "formcheck", "live", "--headless", "--source", "x.mp4"]
        + ["--voice-to", str(tmp_path / "v.wav")],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=ROOT,
    )
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [
        "formcheck: error: --voice: espeak-ng is not installed "
        "(Debian/Ubuntu: apt-get install espeak-ng)"
    ]
    assert not (tmp_path / "v.wav").exists()
