"""The 填报门户 through FastAPI's TestClient: every test tries the wrong thing a user or an attacker
would try (no login, no or forged CSRF token, another unit's file, an oversized or oddly named
upload, script in unit text) and asserts what they would see."""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from zhuanbao.flows.portal import create_app
from zhuanbao.tasks.access.accounts import add_account, issue_token
from zhuanbao.tasks.core.reference import reference_for
from zhuanbao.tasks.core.settings import load_settings
from zhuanbao.tasks.demo.figures import generate_month
from zhuanbao.tasks.demo.generate import write_workbook
from zhuanbao.tasks.intake.registry import Submission, engine_for, session

PERIOD = "2020-04"
NEW_PASSWORD = "河坝镇-填报-2020-ok"


def portal_settings(home: Path, **overrides):
    return load_settings(home=home, portal_allowed_hosts=("testserver",), **overrides)


def account(settings, login: str, *, unit: str | None = "T01", role: str = "unit", name: str = "张三") -> str:
    engine_for(settings.db_url)
    with session(settings.db_url) as db:
        return add_account(settings, db, login, name=name, role=role, unit_code=unit)[1]


def csrf_of(page) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def log_in(client: TestClient, login: str, password: str, *, change_to: str | None = NEW_PASSWORD):
    client.post("/login", data={"login": login, "password": password, "csrf_token": csrf_of(client.get("/login"))})
    if change_to:
        page = client.get("/password")
        client.post("/password", data={"current": password, "new": change_to, "again": change_to,
                                       "csrf_token": csrf_of(page)})
    return client


def workbook(tmp_path: Path, settings, unit: str = "T01", *, name: str | None = None, spoil: str | None = None) -> Path:
    reference = reference_for(settings, PERIOD)
    rows = generate_month(reference, PERIOD, rng_seed=2020)[0][unit]
    rows = {form: [dict(r) for r in form_rows] for form, form_rows in rows.items()}
    if spoil is not None:
        rows["indicators"][0]["cumulative"] = spoil
    return write_workbook(tmp_path / (name or f"{unit}_{PERIOD}.xlsx"), reference=reference, unit_code=unit,
                          period=PERIOD, **rows)


def upload(client: TestClient, path: Path, name: str | None = None, period: str = PERIOD, csrf: str | None = "page"):
    token = csrf_of(client.get(f"/unit?period={period}")) if csrf == "page" else csrf
    data = {} if token is None else {"csrf_token": token}
    return client.post(f"/unit/{period}/upload", data=data, files={"file": (name or path.name, path.read_bytes())},
                       follow_redirects=False)


@pytest.fixture
def portal(home):
    settings = portal_settings(home)
    return settings, TestClient(create_app(settings, warm=False))


@pytest.fixture
def unit_client(portal):
    settings, client = portal
    return settings, log_in(client, "t01", account(settings, "t01"))


def test_healthz_answers_200_when_the_database_is_up(portal):
    _, client = portal
    answer = client.get("/healthz")
    assert answer.status_code == 200 and answer.json() == {"status": "ok", "database": "ok"}


def test_every_answer_carries_a_content_security_policy(unit_client):
    _, client = unit_client
    for answer in (client.get("/login"), client.get("/unit"), client.get("/static/portal.css"),
                   client.get("/nowhere"), client.get("/office"), client.get("/api/v1/submissions/1"),
                   client.get("/healthz")):
        policy = answer.headers.get("content-security-policy", "")
        assert "default-src 'self'" in policy and "script-src 'self'" in policy, answer.url
        assert answer.headers["x-content-type-options"] == "nosniff"


