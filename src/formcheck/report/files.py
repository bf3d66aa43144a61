"""Names of the files in a report folder (``formcheck analyze``, ``live --record``, ``batch``)."""

REPORT_HTML = "report.html"
REPORT_JSON = "report.json"
FRAMES_CSV = "frames.csv"
REPS_CSV = "reps.csv"
ANNOTATED_MP4 = "annotated.mp4"
LANDMARKS_NPZ = "landmarks.npz"
