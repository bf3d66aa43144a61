"""Live webcam feedback (``formcheck live``).

- `capture`: a thread reads the camera (or a file played at its real rate) into a one-slot
  mailbox that always holds the newest frame; frames are dropped, never queued.
- `estimator`: MediaPipe ``PoseLandmarker`` (VIDEO mode) on each processed frame.
- `session`: pose buffer -> `compute_metrics` over a trailing window -> settled frames to
  the incremental `RepCounter` -> `score_reps` -> feedback; `run` is the processing loop.
- `readiness`: the setup check before the first rep; `cues`: one message at a time, meters.
- `display`: the OpenCV window (drawn with `formcheck.media.annotate`, shown by `window` in a
  process of its own) or ``--headless`` lines.
- `voice`: ``--voice``: each rep's number and cue spoken (espeak-ng), a tone per rep.
- `record`: ``--record``: the processed frames, then the ``analyze`` report of the session.
"""
