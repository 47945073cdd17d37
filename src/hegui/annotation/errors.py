"""Errors of annotation QA, in the single :class:`hegui.errors.HeguiError` tree."""

from __future__ import annotations

from hegui.errors import NotFound, ValidationFailed


class AnnotationNotFound(NotFound):
    code = "ANN_NOT_FOUND"
    message_zh = "找不到{what_zh}：{id}"
    message_en = "no {what_en} {id}"


class SeparationOfDuties(ValidationFailed):
    """GB/T 45674 7.3 e: the annotator and the reviewer of one task are different people."""

    code = "ANN_SEPARATION_OF_DUTIES"
    http_status = 409
    message_zh = "职责分离：{who} 已是批次 {batch} 的{held_zh}，不能再担任{role_zh}（GB/T 45674 7.3 e）"
    message_en = ("separation of duties: {who} is already {held_en} of batch {batch} and cannot also be its "
                  "{role_en} (GB/T 45674 7.3 e)")


class NotAssignable(ValidationFailed):
    """A deactivated, unqualified or wrong-role annotator is not assigned."""

    code = "ANN_NOT_ASSIGNABLE"
    http_status = 409
    message_zh = "标注人员 {who} 不能分配：{reason_zh}"
    message_en = "annotator {who} cannot be assigned: {reason_en}"


class LabelFileError(ValidationFailed):
    """A bad line in a labels file, with file:line."""

    code = "ANN_LABEL_FILE"
    message_zh = "{location}：{detail_zh}"
    message_en = "{location}: {detail_en}"
