"""``formcheck live``: feedback while squatting, from a webcam or a video played as one.

Exit codes: 0 when the session ends (the source ends or is lost, q, --max-seconds, or
Ctrl-C, SIGTERM or SIGHUP: interrupting is how a headless session is meant to end, so it is
a normal end with the summary and the record written); 1 for bad input (no such camera or file, no
display for the window, a bad rule or model file, ``--voice`` without espeak-ng or an audio
device). A second Ctrl-C while the record is
being written aborts it (exit 130, nothing half-written).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .options import ModelOption, RulesOption


def live(
    camera: Annotated[
        int | None,
        typer.Option(
            "--camera",
            help="Camera index (0 = the first webcam). The default when --source is not given.",
            show_default=False,
            min=0,
        ),
    ] = None,
    source: Annotated[
        Path | None,
        typer.Option(
            "--source",
            help="Play this video at its real frame rate as if it were a camera.",
            show_default=False,
        ),
    ] = None,
    rules: RulesOption = None,
    model: ModelOption = None,
    headless: Annotated[
        bool,
        typer.Option(
            "--headless", help="No window: one line per rep on stdout, a summary at the end."
        ),
    ] = False,
    record: Annotated[
        Path | None,
        typer.Option(
            "--record",
            metavar="OUTDIR",
            help="At the end, write the same report as `analyze` for "
            "the session into OUTDIR (with session.mp4, the processed frames).",
            show_default=False,
        ),
    ] = None,
    max_seconds: Annotated[
        float | None,
        typer.Option(
            "--max-seconds", help="Stop after this many seconds.", show_default=False, min=0.0
        ),
    ] = None,
    voice: Annotated[
        bool,
        typer.Option(
            "--voice",
            help="Speak each rep's number and cue, with a tone when a rep is counted "
            "(offline: needs espeak-ng and an audio device).",
        ),
    ] = False,
    voice_to: Annotated[
        Path | None,
        typer.Option(
            "--voice-to",
            metavar="FILE.wav",
            help="Write what --voice would say into this WAV file, each sound at its time in "
            "the session (with or without --voice).",
            show_default=False,
        ),
    ] = None,
    no_drop: Annotated[
        bool,
        typer.Option(
            "--no-drop",
            help="With --source: process every frame as fast as possible (no real-time "
            "pacing, no dropped frames), e.g. to compare with `analyze`.",
        ),
    ] = False,
) -> None:
    """Live squat feedback: skeleton, knee angles, rep counter, one cue at a time (keys: q quit, r reset,
    space pause). Ctrl-C ends the session normally (exit 0) with the summary and the record."""
    import signal
    import threading

    from ..core.ruleset import load_rules
    from ..errors import InputError
    from ..media.model import resolve_model

    if camera is not None and source is not None:
        raise InputError("--camera and --source: expected one source, got both")
    if no_drop and source is None:
        raise InputError(
            "--no-drop: expected --source VIDEO (a camera cannot wait for the processing)"
        )
    ruleset = load_rules(rules)
    model_file = resolve_model(model)
    if record is not None:
        from ..report.outputs import check_outdir

        check_outdir(record)

    from ..live.capture import CameraSource, Capture, FileSource
    from ..live.display import HeadlessDisplay, WindowDisplay
    from ..live.estimator import PoseEstimator
    from ..live.record import Recorder, write_live_json, write_record
    from ..live.session import LiveSession, run

    if voice_to is not None and voice_to.suffix.lower() != ".wav":
        raise InputError(f"--voice-to {voice_to}: expected a .wav file name")
    outs: list = []  # where the voice goes (formcheck.live.voice.AudioOut)
    file_out = None
    if voice or voice_to is not None:
        from ..live.voice import DeviceOut, Espeak, FileOut

        speech = Espeak()
        outs = [DeviceOut(speech)] if voice else []
        file_out = FileOut(voice_to, speech) if voice_to is not None else None
        outs += [file_out] if file_out is not None else []

    src = FileSource(source) if source is not None else CameraSource(camera or 0)
    try:
        recorder = Recorder(record, src.fps) if record is not None else None
        display = HeadlessDisplay() if headless else WindowDisplay()
    except BaseException:
        src.close()
        raise
    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set())
        for sig in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", signal.SIGTERM))
    }
    capture = Capture(src, realtime=not no_drop)  # closes the source when its thread ends
    try:
        with PoseEstimator(model_file) as estimator:
            session = LiveSession(
                estimator,
                fps=src.fps,
                image_size=src.size,
                rules=ruleset,
                source=src.name,
                model_sha256=model_file.sha256,
            )
            if outs:
                from ..live.voice import VoiceCoach, VoiceDisplay

                coach = VoiceCoach(outs, hold_s=session.cues.hold_s, ttl_s=session.cues.ttl_s)
                display = VoiceDisplay(display, coach, file_out)
            capture.start()
            typer.echo(
                f"formcheck live: {src.name}, {src.size[0]}x{src.size[1]} at {src.fps:g} fps "
                f"(Ctrl-C to stop)",
                err=True,
            )
            summary = run(capture, session, display, stop, max_seconds, recorder)
    finally:
        if capture.started:
            capture.stop()
        else:
            src.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)  # a second Ctrl-C while writing the record aborts it
        display.close()  # (and while the last phrase is said or the voice file written)
    summary.warnings += [e for out in outs for e in getattr(out, "errors", [])]
    if voice_to is not None:
        summary.warnings += [] if voice_to.is_file() else [f"{voice_to}: not written"]
    if recorder is not None:
        video = recorder.close()
        if video is None:
            summary.warnings.append("nothing recorded: no frame was processed")
        else:
            write_record(record, session.sequence(), video, session.rules)
            write_live_json(record, summary, session.log)
            summary.record = str(record / "report.html")
    for line in summary.lines():
        typer.echo(line)


def register(app: typer.Typer) -> None:
    app.command("live")(live)
