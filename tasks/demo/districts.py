"""`zhuanbao demo --district NAME`: an example district (tasks/core/examples.py) run as the demo runs 大通湖.

The example's home (`zhuanbao.toml`, `reference/<year>/`) is copied, the demo generator writes three
months of its units' workbooks (the same scenario as 大通湖's: messy, rejected then corrected, late,
missing, .xls — by unit code T01…D07, so an example must have those units), and the script is derived
from the plan: the three months ending with the first milestone's month (else the campaign's end,
else June); each month runs on the 16th of the next; the second-last month is run again the day after
T04's late file arrives, as a 修订版. Each run is reviewed and signed as in the 大通湖 demo.
"""
from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

from ..core import catalog
from ..core.examples import example_home, example_year
from ..core.periods import period_parts, periods_in
from ..core.reference import Reference, load_reference
from ..core.settings import load_settings
from .generate import build_demo_inbox
from .half_month import build_half_month_inbox

REVIEWER, SIGNER = "李华", "王明"


def demo_periods(reference: Reference) -> list[str]:
    """Three months ending with the month of the plan's first milestone (else its campaign's end, else June)."""
    plan, year = reference.plan, reference.year
    last = next((m.date for m in plan.milestones if m.date.year == year), None) if plan else None
    if last is None and plan and plan.campaign and plan.campaign.end and plan.campaign.end.year == year:
        last = plan.campaign.end
    month = max(last.month if last else 6, 3)
    return [f"{year}-{m:02d}" for m in range(month - 2, month + 1)]


def _moment(period: str, day: int, hour: int) -> datetime:
    year, month = period_parts(period)
    return datetime.fromisoformat(f"{year + month // 12}-{month % 12 + 1:02d}-{day:02d}T{hour:02d}:00:00+08:00")


def district_script(reference: Reference, manifest: list[dict], periods: list[str]) -> list[dict]:
    """Each run: period, as_of, reason, reviewed_at, signed_at (ISO strings; reason None for a first run)."""
    runs = []
    for period in periods:
        as_of = _moment(period, 16, 9)
        runs.append({"period": period, "as_of": as_of, "reason": None})
        late = [e for e in manifest if e["period"] == period and e["kind"] == "late"]
        if late:
            arrived = datetime.fromisoformat(late[0]["arrival"])
            unit = late[0]["unit_code"]
            runs.append({"period": period, "as_of": (arrived + timedelta(days=1)).replace(hour=9, minute=0, second=0),
                         "reason": f"{reference.unit_name(unit)}（{unit}）{arrived.month}月{arrived.day}日逾期报送，补录后修订"})
    for run in runs:
        run["reviewed_at"] = run["as_of"] + timedelta(hours=6)
        run["signed_at"] = (run["as_of"] + timedelta(days=1)).replace(hour=10)
        for key in ("as_of", "reviewed_at", "signed_at"):
            run[key] = run[key].isoformat()
    return runs


def prepare_district_home(home: Path, name: str) -> tuple[list[dict], list[dict]]:
    """A home holding example `name` and three months of generated workbooks; (manifest, script)."""
    source, home = example_home(name), Path(home)
    home.mkdir(parents=True, exist_ok=True)
    if not catalog.reference_root(home).exists():
        shutil.copytree(catalog.reference_root(source), catalog.reference_root(home),
                        ignore=shutil.ignore_patterns("__pycache__"))
    if not catalog.settings_file(home).exists():
        shutil.copy2(catalog.settings_file(source), catalog.settings_file(home))
    reference = load_reference(load_settings(home=home), example_year(name))
    periods = demo_periods(reference)
    manifest = build_demo_inbox(home, reference, periods=periods, seed=reference.year)
    script = district_script(reference, manifest, periods)
    if reference.plan.cadence("half-month") is not None:  # 半月调度: the last month's halves, each with its 通报
        manifest += build_half_month_inbox(home, reference, periods[-1], seed=reference.year)
        script = half_month_runs(load_settings(home=home), periods[-1]) + script
    return manifest, sorted(script, key=lambda run: run["as_of"])


def half_month_runs(settings, month: str) -> list[dict]:
    """The runs of `month`'s halves, each the day after its deadline at 09:00 (a 通报: nothing to review or sign)."""
    runs = []
    for label in periods_in(month, "half-month"):
        run_at = (settings.deadline(label) + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
        runs.append({"period": label, "as_of": run_at.isoformat(), "reason": None, "reviewed_at": None,
                     "signed_at": None})
    return runs


def approve_district_run(settings, name: str, period: str, reviewed_at: str, signed_at: str) -> dict:
    """The example's office head reviews and its leader signs the period's draft (as registered recipients)."""
    from ..notices import add_recipient
    from ..report.approval import review, sign

    add_recipient(settings, "office", f"office@{name}.example", REVIEWER)
    add_recipient(settings, "leader", f"leader@{name}.example", SIGNER)
    review(settings, period, REVIEWER, "数据已核对", at=datetime.fromisoformat(reviewed_at))
    return sign(settings, period, SIGNER, at=datetime.fromisoformat(signed_at))
