"""Labeling errors: subclasses of :class:`hegui.errors.LabelError` with zh/en messages."""

from __future__ import annotations

from hegui.errors import LabelError


class LabelInvalid(LabelError):
    code = "LABEL_INVALID"
    http_status = 422
    message_zh = "隐式标识字段无效（GB 45438 附录E）：{detail}"
    message_en = "Invalid implicit label (GB 45438 Annex E): {detail}"


class LabelCarrierUnsupported(LabelError):
    code = "LABEL_CARRIER_UNSUPPORTED"
    http_status = 415
    message_zh = "不支持为该文件写入元数据标识：{detail}"
    message_en = "This file cannot carry a metadata label here: {detail}"


class LabelFileCorrupt(LabelError):
    code = "LABEL_FILE_CORRUPT"
    http_status = 422
    message_zh = "文件已损坏或被截断（{format}）：{detail}"
    message_en = "File is corrupt or truncated ({format}): {detail}"


class LabelFileTooLarge(LabelError):
    code = "LABEL_FILE_TOO_LARGE"
    http_status = 413
    message_zh = "文件或其中的元数据超出处理上限：{detail}"
    message_en = "File or its metadata exceeds a processing limit: {detail}"


class LabelReadBackFailed(LabelError):
    code = "LABEL_READBACK_FAILED"
    http_status = 500
    message_zh = "写入后回读标识失败，未输出文件（{format}）：{detail}"
    message_en = "Read-back after writing the label failed; nothing was written ({format}): {detail}"


class LabelWriteFailed(LabelError):
    code = "LABEL_WRITE_FAILED"
    http_status = 500
    message_zh = "无法写出文件 {path}，原文件未改动：{detail}"
    message_en = "Could not write {path}; the original is unchanged: {detail}"


class LabelDiskFull(LabelWriteFailed):
    code = "LABEL_DISK_FULL"
    http_status = 507
    message_zh = "磁盘空间不足，无法写出 {path}，原文件未改动"
    message_en = "Disk full while writing {path}; the original is unchanged"


class LabelPathNotWritable(LabelWriteFailed):
    code = "LABEL_PATH_NOT_WRITABLE"
    http_status = 403
    message_zh = "没有写入权限或路径只读：{path}"
    message_en = "Path is read-only or not writable: {path}"

