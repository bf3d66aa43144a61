"""What the synthetic squatter does: the `Squat` description and its per-frame joint angles."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .figure import PoseState, Stance


@dataclass(frozen=True)
class Squat:
    """A set of bodyweight squats. Angles in degrees, times in seconds, lengths in metres
    unless the name says otherwise. "At depth" values are reached at the bottom of every
    repetition and grow smoothly with depth from the top position."""

    reps: int = 3
    descent_s: float = 1.2
    pause_s: float = 0.3  # at the bottom
    ascent_s: float = 1.0
    stand_s: float = 0.8  # standing still before the first rep, between reps, and after the last
    knee_flexion_deg: float = 120.0  # peak knee flexion at the bottom (0 = straight)
    lockout_deg: float = 0.0  # knee flexion left at the top (incomplete lockout when > ~10)
    knee_valgus_deg: float = (
        0.0  # medial knee shift at depth: knee rotated about the hip-ankle line
    )
    foot_angle_left_deg: float = 5.0  # foot progression angle, + = toes out
    foot_angle_right_deg: float = 5.0
    stance_width_m: float = 0.20  # between the ankle joint centres
    heel_block_cm: float = 8.0  # 0 = heels flat on the floor
    trunk_lean_deg: float = 20.0  # at depth, mid-hip to mid-shoulder from vertical
    trunk_lean_top_deg: float = 2.0  # standing
    asymmetry_deg: float = 0.0  # left minus right peak knee flexion
    valgus_asymmetry_deg: float = 0.0  # left minus right knee valgus at depth
    arm_raise: float = 0.8  # arms reach forward at depth: 0 = hanging, 1 = shoulder height
    rep_jitter: float = 0.0  # seeded rep-to-rep variation: 1 = +-10 % tempo, +-4 deg depth
    height_m: float = 1.75

    def __post_init__(self) -> None:
        if self.reps < 1:
            raise ValueError(f"reps: expected at least 1, got {self.reps}")
        for name in ("descent_s", "ascent_s"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name}: expected a positive duration, got {getattr(self, name)}")
        for name in ("pause_s", "stand_s", "rep_jitter"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name}: expected zero or more, got {getattr(self, name)}")
        peak = self.knee_flexion_deg + abs(self.asymmetry_deg) / 2
        if (
            not 0 <= self.lockout_deg < self.knee_flexion_deg - abs(self.asymmetry_deg) / 2
            or peak > 150
        ):
            raise ValueError(
                f"knee flexion: expected 0 <= lockout_deg < knee_flexion_deg (-asymmetry/2) and a peak "
                f"<= 150 deg, got lockout {self.lockout_deg}, peak {self.knee_flexion_deg}, "
                f"asymmetry {self.asymmetry_deg}"
            )
        if abs(self.asymmetry_deg) > 10 or abs(self.valgus_asymmetry_deg) > 20:
            raise ValueError(
                f"asymmetry: expected |asymmetry_deg| <= 10 and |valgus_asymmetry_deg| <= 20, got "
                f"{self.asymmetry_deg} and {self.valgus_asymmetry_deg}"
            )
        if not 0 <= self.heel_block_cm <= 12:
            raise ValueError(f"heel_block_cm: expected 0 to 12 cm, got {self.heel_block_cm}")
        if not 0.05 <= self.stance_width_m <= 0.8:
            raise ValueError(f"stance_width_m: expected 0.05 to 0.8 m, got {self.stance_width_m}")
        if not 0 <= self.arm_raise <= 1:
            raise ValueError(f"arm_raise: expected 0 to 1, got {self.arm_raise}")

    @property
    def stance(self) -> Stance:
        return Stance(
            width_m=self.stance_width_m,
            foot_angle_deg=(self.foot_angle_left_deg, self.foot_angle_right_deg),
            heel_block_m=self.heel_block_cm / 100.0,
        )


@dataclass(frozen=True)
class Rep:
    """Frame indices of one repetition: leaves the top, deepest point, back at the top."""

    start: int
    bottom: int
    end: int


@dataclass(frozen=True)
class Timeline:
    """Per-frame commands for `figure.pose` plus the repetitions they contain."""

    state: PoseState
    depth: np.ndarray  # (T,) 0 = standing, 1 = bottom of a rep at its peak flexion
    reps: tuple[Rep, ...]
    times: np.ndarray  # (T,) seconds


def _ease(x: np.ndarray) -> np.ndarray:
    """Smooth 0 -> 1 over x in [0, 1] with zero velocity at both ends."""
    return (1 - np.cos(np.pi * np.clip(x, 0, 1))) / 2


def timeline(
    squat: Squat,
    fps: float,
    rng: np.random.Generator,
    start_s: float = 0.0,
    end_s: float | None = None,
) -> Timeline:
    """Sample the squat set at ``fps`` frames per second. ``rng`` drives ``rep_jitter`` only.

    ``start_s``, ``end_s``: the camera records the set's clock from ``start_s`` (may be negative:
    standing before the set) to ``end_s`` (None: the end of the set), seconds; its frame ``i`` is
    at ``start_s + i / fps`` on that clock, ``times`` stay the camera's own (from 0). Several
    cameras started at different moments film the same motion this way (`synth.multicam`).
    """
    if not (np.isfinite(fps) and fps > 0):
        raise ValueError(f"fps: expected a positive number, got {fps}")
    j = squat.rep_jitter
    tempo = 1 + 0.1 * j * rng.uniform(-1, 1, size=(squat.reps, 3))
    depth_scale = 1 + (4.0 * j / squat.knee_flexion_deg) * rng.uniform(-1, 1, size=squat.reps)
    # phases: (start time, descent, pause, ascent) per rep
    t0 = squat.stand_s
    phases = []
    for r in range(squat.reps):
        d, p, a = (
            squat.descent_s * tempo[r, 0],
            squat.pause_s * tempo[r, 1],
            squat.ascent_s * tempo[r, 2],
        )
        phases.append((t0, d, p, a))
        t0 += d + p + a + squat.stand_s
    n = int(round(((t0 if end_s is None else end_s) - start_s) * fps))
    times = np.arange(n) / fps
    depth = np.zeros(n)
    reps = []
    for r, (t_rep, d, p, a) in enumerate(phases):
        start = t_rep - start_s  # on the camera's clock
        x = times - start
        s = np.where(x < d, _ease(x / d), np.where(x < d + p, 1.0, 1 - _ease((x - d - p) / a)))
        inside = (x >= 0) & (x <= d + p + a)
        depth = np.where(inside, s * depth_scale[r], depth)
        i_start = int(np.floor(start * fps))
        i_end = min(int(np.ceil((start + d + p + a) * fps)), n - 1)
        i_bottom = int(np.argmax(np.where(inside, s, -1) - 1e-9 * np.abs(x - d - p / 2)))
        reps.append(Rep(i_start, i_bottom, i_end))
    lock = squat.lockout_deg
    peaks = squat.knee_flexion_deg + np.array([0.5, -0.5]) * squat.asymmetry_deg
    valgus = squat.knee_valgus_deg + np.array([0.5, -0.5]) * squat.valgus_asymmetry_deg
    depth_c = np.clip(depth, 0, None)[:, None]
    lean_top = squat.trunk_lean_top_deg
    arms_top = min(0.1, squat.arm_raise)  # hands a little forward of the thighs when standing
    state = PoseState(
        knee_flexion=lock + depth_c * (peaks - lock),
        knee_valgus=depth_c * valgus,
        trunk_lean=lean_top + depth_c[:, 0] * (squat.trunk_lean_deg - lean_top),
        arm_raise=np.clip(arms_top + depth_c[:, 0] * (squat.arm_raise - arms_top), 0, 1),
        head_pitch=4.0 + 6.0 * depth_c[:, 0],
    )
    return Timeline(state=state, depth=depth, reps=tuple(reps), times=times)
