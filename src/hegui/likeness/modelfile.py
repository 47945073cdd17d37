"""Model files that ship inside PyPI wheels, checked against pinned SHA-256 digests before use, and
the errors of the likeness encoders (Deep Synthesis Provisions Art 14; fail closed: a request that
cannot be checked against the registry is refused unless policy says otherwise)."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

from hegui.errors import HeguiError, ValidationFailed


class LikenessModelUnavailable(HeguiError):
    """A speaker/face model is missing, altered or cannot run: matching is degraded (fail closed)."""

    code = "LIKENESS_MODEL_UNAVAILABLE"
    http_status = 503
    message_zh = "肖像/声纹比对模型不可用（{model}）：{detail}；无法核对受保护名录，请求按策略拒绝"
    message_en = ("The likeness model is unavailable ({model}): {detail}; the protected registry cannot "
                  "be checked, so the request is refused by policy")


class LikenessInputUnreadable(ValidationFailed):
    """The reference or output sample cannot be decoded as audio or an image."""

    code = "LIKENESS_INPUT_UNREADABLE"
    http_status = 400
    message_zh = "无法读取用于比对的样本：{detail}"
    message_en = "Cannot read the sample to compare: {detail}"


def package_file(package: str, name: str) -> Path | None:
    """``name`` inside an installed ``package`` (found without importing the package)."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        candidate = Path(root) / name
        if candidate.is_file():
            return candidate
    return None


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verified(path: Path | None, expected: str, *, model: str, install: str) -> Path:
    """``path`` when it exists and has the pinned digest; otherwise :class:`LikenessModelUnavailable`."""
    if path is None or not path.is_file():
        raise LikenessModelUnavailable(model=model, detail=f"model file not found; install it with `{install}` "
                                       f"/ 未找到模型文件，请执行 `{install}`")
    actual = sha256_file(path)
    if actual != expected:
        raise LikenessModelUnavailable(model=model, detail=f"{path}: sha256 {actual[:16]}… is not the pinned "
                                       f"{expected[:16]}… (altered or wrong version / 文件被改动或版本不符)")
    return path
