"""Console page for the management records (DS Arts 7, 15; IM Art 14; docs/governance.md): the
incident register, drills, ethics/security reviews, regulator orders and algorithm reviews, with
overdue items highlighted and a banner while an ordered suspension is in force. Admins open and
advance incidents and record drills here (CSRF-checked, audited)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from hegui.console.auth import ADMIN, ALL, action, actor, page, services_of
from hegui.governance import algorithm, drills, incidents, orders, reviews
from hegui.governance.common import aware
from hegui.web.render import render

router = APIRouter(prefix="/console")


def _page(request: Request, sess):  # noqa: ANN001
    sv = services_of(request)
    with sv.db.session() as s:
        data = {"incidents": incidents.listing(s), "drills": drills.listing(s), "reviews": reviews.listing(s),
                "orders": orders.listing(s), "algorithm_reviews": algorithm.listing(s),
                "suspension": orders.suspension_in_force(s)}
    late_incidents = {r.id for r in data["incidents"] if incidents.report_overdue(r)}
    late_orders = {r.id for r in data["orders"] if orders.overdue(r)}
    allowed = {r.id: incidents.allowed(r) for r in data["incidents"]}
    return render(request, "governance.html", sess=sess, aware=aware, late_incidents=late_incidents,
                  late_orders=late_orders, allowed=allowed, kinds=incidents.KINDS, severities=incidents.SEVERITIES,
                  **data)


@router.get("/governance")
def governance(request: Request):
    return page(request, ALL, lambda sess: _page(request, sess))


@router.post("/governance/incidents")
async def incident_open(request: Request):
    sv = services_of(request)

    def run(sess, form):  # noqa: ANN001
        refs = [x for x in (form.get("refs") or "").replace(",", " ").split() if x]
        with sv.db.session() as s:
            incidents.open_incident(s, actor=actor(sess), kind=form.get("kind"), severity=form.get("severity"),
                                    summary=form.get("summary") or "", refs=refs,
                                    report_hours=sv.settings.governance.report_hours)
        return "/console/governance"

    return await action(request, ADMIN, run)


@router.post("/governance/incidents/{incident_id}/advance")
async def incident_advance(request: Request, incident_id: str):
    sv = services_of(request)

    def run(sess, form):  # noqa: ANN001
        with sv.db.session() as s:
            incidents.advance(s, incident_id, form.get("to") or "", actor=actor(sess), note=form.get("note") or "")
        return "/console/governance"

    return await action(request, ADMIN, run)


@router.post("/governance/drills")
async def drill_add(request: Request):
    sv = services_of(request)

    def run(sess, form):  # noqa: ANN001
        people = [x.strip() for x in (form.get("participants") or "").split(",") if x.strip()]
        with sv.db.session() as s:
            drills.add(s, actor=actor(sess), held_on=form.get("held_on") or "", scenario=form.get("scenario") or "",
                       participants=people, findings=form.get("findings") or "")
        return "/console/governance"

    return await action(request, ADMIN, run)
