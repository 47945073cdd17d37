"""Errors of the likeness duty (DS Provisions Art 14(2); PIPL Arts 28–29), in the single
:class:`hegui.errors.HeguiError` tree. Every refusal names the consent it lacks, in zh and en."""

from __future__ import annotations

from hegui.errors import Forbidden, HeguiError, NotFound


class ConsentRequired(Forbidden):
    """A face or voice edit without a separate consent in force for it (DS Art 14(2))."""

    code = "LIKENESS_CONSENT_REQUIRED"
    http_status = 403
    message_zh = "编辑他人人脸、人声须取得其单独同意（《深度合成管理规定》第十四条第二款）：{reason_zh}"
    message_en = "editing a person's face or voice needs their separate consent (Deep Synthesis Provisions " \
                 "Art 14(2)): {reason_en}"


class ConsentSubjectMismatch(Forbidden):
    """The request's reference voice or source face is not the person whose consent it cites."""

    code = "LIKENESS_CONSENT_SUBJECT_MISMATCH"
    http_status = 403
    message_zh = "所引用的单独同意（{consent_id}）所登记的{kind_zh}与本请求提供的{kind_zh}不是同一人，已拒绝"
    message_en = "the {kind_en} in this request is not that of the person whose consent ({consent_id}) it " \
                 "cites; refused"


class ConsentNotFound(NotFound):
    code = "LIKENESS_CONSENT_NOT_FOUND"
    message_zh = "找不到单独同意记录 {id}"
    message_en = "no likeness consent with id {id}"


class ProtectedLikenessBlocked(Forbidden):
    """The reference or the output matches a registered protected voice or face, and the request's
    consent is not for that person."""

    code = "LIKENESS_PROTECTED"
    http_status = 403
    message_zh = "{where_zh}与受保护的{kind_zh}登记（{likeness_id}）相符，而本请求的单独同意不是该登记人的同意，已拒绝"
    message_en = "the {where_en} matches a protected {kind_en} on the register ({likeness_id}) and this " \
                 "request's consent is not that person's; refused"


class LikenessCheckFailed(HeguiError):
    """The protected-likeness comparison could not run: fail closed, nothing is generated."""

    code = "LIKENESS_CHECK_FAILED"
    http_status = 503
    message_zh = "受保护人脸、人声比对未能完成，为安全起见不予生成：{detail}"
    message_en = "the protected voice/face comparison could not run, so nothing is generated: {detail}"
