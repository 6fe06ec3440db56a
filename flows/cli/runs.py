"""Run commands: run, rerun, backfill, reminders, demo."""
from __future__ import annotations

from pathlib import Path

import typer

from ...tasks.core.periods import months_between
from .app import (
    PERIOD_HELP,
    _period,
    app,
    console,
    current_settings,
    flow_home,
    given_home,
    hand_to_warm_runner,
    parse_moment,
    print_outputs,
    refused_when_locked,
    run_period,
    use_home,
)
from .intake import status

REISSUE_HELP = ("专报已签发且数据未变时，仍按修改后的模板或文字出修订版草稿（修订说明为“文字修订”）；"
                "不加此项时数据未变则不重新起草")


@app.command()
def run(period: str = typer.Option(..., "--period", "-p", callback=_period, help=PERIOD_HELP),
        reason: str | None = typer.Option(None, "--reason", help="本次运行的原因（记入登记簿和修订说明）"),
        as_of: str | None = typer.Option(None, "--as-of", help="只收取此时刻之前到达的文件（ISO8601）"),
        from_scratch: bool = typer.Option(False, "--from-scratch",
                                          help="不用任何已存的读取、审核和汇总结果，全部重新计算（结果应与增量运行完全相同）"),
        reissue: bool = typer.Option(False, "--reissue", help=REISSUE_HELP)) -> None:
    """运行月度流程：收取 → 读取 → 审核 → 汇总 → 指标 → 专报（每个文件只读取、审核一次）。"""
    hand_to_warm_runner()
    moment = parse_moment(as_of, current_settings(), "--as-of")
    summary = run_period(period, reason=reason, as_of=moment.isoformat() if moment else None,
                         from_scratch=from_scratch, reissue=reissue)
    print_outputs(summary)


@app.command()
def demo(home: Path = typer.Option(Path("demo_home"), "--home", help="演示数据目录（会被重建）"),
         keep: bool = typer.Option(False, "--keep", help="保留已有的演示目录"),
         district: str | None = typer.Option(None, "--district",
                                             help="用示例区演示，如 donghu-2022、haizhou-2019（默认：大通湖区 2020）")) -> None:
    """演示：为大通湖区（或 --district 指定的示例区）生成各月的报表（含格式混乱、逾期、退回、未报、更正重报），逐月运行、审核、签发；大通湖区最后做截至6月的考评。"""
    import shutil

    from ...tasks.demo.scenario import (
        DEMO_APPROVALS,
        DEMO_LATER_APPROVALS,
        DEMO_LATER_RUNS,
        DEMO_RUNS,
        approve_demo_run,
        cadence_runs_before,
        prepare_demo_home,
        prepare_demo_june,
    )

    home = home.resolve()
    other = given_home()
    if other and other != str(home):  # the office's own home is never the demo's to rebuild
        console.print(f"演示不使用 --home/ZHUANBAO_HOME 指定的 {other}（演示会重建其目录）；另选演示目录：zhuanbao demo --home 目录")
    if home.exists() and not keep:
        shutil.rmtree(home)
    use_home(home)
    if district:
        _district_demo(home, district)
        return
    manifest = prepare_demo_home(home) + prepare_demo_june(home)
    console.print(f"演示目录：{home}（{len(manifest)} 个报送文件）")
    done: set[str] = set()
    for (period, as_of, reason), (reviewed_at, signed_at) in zip(DEMO_RUNS + DEMO_LATER_RUNS,
                                                                  DEMO_APPROVALS + DEMO_LATER_APPROVALS, strict=True):
        for half, at in cadence_runs_before(as_of, done):  # 项目半月调度: each half's 通报
            print_outputs(run_period(half, as_of=at))
            done.add(half)
        summary = run_period(period, reason=reason, as_of=as_of)
        print_outputs(summary)
        signed = approve_demo_run(current_settings(), period, reviewed_at, signed_at)  # 审核 → 签发
        console.print(f"  审核、签发：{signed['label']} {signed['signer']}签发 → {signed['files']['pdf']}")
    status(period=DEMO_LATER_RUNS[-1][0], as_json=False)
    from .portal import portal_lines

    for line in portal_lines(current_settings()):
        console.print(line)
    _demo_assessment()


