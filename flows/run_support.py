"""What a Prefect user expects around a run: its name and tags, retries that make sense, artifacts,
and a notice when it fails. Used by the monthly and reminders flows; no domain logic here.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..tasks.core.periods import is_monthly
from ..tasks.core.settings import Settings, load_settings
from ..tasks.intake.standing import tally


def _period_of_current_run() -> str | None:
    from prefect.runtime import flow_run

    from ..tasks.core.periods import cadence_run_period, normalise_label, period_before

    parameters = flow_run.parameters or {}
    period = parameters.get("period")
    if period:
        try:
            return normalise_label(period)
        except ValueError:
            return str(period)
    moment = flow_run.scheduled_start_time
    if moment and parameters.get("cadence"):
        return cadence_run_period(parameters["cadence"], moment, int(parameters.get("deadline_days", 3)),
                                  load_settings().timezone)
    return period_before(moment, load_settings().timezone) if moment else None


def scheduled_label(settings: Settings, cadence: str | None, deadline_days: int) -> str | None:
    """The period of the current scheduled run: the month before its start, or a cadence's period due the day
    before (None on a day no period of the cadence is due)."""
    from prefect.runtime import flow_run

    from ..tasks.core.periods import cadence_run_period, scheduled_period

    if cadence is None:
        return scheduled_period(settings.timezone)
    moment = flow_run.scheduled_start_time
    if moment is None:
        raise RuntimeError("没有指定报告期，且当前不在计划运行中，无法推算报告期；请用 --period 指定")
    return cadence_run_period(cadence, moment, deadline_days, settings.timezone)


def run_name(prefix: str) -> Callable[[], str]:
    """flow_run_name: `月度汇总-2020-04`, the period from the parameters or the scheduled start."""

    def name() -> str:
        period = _period_of_current_run()
        return f"{prefix}-{period}" if period else prefix

    return name


def flow_run_id() -> str | None:
    from prefect.runtime import flow_run

    return str(flow_run.id) if flow_run.id else None


def label_run(period: str, kind: str) -> None:
    """Tag the current flow run with its period and kind (`period:2020-04`, `kind:monthly`)."""
    from prefect.client.orchestration import get_client
    from prefect.runtime import flow_run

    if not flow_run.id:
        return
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(flow_run.id)
        tags = sorted({*run.tags, f"period:{period}", f"kind:{kind}", "zhuanbao"})
        client.update_flow_run(flow_run.id, tags=tags)


def retry_on_storage_errors(task, task_run, state) -> bool:
    """Retry a step only when storage failed (database, network share, object store), not for a bug."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    try:
        state.result()
    except (OperationalError, DBAPIError, ConnectionError, TimeoutError):
        return True
    except OSError as exc:
        return not isinstance(exc, (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError))
    except BaseException:  # noqa: BLE001 — any other failure is not a storage failure
        return False
    return False


def describe_report(outputs: dict) -> str:
    if outputs.get("note"):  # a signed 专报 kept as it is (tasks/report/after_signing.py)
        return outputs["note"]
    if not outputs.get("created"):
        return f"输入未变，沿用第{outputs.get('issue_no')}期（不生成新文件）"
    label = f"第{outputs.get('issue_no')}期" + (f"修订{outputs['revision']}" if outputs.get("revision") else "")
    return f"{label}：{outputs.get('pdf')}"


