"""Explicit label on video (GB 45438-2025 §5.4): the image label over the opening frames for at
least 2 s (``opening_seconds``), optionally the closing frames; audio streams are copied."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hegui.labeling.explicit.atomic import temp_output
from hegui.labeling.explicit.config import ExplicitPolicy, default_policy
from hegui.labeling.explicit.errors import MediaUnsupported
from hegui.labeling.explicit.ffmpeg import input_args, muxer_for, probe, run, tool
from hegui.labeling.explicit.image import Position, label_layer

_VIDEO_CODEC = {"webm": ["-c:v", "libvpx-vp9", "-b:v", "0", "-deadline", "realtime", "-cpu-used", "8", "-row-mt", "1"]}
_X264 = ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"]


def label_video(src: Path, dst: Path, *, text: str = "AI生成", position: Position = Position.BOTTOM_RIGHT,
                policy: ExplicitPolicy | None = None) -> Path:
    """Write ``dst`` = ``src`` with the label burnt into the opening (and optional closing) frames."""
    policy = policy or default_policy()
    vp = policy.video
    info = probe(src)
    if not info.has_video or info.width <= 0 or info.height <= 0:
        raise MediaUnsupported(detail=f"{src.name} has no video stream")
    muxer = muxer_for(dst, src)
    windows = [f"between(t,0,{vp.opening_seconds:.3f})"]
    if vp.ending_seconds > 0 and info.duration > vp.opening_seconds + vp.ending_seconds:
        windows.append(f"gte(t,{info.duration - vp.ending_seconds:.3f})")
    enable = "+".join(windows)
    codec = _VIDEO_CODEC.get(muxer, _X264 + ["-crf", str(vp.crf)])
    if muxer == "webm":
        codec = codec + ["-crf", str(min(63, vp.crf + 14))]
    with tempfile.TemporaryDirectory(prefix="hegui-label-") as tmp:
        overlay = Path(tmp) / "label.png"
        layer = label_layer(info.width, info.height, text, position=position, policy=policy.image)
        box = layer.getbbox() or (0, 0, 1, 1)
        layer.crop(box).save(overlay)  # overlay only the label's box: cheaper per frame
        with temp_output(dst) as out:
            args = [tool("ffmpeg"), "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *input_args(src),
                    *input_args(overlay), "-filter_complex", f"[0:v:0][1:v]overlay={box[0]}:{box[1]}:enable='{enable}'[v]",
                    "-map", "[v]", "-map", "0:a?", "-map_metadata", "0", *codec, "-c:a", "copy"]
            if muxer in ("mp4", "mov"):
                args += ["-movflags", "+faststart+use_metadata_tags"]
            run(args + ["-f", muxer, str(out)], timeout=vp.timeout_seconds)
    return dst
