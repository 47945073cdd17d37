"""Errors of the explicit-label, watermark and export code (all :class:`hegui.errors.LabelError`)."""

from __future__ import annotations

from hegui.errors import LabelError


class MediaUnreadable(LabelError):
    """The input is truncated, corrupt or not the media type it claims to be."""

    code = "LABEL_MEDIA_UNREADABLE"
    message_zh = "无法读取媒体文件（已截断、损坏或格式不符）：{detail}"
    message_en = "Cannot read the media file (truncated, corrupt or wrong format): {detail}"


class MediaUnsupported(LabelError):
    code = "LABEL_MEDIA_UNSUPPORTED"
    http_status = 415
    message_zh = "不支持为此类文件添加显式标识：{detail}"
    message_en = "Explicit labels are not supported for this file type: {detail}"


class ImageTooLarge(LabelError):
    """Decompression-bomb guard (Pillow ``MAX_IMAGE_PIXELS``) or the configured pixel cap."""

    code = "LABEL_IMAGE_TOO_LARGE"
    http_status = 413
    message_zh = "图片尺寸过大（{pixels} 像素，上限 {limit}），疑似解压炸弹，已拒绝处理"
    message_en = "Image too large ({pixels} pixels, limit {limit}); refused as a possible decompression bomb"


class GlyphMissing(LabelError):
    code = "LABEL_GLYPH_MISSING"
    http_status = 400
    message_zh = "标识文字含内置字体没有的字符：{chars}"
    message_en = "The label text has characters the bundled font lacks: {chars}"


class LabelTextInvalid(LabelError):
    """GB 45438-2025 §5.2 b/§5.4 b: the text must name the AI element and the generation element."""

    code = "LABEL_TEXT_INVALID"
    http_status = 400
    message_zh = "标识文字须同时包含“人工智能/AI”与“生成/合成”要素：{text}"
    message_en = "The label text must contain both the AI element and the generation element: {text}"


class ToolMissing(LabelError):
    code = "LABEL_TOOL_MISSING"
    http_status = 500
    message_zh = "缺少外部程序 {tool}，请安装（Debian：apt-get install {package}）"
    message_en = "External program {tool} is missing; install it (Debian: apt-get install {package})"


class ToolFailed(LabelError):
    code = "LABEL_TOOL_FAILED"
    http_status = 500
    message_zh = "{tool} 处理失败：{detail}"
    message_en = "{tool} failed: {detail}"


class OutputNotWritable(LabelError):
    code = "LABEL_OUTPUT_NOT_WRITABLE"
    http_status = 500
    message_zh = "无法写入输出文件 {path}：{detail}"
    message_en = "Cannot write the output file {path}: {detail}"


class ExportRefused(LabelError):
    """Labeling Measures Art 9: unlabelled delivery only where the user agreement covers it."""

    code = "LABEL_EXPORT_REFUSED"
    http_status = 403
    message_zh = "不能提供无显式标识的内容：{detail}"
    message_en = "Content without the explicit label cannot be provided: {detail}"
