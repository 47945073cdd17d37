"""Console page for the platform inspection service (Labeling Measures Art 6;
docs/platform-inspect.md): the newest decisions on uploads — class, media, size, the uploader's
declaration, whether the platform's propagation fields were written — and a count per class.
Read-only; file contents are never stored, only their SHA-256."""

from __future__ import annotations

from collections import Counter

from fastapi import APIRouter, Request

from hegui.console.auth import ALL, page, services_of
from hegui.labeling import service
from hegui.web.render import render

router = APIRouter(prefix="/console")
CLASSES = ("confirmed", "possible", "suspected", "none", "error")


def _page(request: Request, sess):  # noqa: ANN001
    sv = services_of(request)
    with sv.db.session() as s:
        rows = service.recent(s, limit=200)
        s.expunge_all()
    counts = Counter(r.result for r in rows)
    return render(request, "inspections.html", sess=sess, rows=rows, counts=[(c, counts.get(c, 0)) for c in CLASSES])


@router.get("/inspections")
def inspections(request: Request):
    return page(request, ALL, lambda sess: _page(request, sess))
