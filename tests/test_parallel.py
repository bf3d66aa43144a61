"""One video on several cores (`formcheck.media.parallel`): segment planning and stitching on
synthetic arrays (exact), seeking segment readers against the whole-file reader (exact), and a
rendered clip analysed with 2 jobs against 1 (same reps, same verdicts)."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from formcheck.media.parallel import (
    MIN_PARALLEL_S,
    MIN_SEGMENT_S,
    OVERLAP_S,
    Segment,
    SegmentPoses,
    plan_segments,
    stitch,
)


def test_short_videos_and_one_job_stay_whole() -> None:
    whole = [Segment(0, 0.0, 0.0, float("inf"))]
    assert plan_segments(MIN_PARALLEL_S - 0.1, 30.0, 8) == whole
    assert plan_segments(60.0, 30.0, 1) == whole
    assert plan_segments(float("nan"), 30.0, 2) == whole
    with pytest.raises(ValueError, match="at least 1 job"):
        plan_segments(60.0, 30.0, 0)


@pytest.mark.parametrize(
    ("duration", "fps", "jobs", "count"),
    [(8.0, 30.0, 2, 2), (60.0, 29.97, 4, 4), (7.0, 25.0, 4, 2), (41.29, 23.98, 16, 13)],
)
def test_segments_cover_the_video_on_frame_times(
    duration: float, fps: float, jobs: int, count: int
) -> None:
    plan = plan_segments(duration, fps, jobs)
    assert len(plan) == count == min(jobs, int(duration // MIN_SEGMENT_S))
    assert plan[0].start_s == plan[0].warm_s == 0.0 and plan[-1].end_s == float("inf")
    for a, b in zip(plan, plan[1:], strict=False):
        assert a.end_s == b.start_s  # contiguous, no gap, no frame twice
        assert b.warm_s == pytest.approx(b.start_s - OVERLAP_S)
        assert b.start_s * fps == pytest.approx(round(b.start_s * fps))  # on a frame time
        assert a.end_s - a.start_s >= MIN_SEGMENT_S - 1 / fps


def _part(seg: Segment, times: np.ndarray, truth: np.ndarray) -> SegmentPoses:
    """What a segment's landmarker returns: the true rows on its own frames, other values (a
    landmarker still settling) on its warm-up frames."""
    rows = (times >= seg.warm_s - 1e-9) & (times < seg.end_s - 1e-9)
    values = truth[rows].copy()
    values[times[rows] < seg.start_s - 1e-9] = -1.0
    return SegmentPoses(
        landmarks=values,
        world=values * 2,
        visibility=values[..., 0],
        timestamps=times[rows],
    )


def test_stitch_takes_each_frame_once_from_the_segment_tracking_longest() -> None:
    fps = 30.0
    times = np.arange(600) / fps  # 20 s
    truth = np.broadcast_to(np.arange(600.0)[:, None, None], (600, 33, 3)).copy()
    truth[100:110] = np.nan  # nobody in view there: NaN rows stay NaN rows
    plan = plan_segments(20.0, fps, 3)
    assert len(plan) == 3
    landmarks, world, visibility, timestamps = stitch(
        plan, [_part(s, times, truth) for s in plan], fps
    )
    np.testing.assert_array_equal(timestamps, times)
    np.testing.assert_array_equal(landmarks, truth)
    np.testing.assert_array_equal(world, truth * 2)
    np.testing.assert_array_equal(visibility, truth[..., 0])


def test_stitch_refuses_segments_that_do_not_line_up() -> None:
    fps = 30.0
    times = np.arange(300) / fps
    truth = np.zeros((300, 33, 3))
    plan = plan_segments(10.0, fps, 2)
    parts = [_part(s, times, truth) for s in plan]
    second = parts[1]
    late = second.timestamps >= plan[1].start_s + 0.5  # a reader that lost its first frames
    parts[1] = SegmentPoses(
        second.landmarks[late], second.world[late], second.visibility[late], second.timestamps[late]
    )
    with pytest.raises(ValueError, match="do not line up"):
        stitch(plan, parts, fps)


def test_segments_read_by_seeking_are_the_whole_video(tmp_path: Path) -> None:
    """Each segment's reader seeks to the keyframe before its warm-up: its frames and
    timestamps are those the whole-file reader gives, bit for bit."""
    from formcheck.media.video import SegmentRead, read_frames, read_segment
    from formcheck.media.videowriter import VideoWriter

    rng = np.random.default_rng(0)
    path = tmp_path / "gop.mp4"
    # veryfast, not the writer's default ultrafast: B-frames, and keyframes where scene cuts
    # put them too (ultrafast puts one exactly at each segment's warm-up start: no lead)
    with VideoWriter(path, 30.0, (96, 64), crf=23, preset="veryfast", keyframe_s=1.0) as writer:
        for i in range(240):  # 8 s, a keyframe each second, B-frames between
            frame = rng.integers(0, 255, (64, 96, 3), dtype=np.uint8)
            frame[:8] = i
            writer.write(frame)
    whole = list(read_frames(path))
    plan = plan_segments(8.0, 30.0, 2)
    got = []
    for seg in plan:
        read = SegmentRead()
        frames = list(read_segment(path, seg.warm_s, seg.end_s, read))
        assert read.damaged == 0
        if seg.index:
            assert read.lead > 0  # decoded from the keyframe before, not from the start
            assert frames[0][0] == pytest.approx(seg.warm_s)
        got += [f for f in frames if f[0] >= seg.start_s - 1e-6]
    assert [t for t, _ in got] == [t for t, _ in whole]
    for (_, a), (_, b) in zip(got, whole, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, dict, Path]:
    """A rendered 320x240 clip of about 10 s (long enough to be split) analysed with the real
    model in 1 process (no video) and in 2 (with the annotated video): the video, both reports
    and the 2-process output folder."""
    from formcheck.media.video import probe
    from formcheck.report.pipeline import AnalyzeOptions, run
    from formcheck.synth import Camera, Scene, preset, write

    tmp = tmp_path_factory.mktemp("parallel")
    squat = replace(
        preset("knee-valgus"), reps=3, descent_s=2.2, pause_s=0.1, ascent_s=1.0, stand_s=0.6
    )  # tempo clear of the controlled descent/ascent limits: a frame's shift cannot flip them
    video, _ = write(tmp / "valgus.mp4", Scene(squat, Camera(width=320, height=240, fps=15.0)))
    assert len(plan_segments(probe(video).duration_s, 15.0, 2)) == 2  # long enough to split
    reports = {}
    for jobs in (1, 2):
        options = AnalyzeOptions(
            video=video,
            outdir=tmp / f"jobs{jobs}",
            write_video=jobs == 2,
            progress=False,
            jobs=jobs,
        )
        reports[jobs] = run(options).report
    return video, reports[1], reports[2], tmp / "jobs2"


@pytest.mark.slow
def test_two_jobs_give_the_reps_and_verdicts_of_one(rendered) -> None:
    """Same rep count, same verdict of every rule on every rep, same view."""
    _, one, two, _ = rendered
    assert one["summary"]["rep_count"] == two["summary"]["rep_count"] == 3
    verdicts = [
        [{name: r["rules"][name]["status"] for name in r["rules"]} for r in rep["reps"]]
        for rep in (one, two)
    ]
    assert verdicts[0] == verdicts[1]
    assert one["summary"]["verdict"] == two["summary"]["verdict"]
    assert one["view"] == two["view"]


@pytest.mark.slow
def test_annotated_video_in_segments_is_the_one_pass_video(rendered, tmp_path: Path) -> None:
    """From the same landmarks, annotated.mp4 written in 2 segments and joined has every frame,
    at the video's frame times, and looks like the one written in one pass (x264 starts each
    part afresh, so pixels differ by compression noise only); the stills are the same."""
    from formcheck.media.video import probe, read_frames
    from formcheck.report.pipeline import AnalyzeOptions, run

    video, _, _, out2 = rendered
    results = {}
    for jobs in (1, 2):
        options = AnalyzeOptions(
            video=video,
            outdir=tmp_path / f"v{jobs}",
            landmarks=out2 / "landmarks.npz",
            progress=False,
            jobs=jobs,
        )
        results[jobs] = run(options)
    info = probe(video)
    frames = {j: list(read_frames(tmp_path / f"v{j}" / "annotated.mp4")) for j in (1, 2)}
    assert len(frames[1]) == len(frames[2]) == info.frame_count
    np.testing.assert_allclose([t for t, _ in frames[2]], [t for t, _ in frames[1]], atol=1e-3)
    diff = [
        np.abs(a.astype(int) - b.astype(int)).mean()
        for (_, a), (_, b) in zip(frames[1], frames[2], strict=True)
    ]
    assert max(diff) < 3.0, max(diff)  # grey levels, of 255
    stills = {
        j: re.findall(
            r"data:image/jpeg;base64,[^\"]+", (tmp_path / f"v{j}" / "report.html").read_text()
        )
        for j in (1, 2)
    }
    assert len(stills[1]) == 3 and stills[2] == stills[1]  # drawn on the same decoded frames


@pytest.mark.slow
def test_a_batch_worker_keeps_to_one_process(rendered, tmp_path: Path, monkeypatch) -> None:
    """Batch runs one video per core: its worker analyses (and draws) a video long enough to be
    split in one process, never starting a pool of its own."""
    from formcheck.batch import worker
    from formcheck.media import parallel

    def no_pool(*args, **kwargs):
        raise AssertionError("a batch worker started worker processes")

    monkeypatch.setattr(parallel, "worker_pool", no_pool)
    monkeypatch.setattr("formcheck.report.annotated.worker_pool", no_pool)
    video = rendered[0]
    summary = worker.analyze_video(video, tmp_path / "out")  # the pose model and the video
    assert summary.reps == 3
    assert (tmp_path / "out" / "annotated.mp4").is_file()


@pytest.mark.slow
def test_several_people_seen_by_the_segments_get_the_several_people_pass(tmp_path: Path) -> None:
    """Someone standing beside the squatter in a clip long enough to split: the segments' scouts
    see two people, and the video gets the one-process several-people pass, as without --jobs."""
    from formcheck.media.parallel import extract
    from formcheck.media.video import probe
    from formcheck.synth import Camera, Scene, preset, write
    from formcheck.synth.crowd import extra

    squat = replace(
        preset("good-cyclist-squat"), reps=3, descent_s=0.8, pause_s=0.1, ascent_s=0.7, stand_s=0.6
    )
    scene = Scene(squat, Camera(width=320, height=240, fps=15.0), seed=5, extras=(extra("stand"),))
    video, _ = write(tmp_path / "pair.mp4", scene)
    assert len(plan_segments(probe(video).duration_s, 15.0, 2)) == 2
    seq = extract(video, progress=False, jobs=2)
    assert seq.meta["people_seen"] == "2", seq.meta
    assert '"position": "centre"' in seq.meta["people"]
