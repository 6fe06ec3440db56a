"""A sub-monthly cadence's scheduled deployment on a real Prefect server (slow): `zhuanbao serve` registers
`cadence-half-month` and `reminders-half-month` from the demo plan's [[cadences]], plans the runs on the 4th and
the 19th at 09:00 Asia/Shanghai (the day after each half's deadline), and a scheduled run of the deployment
completes with the half's 通报 — as tests/test_prefect_operations.py proves it for the monthly deployment.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import wait_for
from tests.test_prefect_operations import Office
from zhuanbao.tasks.core.reference import reference_for
from zhuanbao.tasks.core.settings import load_settings
from zhuanbao.tasks.demo.half_month import build_half_month_inbox

pytestmark = pytest.mark.slow
FLOWS = {"monthly": "月度汇总", "reminders": "催报名单", "rerun": "重跑", "cadence-half-month": "月度汇总",
         "reminders-half-month": "催报名单"}


class CadenceOffice(Office):
    def __init__(self, root):
        super().__init__(root)
        build_half_month_inbox(self.home, reference_for(load_settings(home=self.home), "2020-05"), "2020-05")

    def deployment(self, name: str) -> dict | None:
        return self.get(f"/deployments/name/{FLOWS[name]}/{name}")


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    office = CadenceOffice(tmp_path_factory.mktemp("cadence-office"))
    office.start()
    yield office
    office.close()


def test_the_half_month_deployment_is_planned_and_its_scheduled_run_completes(office):
    cadence = office.deployment("cadence-half-month")
    assert cadence and not cadence["paused"] and office.deployment("reminders-half-month")
    planned = wait_for("the half-month runs to be planned", lambda: office.runs(cadence, ["SCHEDULED"]), 60, office.logs)
    days = {datetime.fromisoformat(r["expected_start_time"]).astimezone(UTC).strftime("%d %H:%M") for r in planned}
    assert days <= {"04 01:00", "19 01:00"} and days, days
    at = (datetime.now(UTC) + timedelta(seconds=80)).replace(second=0, microsecond=0)
    schedule = [{"schedule": {"cron": f"{at.minute} {at.hour} * * *", "timezone": "UTC"}, "active": True,
                 "parameters": {"period": "2020-05-H1"}, "slug": "test-next-minute"}]
    added = wait_for("the schedule to be added", lambda: (r := office.api.post(
        f"/deployments/{cadence['id']}/schedules", json=schedule)).status_code == 201 and r, 30)
    assert added.status_code == 201
    run = wait_for("the scheduler to create the run", lambda: next(
        (r for r in office.runs(cadence) if abs((datetime.fromisoformat(r["expected_start_time"]) - at)
                                                .total_seconds()) < 1), None), 100, office.logs)
    assert "auto-scheduled" in run["tags"]
    done = office.finished(run["id"], 150)
    assert done["state"]["type"] == "COMPLETED", office.logs[0].read_text(errors="replace")[-3000:]
    assert done["name"] == "月度汇总-2020-05-H1" and "period:2020-05-H1" in done["tags"]
    assert list((office.home / "reports" / "2020-05-H1").glob("通报_2020-05-H1_第*期.pdf"))
