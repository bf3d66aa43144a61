"""Build ``pose_landmarker_full.task`` from the mediapipe 0.10.21 wheel.

The legacy wheel ships the BlazePose detector and the full landmark model as
bare ``.tflite`` files without the image-input metadata the Tasks API reads.
This script adds that metadata (detector: mean 127.5, std 127.5 -> [-1, 1];
landmarks: mean 0, std 255 -> [0, 1]) with mediapipe's own metadata writer and
zips both, uncompressed and 4-byte aligned, under the names the
``PoseLandmarker`` graph expects. Zip timestamps are fixed so the bundle is
reproducible byte-for-byte.

Usage::

    pip download --no-deps mediapipe==0.10.21 -d /tmp/mpwheel
    python models/build_model.py /tmp/mpwheel/mediapipe-0.10.21-*.whl \
        -o models/pose_landmarker_full.task
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import zipfile
from pathlib import Path

DETECTOR_MEMBER = "mediapipe/modules/pose_detection/pose_detection.tflite"
LANDMARKS_MEMBER = "mediapipe/modules/pose_landmark/pose_landmark_full.tflite"
FIXED_DATE = (2025, 1, 1, 0, 0, 0)
ALIGNMENT = 4


def _with_image_metadata(model: bytes, name: str, mean: float, std: float) -> bytes:
    """Return ``model`` with TFLite metadata describing one normalised RGB image input.

    Uses the flatbuffer schema modules shipped in mediapipe (the Python metadata
    writer of mediapipe 1.x lacks its compiled helper), exactly as mediapipe's
    ``MetadataPopulator`` does: the metadata goes into a new model buffer named
    ``TFLITE_METADATA``.
    """
    import flatbuffers
    from mediapipe.tasks.metadata import metadata_schema_py_generated as md
    from mediapipe.tasks.metadata import schema_py_generated as tfl

    norm = md.NormalizationOptionsT()
    norm.mean, norm.std = [mean], [std]
    unit = md.ProcessUnitT()
    unit.optionsType = md.ProcessUnitOptions.NormalizationOptions
    unit.options = norm
    props = md.ImagePropertiesT()
    props.colorSpace = md.ColorSpaceType.RGB
    content = md.ContentT()
    content.contentPropertiesType = md.ContentProperties.ImageProperties
    content.contentProperties = props
    image = md.TensorMetadataT()
    image.name, image.description = "image", "RGB input image"
    image.content, image.processUnits = content, [unit]

    tflite = tfl.ModelT.InitFromObj(tfl.Model.GetRootAsModel(model, 0))
    outputs = []
    for _ in tflite.subgraphs[0].outputs:
        out = md.TensorMetadataT()
        feature = md.ContentT()
        feature.contentPropertiesType = md.ContentProperties.FeatureProperties
        feature.contentProperties = md.FeaturePropertiesT()
        out.content = feature
        outputs.append(out)
    subgraph = md.SubGraphMetadataT()
    subgraph.inputTensorMetadata, subgraph.outputTensorMetadata = [image], outputs
    meta = md.ModelMetadataT()
    meta.name, meta.description = name, "BlazePose model from mediapipe 0.10.21"
    meta.version, meta.minParserVersion = "v1", "1.0.0"
    meta.subgraphMetadata = [subgraph]
    b = flatbuffers.Builder(0)
    b.Finish(meta.Pack(b), b"M001")

    buffer = tfl.BufferT()
    buffer.data = list(b.Output())
    tflite.buffers.append(buffer)
    field = tfl.MetadataT()
    field.name, field.buffer = "TFLITE_METADATA", len(tflite.buffers) - 1
    tflite.metadata = [*(tflite.metadata or []), field]
    b = flatbuffers.Builder(0)
    b.Finish(tflite.Pack(b), b"TFL3")
    return bytes(b.Output())


def _aligned_zip(members: dict[str, bytes], out: Path) -> None:
    """Write members uncompressed with data aligned to ``ALIGNMENT`` bytes."""
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            header_len = 30 + len(name.encode())
            pad = (-(zf.fp.tell() + header_len)) % ALIGNMENT
            info.extra = _pad_extra(pad) if pad else b""
            zf.writestr(info, data)


def _pad_extra(pad: int) -> bytes:
    # an extra field needs a 4-byte header; pad by ALIGNMENT more if too small
    while pad < 4:
        pad += ALIGNMENT
    return (0xCAFE).to_bytes(2, "little") + (pad - 4).to_bytes(2, "little") + b"\x00" * (pad - 4)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build(wheel: Path, out: Path) -> dict[str, str]:
    with zipfile.ZipFile(wheel) as zf:
        detector = zf.read(DETECTOR_MEMBER)
        landmarks = zf.read(LANDMARKS_MEMBER)
    members = {
        "pose_detector.tflite": _with_image_metadata(detector, "pose_detector", 127.5, 127.5),
        "pose_landmarks_detector.tflite": _with_image_metadata(
            landmarks, "pose_landmarks_detector", 0.0, 255.0
        ),
    }
    tmp = out.with_suffix(out.suffix + ".tmp")
    _aligned_zip(members, tmp)
    tmp.replace(out)
    return {
        "wheel": sha256(wheel.read_bytes()),
        DETECTOR_MEMBER: sha256(detector),
        LANDMARKS_MEMBER: sha256(landmarks),
        out.name: sha256(out.read_bytes()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path, help="mediapipe-0.10.21 wheel file")
    default = Path(__file__).with_name("pose_landmarker_full.task")
    parser.add_argument("-o", "--output", type=Path, default=default)
    args = parser.parse_args(argv)
    for name, digest in build(args.wheel, args.output).items():
        print(f"{digest}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
