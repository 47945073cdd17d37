"""Console page /console/inspections: the platform's recent decisions on uploads (Labeling
Measures Art 6), for every role, in zh and en, without any file content."""

from __future__ import annotations

import pytest

from tests.labeling.media import image


@pytest.mark.parametrize("role", ["admin", "reviewer", "auditor"])
def test_decisions_are_listed_for_every_role(console, role):
    gw = console.gw
    png = image("PNG")
    r = gw.client.post("/v1/hegui/inspect", headers=gw.headers, data={"declared": "ai", "propagate": "true"},
                       files={"file": ("secret-name.png", png)})
    assert r.status_code == 200, r.text
    c = console.login(role)
    zh = c.get("/console/inspections?lang=zh")
    assert zh.status_code == 200 and "可能为生成合成内容" in zh.text and "人工智能生成" in zh.text
    assert f'id="insp-{r.json()["id"]}"' in zh.text and r.json()["sha256"][:16] in zh.text
    assert "secret-name" not in zh.text
    en = c.get("/console/inspections?lang=en")
    assert "Possibly AI-generated" in en.text and "Possibly AI-generated: 1" in en.text


def test_an_error_decision_shows_its_code(console):
    gw = console.gw
    from hegui.labeling import service

    with gw.services.db.session() as s:
        service.record_failure(s, app_id=None, declared=None, size=10, sha256="",
                               error=service.UploadTooLarge(limit=4096))
    page = console.login().get("/console/inspections?lang=en")
    assert "Not inspected" in page.text and "UPLOAD_TOO_LARGE" in page.text
