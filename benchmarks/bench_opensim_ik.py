"""Does ``markers.trc`` drive an OpenSim model? Inverse kinematics on formcheck's export with
Pose2Sim's BlazePose marker set and model, against the known knee flexion of synthetic squats.

Needs ``pip install "formcheck[biomech]"`` and Pose2Sim's ``OpenSim_Setup`` folder (from
https://github.com/perfanalytics/pose2sim, ``Pose2Sim/OpenSim_Setup``; not shipped here)::

    python benchmarks/bench_opensim_ik.py PATH/TO/Pose2Sim/OpenSim_Setup

For each camera yaw, a 2-rep squat to 110 deg (`formcheck.testing`, perfect landmarks) is exported
with `formcheck.export.markers.trc_text`, and OpenSim's InverseKinematicsTool (Pose2Sim's
``IK_Setup_Pose2Sim_Blazepose.xml`` weights) fits ``Model_Pose2Sim_simple.osim`` with the markers
of ``Markers_BlazePose.xml``, unscaled. Prints the mean absolute difference of OpenSim's
``knee_angle_r/l`` from the true knee flexion, and the peaks.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("setup", type=Path, help="Pose2Sim's OpenSim_Setup folder")
    parser.add_argument("--yaws", type=float, nargs="+", default=[0.0, 45.0, 90.0])
    args = parser.parse_args()
    import opensim as osim

    from formcheck.export.markers import trc_text
    from formcheck.testing import squat_sequence_with_truth

    osim.Logger.setLevelString("error")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        model = osim.Model(str(args.setup / "Model_Pose2Sim_simple.osim"))
        markers = osim.MarkerSet(str(args.setup / "Markers_BlazePose.xml"))
        for i in range(markers.getSize()):
            model.addMarker(markers.get(i).clone())
        model.finalizeConnections()
        model.initSystem()
        model.printToXML(str(work / "model.osim"))
        print("| camera yaw (deg) | knee MAE right / left (deg) | peak right / left (true 110) |")
        print("| --- | --- | --- |")
        for yaw in args.yaws:
            seq, truth = squat_sequence_with_truth(n_reps=2, peak_knee_flexion=110.0, yaw_deg=yaw)
            (work / "markers.trc").write_text(trc_text(seq))
            ik = osim.InverseKinematicsTool(str(args.setup / "IK_Setup_Pose2Sim_Blazepose.xml"))
            ik.set_model_file(str(work / "model.osim"))
            ik.setMarkerDataFileName(str(work / "markers.trc"))
            ik.setStartTime(float(seq.timestamps[0]))
            ik.setEndTime(float(seq.timestamps[-1]))
            ik.set_results_directory(str(work))
            ik.setOutputMotionFileName(str(work / "ik.mot"))
            ik.run()
            table = osim.TimeSeriesTable(str(work / "ik.mot"))
            true = np.asarray(truth.knee_flexion, dtype=float)
            knees = [table.getDependentColumn(f"knee_angle_{s}").to_numpy() for s in "rl"]
            mae = [float(np.mean(np.abs(k - true))) for k in knees]
            print(
                f"| {yaw:g} | {mae[0]:.1f} / {mae[1]:.1f} | "
                f"{knees[0].max():.1f} / {knees[1].max():.1f} |"
            )


if __name__ == "__main__":
    main()