def test_pages_without_login_send_the_browser_to_the_login_form(portal):
    _, client = portal
    answer = client.get("/unit", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=/unit")


def test_the_session_cookie_is_httponly_and_samesite(portal):
    _, client = portal
    cookie = client.get("/login").headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    settings = portal_settings(portal[0].home, portal_cookie_secure=True)
    secure = TestClient(create_app(settings, warm=False)).get("/login").headers["set-cookie"]
    assert "Secure" in secure


def test_first_login_must_change_the_initial_password(portal):
    settings, client = portal
    password = account(settings, "t01")
    log_in(client, "t01", password, change_to=None)
    answer = client.get("/unit", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/password"
    page = client.get("/password")
    refused = client.post("/password", data={"current": password, "new": "short", "again": "short",
                                             "csrf_token": csrf_of(page)})
    assert refused.status_code == 422 and "至少 12 个字符" in refused.text
    client.post("/password", data={"current": password, "new": NEW_PASSWORD, "again": NEW_PASSWORD,
                                   "csrf_token": csrf_of(page)})
    assert client.get("/unit").status_code == 200


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_login_without_the_sessions_csrf_token_is_refused(portal, token):
    settings, client = portal
    password = account(settings, "t01")
    client.get("/login")
    data = {"login": "t01", "password": password, **({"csrf_token": token} if token else {})}
    answer = client.post("/login", data=data, follow_redirects=False)
    assert answer.status_code == 403 and "CSRF" in answer.text
    assert client.get("/unit", follow_redirects=False).status_code == 303  # not logged in


def test_a_post_from_another_site_is_refused_even_with_a_token(unit_client):
    _, client = unit_client
    token = csrf_of(client.get("/unit"))
    answer = client.post("/logout", data={"csrf_token": token}, headers={"Origin": "https://evil.example"})
    assert answer.status_code == 403
    assert client.get("/unit").status_code == 200  # still logged in


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_upload_without_the_csrf_token_stores_nothing(unit_client, tmp_path, token):
    settings, client = unit_client
    answer = upload(client, workbook(tmp_path, settings), csrf=token)
    assert answer.status_code == 403
    with session(settings.db_url) as db:
        assert db.scalars(select(Submission)).all() == []
    assert not (settings.home / "raw").exists()


def test_an_idle_session_expires_and_says_so(home):
    settings = portal_settings(home, portal_session_minutes=30)
    client = TestClient(create_app(settings, warm=False))
    started = time.time()
    log_in(client, "t01", account(settings, "t01"))
    for minutes in (29, 58):  # 29 minutes idle, twice: each answered request renews the session
        client.app.state.clock = lambda m=minutes: started + m * 60
        assert client.get("/unit", follow_redirects=False).status_code == 200, minutes
    client.app.state.clock = lambda: started + (58 + 31) * 60  # then 31 minutes idle
    answer = client.get("/unit", follow_redirects=False)
    assert answer.status_code == 303 and "expired=1" in answer.headers["location"]
    assert "登录已过期" in client.get(answer.headers["location"]).text


def test_a_logged_out_cookie_replayed_is_dead(unit_client):
    _, client = unit_client
    stolen = client.cookies.get("zb_session")
    client.post("/logout", data={"csrf_token": csrf_of(client.get("/unit"))})
    replay = TestClient(client.app, cookies={"zb_session": stolen})
    assert replay.get("/unit", follow_redirects=False).status_code == 303


def test_a_unit_cannot_open_office_pages_or_the_api_docs(unit_client, portal):
    settings, client = unit_client
    for path in ("/office", "/office/units/T02", "/office/audit", "/docs", "/openapi.json", "/office/reports/2020-04"):
        assert client.get(path).status_code == 403, path
    office = log_in(TestClient(client.app), "office", account(settings, "office", unit=None, role="office"))
    assert office.get("/docs").status_code == 200 and "/api/v1/periods/{period}/submissions" in office.get("/docs").text
    assert "paths" in office.get("/openapi.json").json()


def test_another_units_receipt_answers_404_on_page_and_api(unit_client, tmp_path):
    settings, client = unit_client
    file_id = int(upload(client, workbook(tmp_path, settings)).headers["location"].rsplit("/", 1)[1])
    other = log_in(TestClient(client.app), "t02", account(settings, "t02", unit="T02"))
    assert other.get(f"/receipts/{file_id}").status_code == 404
    token = _token(settings, "t02")
    api = TestClient(client.app, headers={"Authorization": f"Bearer {token}"})
    assert api.get(f"/api/v1/submissions/{file_id}").status_code == 404
    assert api.get(f"/api/v1/periods/{PERIOD}/submissions").json() == []
    assert api.get(f"/api/v1/periods/{PERIOD}/status").status_code == 403
    assert client.get(f"/receipts/{file_id}").status_code == 200  # its own unit still sees it


def _token(settings, login: str) -> str:
    with session(settings.db_url) as db:
        return issue_token(settings, db, login)


@pytest.mark.parametrize("header", [None, "Bearer zb_not-a-token", "Basic dDAxOnB3"])
def test_the_api_answers_401_without_a_valid_token(portal, tmp_path, header):
    _, client = portal
    headers = {"Authorization": header} if header else {}
    answer = client.post(f"/api/v1/periods/{PERIOD}/submissions", headers=headers,
                         files={"file": ("a.xlsx", b"PK...")})
    assert answer.status_code == 401 and answer.headers["www-authenticate"] == "Bearer"
    assert client.get(f"/api/v1/periods/{PERIOD}/submissions", headers=headers).status_code == 401


@pytest.mark.parametrize("period", ["2020-13", "20-04", "2099-01", "1999-04"])
def test_the_api_answers_422_for_a_bad_period(portal, period):
    settings, client = portal
    account(settings, "t01")
    answer = client.post(f"/api/v1/periods/{period}/submissions",
                         headers={"Authorization": f"Bearer {_token(settings, 't01')}"},
                         files={"file": ("a.xlsx", b"PK...")})
    assert answer.status_code == 422 and answer.json()["detail"]


def test_an_upload_over_the_size_limit_is_refused_while_streaming(home):
    settings = portal_settings(home, max_file_bytes=100_000)
    client = TestClient(create_app(settings, warm=False))
    account(settings, "t01")
    headers = {"Authorization": f"Bearer {_token(settings, 't01')}"}
    sent = {"bytes": 0}

    def endless():  # no Content-Length: the server must count and stop reading
        for _ in range(200):  # would be 12.8 MB
            sent["bytes"] += 65536
            yield b"x" * 65536

    answer = client.post(f"/api/v1/periods/{PERIOD}/submissions", content=endless(),
                         headers={**headers, "Content-Type": "multipart/form-data; boundary=zz"})
    assert answer.status_code == 413 and "大小限制" in answer.json()["detail"]
    declared = client.post(f"/api/v1/periods/{PERIOD}/submissions", headers=headers,
                           files={"file": ("big.xlsx", b"x" * 300_000)})
    assert declared.status_code == 413
    just_over = client.post(f"/api/v1/periods/{PERIOD}/submissions", headers=headers,
                            files={"file": ("big.xlsx", b"x" * 100_001)})
    assert just_over.status_code == 413
    with session(settings.db_url) as db:
        assert db.scalars(select(Submission)).all() == []
    assert not (settings.home / "raw").exists()


@pytest.mark.parametrize("name", ["../../etc/passwd.xlsx", "..\\..\\boot.ini.xlsx", "T01\x00\x1b[31m报表\r\n.xlsx",
                                  "/abs/path/T01.xlsx"])
def test_odd_file_names_are_kept_as_plain_names_inside_the_home(unit_client, tmp_path, name):
    settings, client = unit_client
    answer = upload(client, workbook(tmp_path, settings), name=name)
    assert answer.status_code == 303
    with session(settings.db_url) as db:
        row = db.scalars(select(Submission)).one()
    assert "/" not in row.file_name and "\\" not in row.file_name and ".." not in row.file_name
    assert all(c.isprintable() for c in row.file_name) and row.file_name.endswith(".xlsx")
    assert (settings.home / row.raw_path).resolve().is_relative_to(settings.home.resolve())
    receipts = list((settings.reports_dir(PERIOD) / "receipts").iterdir())
    assert receipts and all(p.parent == settings.reports_dir(PERIOD) / "receipts" for p in receipts)


def test_script_in_what_a_unit_typed_is_shown_escaped(home, tmp_path):
    settings = portal_settings(home)
    client = TestClient(create_app(settings, warm=False))
    log_in(client, "t01", account(settings, "t01", name="<script>alert('name')</script>"))
    path = workbook(tmp_path, settings, spoil="<script>alert('cell')</script>")
    answer = upload(client, path, name="<img src=x onerror=alert('file')>.xlsx")
    page = client.get(answer.headers["location"])
    assert "<script>alert" not in page.text and "<img src=x" not in page.text
    for what in ("cell", "name"):
        assert f"&lt;script&gt;alert(&#39;{what}&#39;)&lt;/script&gt;" in page.text, what
    assert "&lt;img src=x onerror=alert(&#39;file&#39;)&gt;.xlsx" in page.text
    assert "退回" in page.text


def test_a_wrong_file_is_rejected_at_once_and_the_corrected_one_accepted(unit_client, tmp_path):
    settings, client = unit_client
    wrong = upload(client, workbook(tmp_path, settings, spoil="约500", name="T01_wrong.xlsx"))
    receipt = client.get(wrong.headers["location"]).text
    assert "退回" in receipt and "约500" in receipt and "表1 指标" in receipt and "H05" in receipt
    right = upload(client, workbook(tmp_path, settings))
    assert "已受理" in client.get(right.headers["location"]).text
    again = upload(client, workbook(tmp_path, settings), name="T01 again.xlsx")
    assert "重复报送" in client.get(again.headers["location"]).text
    page = client.get(f"/unit?period={PERIOD}").text
    assert "当前状态：<strong>已受理</strong>" in page and page.count("/receipts/") == 3


def test_a_workbook_naming_another_unit_is_kept_and_rejected(unit_client, tmp_path):
    settings, client = unit_client
    answer = upload(client, workbook(tmp_path, settings, unit="T02"))
    page = client.get(answer.headers["location"]).text
    assert "退回" in page and "H09" in page and "不能代其他单位报送" in page
    with session(settings.db_url) as db:
        row = db.scalars(select(Submission)).one()
    assert row.outcome == "rejected" and row.account_unit == "T01" and row.unit_code == "T02"
    assert (settings.home / row.raw_path).exists()  # kept


def test_api_upload_answers_201_with_the_receipt_and_the_office_sees_it(portal, tmp_path):
    settings, client = portal
    account(settings, "t01")
    account(settings, "office", unit=None, role="office")
    unit_api = {"Authorization": f"Bearer {_token(settings, 't01')}"}
    path = workbook(tmp_path, settings, spoil="约500")
    answer = client.post(f"/api/v1/periods/{PERIOD}/submissions", headers=unit_api,
                         files={"file": (path.name, path.read_bytes())})
    assert answer.status_code == 201
    body = answer.json()
    assert body["outcome"] == "rejected" and body["unit_code"] == "T01" and body["period"] == PERIOD
    assert {"file_id", "on_time", "sha256", "received_at", "outcome_text", "next_steps"} <= set(body)
    finding = next(f for f in body["findings"] if f["severity"] == "hard")
    assert finding["rule"] == "H05" and finding["sheet"] == "表1 指标" and finding["row"] and finding["column"]
    assert client.get(f"/api/v1/submissions/{body['file_id']}", headers=unit_api).json()["file_id"] == body["file_id"]
    office_api = {"Authorization": f"Bearer {_token(settings, 'office')}"}
    status = client.get(f"/api/v1/periods/{PERIOD}/status", headers=office_api).json()
    t01 = next(u for u in status["units"] if u["unit_code"] == "T01")
    assert t01["status"] == "rejected" and status["files"][0]["outcome"] == "rejected"
    office = log_in(TestClient(client.app), "office2", account(settings, "office2", unit=None, role="office"))
    board = office.get(f"/office?period={PERIOD}&show=rejected").text
    assert "T01" in board and "T02" not in board


def test_accounts_commands_print_passwords_and_a_token_last(home, tmp_path, monkeypatch):
    from zhuanbao.flows.cli import app

    monkeypatch.setenv("ZHUANBAO_HOME", str(home))
    runner = CliRunner()
    added = runner.invoke(app, ["accounts", "add", "zhangsan", "--unit", "T01", "--name", "张三"])
    assert added.exit_code == 0 and len(added.stdout.strip().splitlines()[-1]) == 16
    assert runner.invoke(app, ["accounts", "add", "x", "--unit", "ZZZ", "--name", "某"]).exit_code == 2
    assert runner.invoke(app, ["accounts", "add", "lisi", "--role", "office", "--name", "李四"]).exit_code == 0
    token = runner.invoke(app, ["accounts", "token", "zhangsan"]).stdout.strip().splitlines()[-1]
    assert token.startswith("zb_")
    settings = portal_settings(home)
    client = TestClient(create_app(settings, warm=False), headers={"Authorization": f"Bearer {token}"})
    assert client.get(f"/api/v1/periods/{PERIOD}/submissions").status_code == 200
    assert runner.invoke(app, ["accounts", "disable", "zhangsan"]).exit_code == 0
    assert client.get(f"/api/v1/periods/{PERIOD}/submissions").status_code == 401
    out = tmp_path / "账号.csv"
    issued = runner.invoke(app, ["accounts", "issue", "--all-units", "--out", str(out)])
    assert issued.exit_code == 0
    lines = out.read_text("utf-8-sig").splitlines()
    assert lines[0] == "单位代码,单位,登录名,初始密码" and any(line.startswith("T02,") for line in lines)


def test_demo_accounts_log_straight_into_the_unit_and_office_pages(portal):
    from zhuanbao.tasks.access.accounts import demo_accounts

    settings, client = portal
    landing = {}
    for login, password, role in demo_accounts(settings):
        browser = TestClient(client.app)
        log_in(browser, login, password, change_to=None)
        landing[role] = browser.get("/", follow_redirects=False).headers["location"]
    assert landing == {"unit": "/unit", "office": "/office"}


def test_a_leader_reads_the_board_and_the_report_but_cannot_upload_or_audit(portal):
    from datetime import datetime

    from zhuanbao.tasks.intake.registry import ReportIssue
    from zhuanbao.tasks.report.publish import issue_paths

    settings, client = portal
    folder = settings.reports_dir(PERIOD)
    paths = issue_paths(folder, PERIOD, 4, 0)
    folder.mkdir(parents=True)
    paths["html"].write_text("<html><style>p{color:red}</style><p>专报正文</p></html>", "utf-8")
    paths["pdf"].write_bytes(b"%PDF-1.7 test")
    with session(settings.db_url) as db:
        db.add(ReportIssue(year=2020, period=PERIOD, issue_no=4, revision=0, inputs_digest="x", changes={},
                           created_at=datetime(2020, 5, 16), folder=str(folder)))
        db.commit()
    leader = log_in(client, "boss", account(settings, "boss", unit=None, role="leader", name="王领导"))
    assert leader.get(f"/office?period={PERIOD}").status_code == 200
    page = leader.get(f"/office/reports/{PERIOD}").text
    assert "第 4 期" in page and f"/office/reports/{PERIOD}/file/pdf" in page and "<iframe" in page
    inline = leader.get(f"/office/reports/{PERIOD}/file/html")
    assert "专报正文" in inline.text and "sandbox" in inline.headers["content-security-policy"]
    assert leader.get(f"/office/reports/{PERIOD}/file/docx").status_code == 404
    assert leader.get("/office/audit").status_code == 403 and leader.get("/office/units/T01").status_code == 403
    api = {"Authorization": f"Bearer {_token(settings, 'boss')}"}
    assert client.post(f"/api/v1/periods/{PERIOD}/submissions", headers=api,
                       files={"file": ("a.xlsx", b"PK")}).status_code == 403


def test_the_downloaded_workbook_is_the_units_form_with_its_rules_and_locked_frame(unit_client):
    import io

    import openpyxl

    _, client = unit_client
    answer = client.get(f"/unit/{PERIOD}/workbook")
    assert answer.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    assert "填报说明" in book.sheetnames and book["表1 指标"].protection.sheet  # the 填报模板, not a blank
    assert "河坝镇（T01）" in str(book["表1 指标"]["A2"].value)
