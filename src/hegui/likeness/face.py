"""Face embeddings for the registry of protected portraits (Deep Synthesis Provisions Art 14; Civil
Code Art 1019 portrait rights): dlib's frontal face detector (HOG, inside ``dlib-bin``), its 5-point
shape predictor and ResNet face recognition model v1 (files from ``face-recognition-models`` 0.3.0,
checked against pinned SHA-256 digests). One 128-d vector per detected face; images are decoded with
the pixel cap of ``labeling/explicit/media.open_image`` and scaled down before detection.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from hegui.errors import HeguiError
from hegui.likeness.modelfile import LikenessInputUnreadable, LikenessModelUnavailable, package_file, verified

ENCODER_ID = "dlib-20/resnet-v1"
INSTALL = "pip install 'dlib-bin==20.0.1' 'face-recognition-models==0.3.0'"
MODELS = {
    "shape": ("models/shape_predictor_5_face_landmarks.dat",
              "c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888"),
    "resnet": ("models/dlib_face_recognition_resnet_model_v1.dat",
               "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30"),
}
#: decode cap (decompression-bomb guard) and the longest side faces are searched at
MAX_PIXELS = 40_000_000
MAX_SIDE = 1600
MIN_SIDE = 480  # small images are upsampled once so that faces of ~40 px are still found
MAX_FACES = 20


@dataclass(frozen=True)
class FaceEmbedding:
    """A detected face: box in the original image's pixels (left, top, right, bottom), detector
    score and the 128-d descriptor (unit length; dlib's own distance is ``‖a-b‖`` before norming)."""

    box: tuple[int, int, int, int]
    score: float
    vector: np.ndarray


class FaceEncoder:
    """dlib face detector + ResNet descriptor; ``embed_faces(image_bytes)`` → faces found."""

    encoder_id = ENCODER_ID

    def __init__(self, dlib: Any, shape_path: str, resnet_path: str) -> None:
        self._dlib = dlib
        self._detector = dlib.get_frontal_face_detector()
        self._shape = dlib.shape_predictor(shape_path)
        self._resnet = dlib.face_recognition_model_v1(resnet_path)

    @classmethod
    def load(cls, models_dir: str | None = None) -> FaceEncoder:
        """Load the pinned model files; missing or altered ones raise :class:`LikenessModelUnavailable`."""
        try:
            import dlib
        except ImportError as exc:
            raise LikenessModelUnavailable(model=ENCODER_ID, detail=f"dlib is not installed; `{INSTALL}`") from exc
        paths = {}
        for key, (rel, digest) in MODELS.items():
            if models_dir is not None:
                from pathlib import Path

                found = Path(models_dir) / Path(rel).name
            else:
                found = package_file("face_recognition_models", rel)
            paths[key] = str(verified(found, digest, model=ENCODER_ID, install=INSTALL))
        try:
            return cls(dlib, paths["shape"], paths["resnet"])
        except RuntimeError as exc:
            raise LikenessModelUnavailable(model=ENCODER_ID, detail=str(exc)) from exc

    def embed_faces(self, image_bytes: bytes, *, max_pixels: int = MAX_PIXELS) -> list[FaceEmbedding]:
        """Every frontal face in the image (up to ``MAX_FACES``, the detector's most confident first)."""
        rgb, scale = _prepare(image_bytes, max_pixels)
        upsample = 1 if max(rgb.shape[:2]) < MIN_SIDE else 0
        dets, scores, _ = self._detector.run(rgb, upsample, 0.0)
        found = sorted(zip(dets, scores), key=lambda d: -d[1])[:MAX_FACES]
        out: list[FaceEmbedding] = []
        for rect, score in found:
            shape = self._shape(rgb, rect)
            vec = np.asarray(self._resnet.compute_face_descriptor(rgb, shape, 0), dtype=np.float32)
            vec = vec / max(float(np.linalg.norm(vec)), 1e-12)
            box = tuple(int(round(v / scale)) for v in (rect.left(), rect.top(), rect.right(), rect.bottom()))
            out.append(FaceEmbedding(box=box, score=float(score), vector=vec))  # type: ignore[arg-type]
        return out


def _prepare(image_bytes: bytes, max_pixels: int) -> tuple[np.ndarray, float]:
    """Bounded decode (EXIF-upright, RGB) and downscale to ``MAX_SIDE``; returns (array, scale)."""
    from PIL import Image

    from hegui.labeling.explicit.media import open_image, upright

    try:
        decoded = open_image(image_bytes, max_pixels=max_pixels)
        img = upright(decoded).convert("RGB")
    except HeguiError as exc:
        raise LikenessInputUnreadable(message_en=f"Cannot read the sample to compare: {exc.message('en')}",
                                      message_zh=f"无法读取用于比对的样本：{exc.message('zh')}") from exc
    scale = 1.0
    if max(img.size) > MAX_SIDE:
        scale = MAX_SIDE / max(img.size)
        img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))),
                         Image.Resampling.LANCZOS)
    return np.ascontiguousarray(np.asarray(img, dtype=np.uint8)), scale