def _demo_assessment() -> None:
    """The campaign's 7月 考评: the year's assessment through June and where its 考核通报 is."""
    from ...tasks.demo.scenario import DEMO_ASSESSMENT
    from .year import assess

    year, through = DEMO_ASSESSMENT
    console.print(f"考评：zhuanbao assess --year {year} --through {through}")
    assess(year=year, through=through, as_json=False)


def _district_demo(home: Path, name: str) -> None:
    """`demo --district NAME`: the example district's home, workbooks and runs (tasks/demo/districts.py)."""
    from ...tasks.demo.districts import approve_district_run, prepare_district_home

    try:
        manifest, script = prepare_district_home(home, name)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--district") from None
    console.print(f"演示目录：{home}（示例区 {name}，{len(manifest)} 个报送文件）")
    for step in script:
        print_outputs(run_period(step["period"], reason=step["reason"], as_of=step["as_of"]))
        if step["reviewed_at"] is None:  # a half month's 通报
            continue
        signed = approve_district_run(current_settings(), name, step["period"], step["reviewed_at"], step["signed_at"])
        console.print(f"  审核、签发：{signed['label']} {signed['signer']}签发 → {signed['files']['pdf']}")
    status(period=script[-1]["period"], as_json=False)


def _months(start: str, end: str) -> list[str]:
    try:
        return months_between(start, end)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


@app.command()
def rerun(period: str = typer.Option(..., "--period", "-p", callback=_period, help=PERIOD_HELP),
          reason: str = typer.Option(..., "--reason", help="重跑原因（记入登记簿和专报的修订说明），如“T04 逾期报送”"),
          reissue: bool = typer.Option(False, "--reissue", help=REISSUE_HELP)) -> None:
    """重跑一个报告期：收取逾期/更正文件并重建（已读过的文件不再读取）；已签发的专报仅在数据有变化时出修订版草稿（仅改模板或文字须加 --reissue），未签发的重新生成草稿。"""
    if not reason.strip():
        raise typer.BadParameter("重跑必须说明原因", param_hint="--reason")
    hand_to_warm_runner()
    print_outputs(run_period(period, reason=reason.strip(), reissue=reissue))


@app.command()
def backfill(start: str = typer.Option(..., "--from", callback=_period, help="起始报告期 YYYY-MM"),
             end: str = typer.Option(..., "--to", callback=_period, help="结束报告期 YYYY-MM（含）"),
             reason: str | None = typer.Option("补跑", "--reason", help="记入登记簿的原因")) -> None:
    """按月份顺序补跑一段报告期（每月用上月的汇总数据做环比审核，所以必须按顺序）。"""
    hand_to_warm_runner()
    for period in _months(start, end):
        print_outputs(run_period(period, reason=reason))


@app.command()
def reminders(period: str = typer.Option(..., "--period", "-p", callback=_period, help=PERIOD_HELP),
              no_check: bool = typer.Option(False, "--no-check", help="只收取和读取，不运行审核规则（更快）")) -> None:
    """催报名单：收取并审核已到文件，列出尚未报送或仅有被退回文件的单位（含联系人）。"""
    from ..prefect_env import prefect_ready, prepare_prefect

    used = prepare_prefect(current_settings().home, start_server=True,
                           keep_minutes=current_settings().server_idle_minutes)
    console.print(f"[dim]使用{used}[/dim]")
    from ...tasks.intake.reminders import log_lines
    from ..reminders import submission_reminders

    prefect_ready()
    with refused_when_locked():
        result = submission_reminders(period=period, check=not no_check, home=flow_home(current_settings()))
    settings = current_settings()
    import json

    entries = json.loads(Path(result["files"]["json"]).read_text("utf-8"))["owing"]
    for line in log_lines(period, entries):
        console.print(line)
    console.print(f"  名单：{settings.reports_dir(period) / '催报名单.md'}")