def summary_markdown(summary: dict, status: dict) -> str:
    """The run's summary artifact: 报送率, late and 未报 units (tasks/intake/standing.py counts them,
    as for the log line), rejected files, and where the 专报 is."""
    names = {u["unit_code"]: u["unit_name"] for u in status["units"]}
    counted = tally(status["units"])
    rate = f"{counted.submission_rate:.1%}" if counted.required else "—"

    def listed(codes: list[str]) -> str:
        return "、".join(f"{names.get(c, c)}（{c}）" for c in codes) or "无"

    outputs = summary.get("outputs") or {}
    return "\n".join([
        f"# {summary['period']} {'月度汇总' if is_monthly(summary['period']) else '调度汇总'}", "",
        "| 项目 | 数值 |", "| --- | --- |",
        f"| 应报单位 | {len(counted.required)} |", f"| 已报送（受理） | {counted.reported} |", f"| 报送率 | {rate} |",
        f"| 逾期报送 | {len(counted.late)} |", f"| 未报送 | {len(counted.unreported)} |",
        f"| 收到文件 | {summary.get('files', 0)} |", f"| 退回文件 | {summary.get('rejected', 0)} |", "",
        f"- 逾期报送：{listed(counted.late)}",
        f"- 未报送：{listed(counted.unreported)}",
        f"  - 其中退回（仅有被退回的文件）：{listed(counted.rejected)}",
        f"- {outputs.get('document', '专报')}：{outputs.get('pdf') or '—'}", ""])


def publish_artifacts(settings: Settings, summary: dict, status: dict) -> None:
    """A markdown summary and a link to the 专报 on the flow run (nothing outside a Prefect run)."""
    from prefect.artifacts import create_link_artifact, create_markdown_artifact
    from prefect.runtime import flow_run

    if not flow_run.id:
        return
    key = f"zhuanbao-{summary['period'].lower()}"  # artifact keys are lower case: 2020-05-h1
    create_markdown_artifact(markdown=summary_markdown(summary, status), key=f"{key}-summary",
                             description=f"{summary['period']} 报送与审核情况")
    pdf = (summary.get("outputs") or {}).get("pdf")
    if pdf:
        create_link_artifact(link=Path(pdf).resolve().as_uri(), link_text=Path(pdf).name, key=f"{key}-report",
                             description=f"{summary['period']} 专报（PDF）")


def _failed_step(flow_run_id) -> str | None:
    """The name of the flow run's failed task (the step), when Prefect can say."""
    try:
        from prefect.client.orchestration import get_client
        from prefect.client.schemas.filters import (
            FlowRunFilter,
            FlowRunFilterId,
            TaskRunFilter,
            TaskRunFilterState,
            TaskRunFilterStateType,
        )
        from prefect.client.schemas.objects import StateType

        with get_client(sync_client=True) as client:
            runs = client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])),
                task_run_filter=TaskRunFilter(state=TaskRunFilterState(type=TaskRunFilterStateType(
                    any_=[StateType.FAILED, StateType.CRASHED]))))
        return runs[-1].name.rsplit("-", 1)[0] if runs else None
    except Exception:  # noqa: BLE001 — the notice goes out without the step rather than not at all
        return None


def notify_failure(flow, flow_run, state) -> None:
    """on_failure / on_crashed: mark the registry's run of this flow run, and tell the office (e-mail to
    the registered office recipients, and a `zhuanbao.run.failed` Prefect event)."""
    from ..tasks.notices import run_failed
    from ..tasks.steps import mark_flow_run

    home = (flow_run.parameters or {}).get("home")
    settings = load_settings(**({"home": home} if home else {}))
    period = (flow_run.parameters or {}).get("period")
    crashed = state.is_crashed()
    message = state.message or ""
    try:
        state.result()
    except BaseException as exc:  # noqa: BLE001 — the exception that failed the run
        message = f"{type(exc).__name__}: {exc}"
    mark_flow_run(settings, str(flow_run.id), "crashed" if crashed else "failed", message)
    step = _failed_step(flow_run.id) or "（未知）"
    what = "异常中止（进程被终止或崩溃）" if crashed else "运行失败"
    run_failed(settings, f"【专报】{flow_run.name or flow.name} {what}",
               f"流程：{flow.name}\n运行：{flow_run.name}（{flow_run.id}）\n报告期：{period or '（按计划推算）'}\n"
               f"失败步骤：{step}\n状态：{state.name}\n原因：{message[:2000]}\n\n"
               "请在 Prefect 界面查看日志，修正后用 zhuanbao rerun 重跑。\n",
               period, {"flow": flow.name, "flow_run": str(flow_run.id), "step": step, "message": message[:500],
                        "crashed": crashed})
