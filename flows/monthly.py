"""The monthly flow: 收取 → 读取 → 审核 → 汇总 → 指标 → 专报, for one period.

Wiring only: every step is a function in tasks/steps.py, wrapped here as a Prefect task with a
Chinese name, logs that say what happened, and retries with backoff when the database or the
lake's storage failed (an OperationalError or an OSError: a network share, PostgreSQL, S3), never
for a wrong file or a bug. The run is named after its period (`月度汇总-2020-04`), tagged with it,
bounded by a timeout (`ZHUANBAO_FLOW_TIMEOUT_MINUTES`) and leaves two artifacts: a markdown summary
and a link to the 专报. A failure or a crash is written to the registry and sent as a notice.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import quote

from ..tasks import steps
from ..tasks.core.settings import Settings, load_settings
from . import run_support
from .runner import reader_for, task_runner_for

STEP_NAMES = ["收取文件", "读取工作簿", "审核规则", "汇总入库", "计算指标", "生成专报"]
_listeners: list[Callable[[str], None]] = []


@contextmanager
def listen(callback: Callable[[str], None]) -> Iterator[None]:
    """Call `callback(step name)` as each step finishes (the CLI's progress display)."""
    _listeners.append(callback)
    try:
        yield
    finally:
        _listeners.remove(callback)


def _step(name: str, work: Callable, describe: Callable[[object], str]) -> Callable:
    def run(*args):
        result = work(*args)
        get_run_logger().info(f"{name}：{describe(result)}")
        for callback in _listeners:
            callback(name)
        return result

    run.__name__ = work.__name__
    # NO_CACHE: the default policy hashes every input (a month of tidy rows) just to build a cache key
    return task(name=name, cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[5, 30],
                retry_condition_fn=run_support.retry_on_storage_errors)(run)


def read(ctx: steps.RunContext) -> list:
    """steps.read with the uncached files mapped in chunks over the flow's task runner."""
    return steps.read(ctx, reader_for(ctx.settings, ctx.reference))


collect = _step("收取文件", steps.collect, lambda r: f"新登记 {r['new_files']} 个文件，重复 {r['duplicates']} 个")
read_files = _step("读取工作簿", read, lambda r: f"文件 {len(r)} 个（本次新读取 {len(r.fresh)} 个）")
check = _step("审核规则", steps.check, lambda r: f"文件 {r['files']} 个（本次新审核 {r['checked_now']} 个），"
                                                f"受理 {r['accepted']}，退回 {r['rejected']}")
consolidate = _step("汇总入库", steps.consolidate, lambda r: "；".join(f"{k} → {v}" for k, v in r.items()))
metrics = _step("计算指标", steps.metrics, lambda r: f"写出 {len(r)} 个指标数据集")
report = _step("生成专报", steps.report, run_support.describe_report)


@flow(name="月度汇总", flow_run_name=run_support.run_name("月度汇总"), log_prints=True,
      on_failure=[run_support.notify_failure], on_crashed=[run_support.notify_failure])
def monthly_consolidation(period: str | None = None, as_of: str | None = None, reason: str | None = None,
                          home: str | None = None, from_scratch: bool = False, reissue: bool = False,
                          cadence: str | None = None, deadline_days: int = 3) -> dict:
    """Build everything for one period from what has arrived so far.

    Without `period` (the scheduled deployment) the period is the month before the run's scheduled
    start — or, for a cadence's deployment (`cadence`, `deadline_days` of plan.toml), the cadence's period whose
    deadline passed the day before (a two-week cadence's off week builds nothing). `home` (the CLI passes its
    --home) overrides ZHUANBAO_HOME. The whole run holds the period's lock: a second run of the same month waits, then refuses. Each file is read and checked
    once (its results are stored); `from_scratch` ignores every stored result and rebuilds everything.
    Once the period's 专报 is signed, only new data makes a 修订版; `reissue` makes one for changed
    templates or text alone (文字修订; tasks/report/after_signing.py).
    """
    from ..tasks.core.periods import normalise_label
    from ..tasks.intake.lock import period_lock

    logger = get_run_logger()
    settings = load_settings(**({"home": home} if home else {}))
    period = normalise_label(period) if period else run_support.scheduled_label(settings, cadence, deadline_days)
    if period is None:
        logger.info(f"本次计划运行不是{cadence}调度的出数日，不生成任何内容")
        return {"period": None, "skipped": True}
    run_support.label_run(period, "rerun" if reason else "monthly")
    with period_lock(settings, period, who=run_holder(reason)), \
            steps.recorded_run(settings, period, reason=reason, as_of=as_of,
                               flow_run_id=run_support.flow_run_id(), from_scratch=from_scratch) as record:
        # quote(): the context and a month of tidy rows pass between tasks as they are; Prefect
        # would otherwise walk every row of every file looking for futures (minutes at 10,000 files)
        ctx = quote(record.context)
        arrived = collect(ctx)
        reads = quote(read_files(ctx))
        checked = check(ctx, reads)
        consolidate(ctx, reads)
        status = steps.period_status(record.context)
        metrics(ctx, quote(status))
        outputs = report(ctx, quote(status), reissue)
        record.counts.update({**arrived, **checked, **steps.settled_counts(status)})
    summary = {"period": period, "run_id": record.context.run_id, **record.counts, "outputs": outputs}
    logger.info(steps.summary_line(summary))
    run_support.publish_artifacts(settings, summary, status)
    return summary


def flow_for(settings: Settings | None = None):
    """The monthly flow on the task runner and timeout the settings choose (thread by default, or Dask).

    Returns once the temporary Prefect server `prepare_prefect(start_server=True)` started answers. The
    rule engine (GX, ~4 s of imports) is not warmed up here: it is imported by the check step only when
    there are files to check, so a run with nothing new to check never pays for it.
    """
    from .prefect_env import prefect_ready

    settings = settings or load_settings()
    prefect_ready()
    return monthly_consolidation.with_options(task_runner=task_runner_for(settings),
                                              timeout_seconds=settings.flow_timeout_minutes * 60)


def run_holder(reason: str | None) -> str:
    """Who is writing, for the lock's message: the Prefect run and deployment, and the reason."""
    from prefect.runtime import deployment, flow_run

    name = f"流程运行 {flow_run.name}" if flow_run.name else "流程运行"
    if deployment.name:
        name += f"（部署 {deployment.name}）"
    return f"{name}，原因：{reason}" if reason else name
