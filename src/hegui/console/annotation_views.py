"""Console page for annotation QA (Interim Measures Art 8; GB/T 45674; docs/annotation.md): the rules
documents with their coverage check, the annotator roster (qualified / due for re-examination /
deactivated), batches with κ and the acceptance decisions. Reviewers and admins record a batch's
sample inspection here (CSRF-checked, audited); the separation-of-duties rule applies."""

from __future__ import annotations

from fastapi import APIRouter, Request

from hegui.annotation import annotators, batches, rules
from hegui.annotation.errors import AnnotationNotFound
from hegui.annotation.models import Batch
from hegui.console.auth import ALL, WORK, action, actor, page, services_of
from hegui.web.render import render

router = APIRouter(prefix="/console")


def _page(request: Request, sess):  # noqa: ANN001
    sv = services_of(request)
    months = sv.settings.annotation.reexam_months
    with sv.db.session() as s:
        live = {getattr(rules.current(s, k), "id", None) for k in rules.KINDS}
        docs = rules.listing(s)
        roster = [(a, annotators.qualification(s, a, months)) for a in annotators.listing(s)]
        rows = [(b, batches.latest_agreement(s, b), batches.latest_inspection(s, b)) for b in batches.listing(s)]
        return render(request, "annotation.html", sess=sess, docs=docs, live=live, roster=roster, batches=rows,
                      pass_mark=sv.settings.annotation.pass_mark, months=months)


@router.get("/annotation")
def annotation(request: Request):
    return page(request, ALL, lambda sess: _page(request, sess))


@router.post("/annotation/batches/{batch_id}/inspect")
async def inspect(request: Request, batch_id: str):
    sv = services_of(request)

    def run(sess, form):  # noqa: ANN001
        def number(key: str) -> int | None:
            raw = form.get(key).strip()
            if not raw:
                return None
            if not raw.isdigit():
                from hegui.errors import ValidationFailed

                raise ValidationFailed(message_en=f"{key}: a whole number", message_zh=f"{key}：须为非负整数")
            return int(raw)

        with sv.db.session() as s:
            b = s.get(Batch, batch_id)
            if b is None:
                raise AnnotationNotFound(what_zh="批次", what_en="batch", id=batch_id[:40])
            defects = number("defects")
            if defects is None:
                from hegui.errors import ValidationFailed

                raise ValidationFailed(message_en="defects is required", message_zh="不合格数不能为空")
            batches.inspect(s, b.name, actor=actor(sess), inspected_by=actor(sess), defects=defects,
                            safety_failed=number("safety_failed"), aql=form.get("aql") or None)
        return "/console/annotation"

    return await action(request, WORK, run)
