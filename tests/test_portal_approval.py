"""审核→签发 in the portal: the office reviews, a leader signs, each only what its role allows, with CSRF."""
from __future__ import annotations

from fastapi.testclient import TestClient

from tests.test_approval import MADE, PERIOD
from tests.test_portal import account, csrf_of, log_in, portal_settings
from tests.test_report import make_context
from zhuanbao.flows.portal.app import create_app
from zhuanbao.tasks.report.approval import approval_state
from zhuanbao.tasks.report.editors import publish_report


def act(client: TestClient, action: str, comment: str = "", csrf: str | None = "page"):
    token = csrf_of(client.get(f"/office/reports/{PERIOD}")) if csrf == "page" else csrf
    return client.post(f"/office/reports/{PERIOD}/approval", follow_redirects=False,
                       data={"action": action, "comment": comment, **({"csrf_token": token} if token else {})})


def test_the_office_reviews_and_a_leader_signs_in_the_portal(home, reference, fast_pdf):
    settings = portal_settings(home)
    publish_report(settings, PERIOD, make_context(settings, reference, late=(), missing=("T04", "T05")), issued_at=MADE)
    office = log_in(TestClient(create_app(settings, warm=False)), "office",
                    account(settings, "office", unit=None, role="office", name="李华"))
    leader = log_in(TestClient(create_app(settings, warm=False)), "leader",
                    account(settings, "leader", unit=None, role="leader", name="王明"))
    unit = log_in(TestClient(create_app(settings, warm=False)), "t01", account(settings, "t01"))

    page = office.get(f"/office/reports/{PERIOD}").text
    assert "草稿" in page and 'id="approval-review"' in page and 'id="approval-sign"' not in page
    assert act(office, "sign").status_code == 403  # the office cannot sign
    assert act(office, "review", csrf=None).status_code in (400, 403)  # no CSRF token: refused
    assert approval_state(settings, PERIOD)["state"] == "草稿"
    assert act(unit, "review", csrf=csrf_of(unit.get(f"/unit?period={PERIOD}"))).status_code in (303, 403)
    assert approval_state(settings, PERIOD)["state"] == "草稿"  # a unit never moves it

    returned = act(office, "return")  # a return needs a comment: refused with the reason shown
    assert returned.status_code == 409 and "原因" in returned.text
    assert act(office, "review").status_code == 303 and approval_state(settings, PERIOD)["state"] == "已审核"
    assert 'id="approval-sign"' in leader.get(f"/office/reports/{PERIOD}").text
    assert act(leader, "sign").status_code == 303
    state = approval_state(settings, PERIOD)
    assert state["state"] == "已签发" and state["signer"] == "王明"
    assert "签发人 王明" in office.get(f"/office/reports/{PERIOD}").text
