"""The loop most public squat analysers run (mediapipe 0.10.21 ``solutions.pose``), timed.

Run with the legacy virtualenv's Python (``benchmarks/.legacy-venv``, made by
``bench_extract.py --setup``), not formcheck's. Written the way tutorials write it:
``cv2.VideoCapture``, BGR -> RGB per frame, ``pose.process``, then knee angles from
a per-frame Python function with ``np.arctan2``. Prints one JSON line:
``{"frames", "detected", "seconds", "cpu_seconds"}`` (wall and CPU seconds of all
threads, from creating ``Pose`` to the end of the loop).
"""

from __future__ import annotations

import json
import sys
import time

import cv2
import mediapipe as mp
import numpy as np


def calculate_angle(a, b, c):  # noqa: ANN001, ANN201 -- tutorial style on purpose
    a = np.array(a)
    b = np.array(b)
    c = np.array(c)
    radians = np.arctan2(c[1] - b[1], c[0] - b[0]) - np.arctan2(a[1] - b[1], a[0] - b[0])
    angle = np.abs(radians * 180.0 / np.pi)
    if angle > 180.0:
        angle = 360 - angle
    return angle


def main(path: str) -> None:
    mp_pose = mp.solutions.pose
    cap = cv2.VideoCapture(path)
    frames = detected = 0
    knee_angles = []
    start, cpu_start = time.perf_counter(), time.process_time()
    with mp_pose.Pose(
        model_complexity=1, min_detection_confidence=0.5, min_tracking_confidence=0.5
    ) as pose:
        while cap.isOpened():
            ret, frame = cap.read()
            if not ret:
                break
            image = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            image.flags.writeable = False
            results = pose.process(image)
            frames += 1
            if results.pose_landmarks:
                detected += 1
                lm = results.pose_landmarks.landmark
                P = mp_pose.PoseLandmark  # noqa: N806
                hip = [lm[P.LEFT_HIP.value].x, lm[P.LEFT_HIP.value].y]
                knee = [lm[P.LEFT_KNEE.value].x, lm[P.LEFT_KNEE.value].y]
                ankle = [lm[P.LEFT_ANKLE.value].x, lm[P.LEFT_ANKLE.value].y]
                r_hip = [lm[P.RIGHT_HIP.value].x, lm[P.RIGHT_HIP.value].y]
                r_knee = [lm[P.RIGHT_KNEE.value].x, lm[P.RIGHT_KNEE.value].y]
                r_ankle = [lm[P.RIGHT_ANKLE.value].x, lm[P.RIGHT_ANKLE.value].y]
                left_angle = calculate_angle(hip, knee, ankle)
                right_angle = calculate_angle(r_hip, r_knee, r_ankle)
                knee_angles.append((left_angle, right_angle))
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    cap.release()
    out = {"frames": frames, "detected": detected, "seconds": seconds, "cpu_seconds": cpu_seconds}
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
