"""Does the real pose model find the synthetic squatter, and put the landmarks on its joints?

Renders every preset (`formcheck.synth`) at camera yaw 0, 45 and 90 degrees in each look of
`formcheck.synth.look.VARIANTS` (outfit, skin tone, room), runs the bundled pose model over the
frames in VIDEO mode (in memory: no video encoding) and reports per yaw:

- detection rate: frames with a person / all frames (target >= 98 %);
- landmark error: median pixel distance between each landmark and the projection of the
  figure's true joint, grouped (face, shoulders+hips, knees, ankles, heels+toes), and as a
  fraction of the figure's standing height in pixels;
- left/right swaps: frames where the left knee landmark is nearer the right knee's truth.

    python benchmarks/bench_tracking.py [--yaws 0 45 90] [--looks 0 1 2 3] [--size 640x360] [--append]
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from results_md import write_section

ROOT = Path(__file__).resolve().parents[1]
GROUPS = {
    "face": list(range(0, 11)),
    "shoulders+hips": [11, 12, 23, 24],
    "knees": [25, 26],
    "ankles": [27, 28],
    "heels+toes": [29, 30, 31, 32],
}


SECTION = "## Tracking of the synthetic squatter (`bench_tracking.py`)"


def track(frames: list[np.ndarray], fps: float) -> np.ndarray:
    """Image landmarks ``(T, 33, 2)`` in normalised units, NaN where nobody was found."""
    from formcheck.media.model import open_landmarker, resolve_model
    from formcheck.media.pose import results_to_arrays, to_mp_image

    out = np.full((len(frames), 33, 2), np.nan)
    with open_landmarker(resolve_model(None), mode="video") as landmarker:
        for i, rgb in enumerate(frames):
            pose = results_to_arrays(
                landmarker.detect_for_video(to_mp_image(rgb), round(i * 1000 / fps))
            )
            if pose is not None:
                out[i] = pose[0][:, :2]
    return out


def run_one(name: str, yaw: float, look_index: int, size: tuple[int, int], reps: int) -> dict:
    from formcheck.synth import Camera, Scene, frames, preset, solve
    from formcheck.synth.look import VARIANTS

    squat = replace(preset(name), reps=reps, rep_jitter=0.5)
    cam = Camera(yaw_deg=yaw, width=size[0], height=size[1])
    posed = solve(Scene(squat, cam, VARIANTS[look_index], seed=look_index))
    imgs = list(frames(posed))
    lm = track(imgs, cam.fps) * np.array(size)
    uv, _ = cam.project(posed.skeleton.joints)
    err = np.linalg.norm(lm - uv, axis=-1)  # (T, 33) pixels
    standing_px = np.linalg.norm(
        uv[0, 0] - (uv[0, 29] + uv[0, 30]) / 2
    )  # nose to heels, first frame
    swap = np.linalg.norm(lm[:, 25] - uv[:, 26], axis=-1) < np.linalg.norm(
        lm[:, 25] - uv[:, 25], axis=-1
    )
    detected = np.isfinite(lm).all(axis=(1, 2))
    return {
        "detected": detected,
        "err": err,
        "height_px": standing_px,
        "swaps": swap[detected] if yaw < 60 else np.zeros(0, bool),  # in profile the knees overlap
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--yaws", type=float, nargs="+", default=[0.0, 45.0, 90.0])
    parser.add_argument("--looks", type=int, nargs="+", default=[0, 1, 2, 3])
    parser.add_argument("--presets", nargs="+", default=None, help="default: all")
    parser.add_argument("--size", default="640x360")
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--append", action="store_true", help="write its section of RESULTS.md")
    args = parser.parse_args()
    from formcheck.synth import PRESETS

    names = args.presets or list(PRESETS)
    size = tuple(int(v) for v in args.size.split("x"))
    t0 = time.perf_counter()
    rows = []
    for yaw in args.yaws:
        runs = [run_one(n, yaw, k, size, args.reps) for n in names for k in args.looks]
        det = np.concatenate([r["detected"] for r in runs])
        worst = min(r["detected"].mean() for r in runs)
        errs = {
            g: np.nanmedian(np.concatenate([r["err"][:, idx].ravel() for r in runs]))
            for g, idx in GROUPS.items()
        }
        rel = np.nanmedian(
            np.concatenate([r["err"][:, 11:33].ravel() / r["height_px"] for r in runs])
        )
        swaps = np.concatenate([r["swaps"] for r in runs])
        rows.append(
            (
                yaw,
                len(runs),
                det.size,
                100 * det.mean(),
                100 * worst,
                errs,
                100 * rel,
                100 * swaps.mean() if swaps.size else float("nan"),
            )
        )
        print(
            f"yaw {yaw:g}: {len(runs)} clips, {det.size} frames, detected {100 * det.mean():.2f} % "
            f"(worst clip {100 * worst:.1f} %), "
            + ", ".join(f"{g} {e:.1f} px" for g, e in errs.items()),
            flush=True,
        )
    seconds = time.perf_counter() - t0
    head = (
        "| yaw | clips | frames | detected | worst clip | "
        + " | ".join(GROUPS)
        + " | body error | knee L/R swaps |"
    )
    lines = [head, "|" + " --- |" * (head.count("|") - 1)]
    for yaw, clips, n, det, worst, errs, rel, sw in rows:
        lines.append(
            f"| {yaw:g}° | {clips} | {n} | {det:.2f} % | {worst:.1f} % | "
            + " | ".join(f"{errs[g]:.1f} px" for g in GROUPS)
            + f" | {rel:.2f} % | {'-' if np.isnan(sw) else f'{sw:.1f} %'} |"
        )
    table = "\n".join(lines)
    print(table)
    if args.append:
        cmd = "python benchmarks/bench_tracking.py " + " ".join(sys.argv[1:])
        text = (
            f"\n{SECTION}\n\n`{cmd.strip()}`: presets "
            f"{', '.join(names)}; looks {args.looks} of `synth.look.VARIANTS`; {args.reps} reps each; "
            f"{args.size}; 30 fps; bundled pose model in VIDEO mode on the rendered frames (no encoding). "
            f"Landmark errors are median pixel distances to the projected true joints; body error is the "
            f"median over landmarks 11-32 as a share of the figure's standing height in pixels. "
            f"{platform.python_version()}, {platform.machine()}, {seconds:.0f} s.\n\n{table}\n"
        )
        write_section(SECTION, text.lstrip("\n"), ROOT / "benchmarks" / "RESULTS.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
