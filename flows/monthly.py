"""The monthly flow: collect → read → check → consolidate → metrics → report, for one period.

Wiring only: every step is a function in tasks/steps.py. Runs as plain Python (Prefect starts a
temporary server) or against a server when PREFECT_API_URL is set. `flow_for(settings)` is the flow
with the task runner the settings choose (ZHUANBAO_TASK_RUNNER, see tasks/runner.py): the read
step maps the uncached files over it in chunks; every other step runs in the flow's process.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import quote

from zhuanbao.flows.runner import reader_for, task_runner_for
from zhuanbao.tasks import steps
from zhuanbao.tasks.core.settings import Settings, load_settings

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


def _step(name: str, work: Callable) -> Callable:
    def run(*args):
        result = work(*args)
        for callback in _listeners:
            callback(name)
        return result

    run.__name__ = work.__name__
    # NO_CACHE: the default policy hashes every input (a month of tidy rows) just to build a cache key
    return task(name=f"{name} {work.__name__}", cache_policy=NO_CACHE)(run)


def read(ctx: steps.RunContext) -> list:
    """steps.read with the uncached files mapped in chunks over the flow's task runner."""
    return steps.read(ctx, reader_for(ctx.settings, ctx.reference))


collect, read, check, consolidate, metrics, report = (
    _step(name, work) for name, work in zip(STEP_NAMES, (steps.collect, read, steps.check,
                                                         steps.consolidate, steps.metrics, steps.report)))


@flow(name="monthly_consolidation", log_prints=True)
def monthly_consolidation(period: str | None = None, as_of: str | None = None, reason: str | None = None) -> dict:
    """Build everything for one period from what has arrived so far.

    Without `period` (the scheduled deployment) the period is the month before the run's scheduled
    start. The whole run holds the period's lock: a second run of the same month waits, then refuses.
    """
    from zhuanbao.tasks.core.periods import scheduled_period
    from zhuanbao.tasks.intake.lock import period_lock

    logger = get_run_logger()
    settings = load_settings()
    period = period or scheduled_period(settings.timezone)
    with period_lock(settings, period, who=run_holder(reason)):
        ctx = steps.open_run(settings, period, reason=reason, as_of=as_of)
        # quote(): the context and a month of tidy rows pass between tasks as they are; Prefect
        # would otherwise walk every row of every file looking for futures (minutes at 10,000 files)
        run = quote(ctx)
        try:
            arrived = collect(run)
            reads = quote(read(run))
            checked = check(run, reads)
            consolidate(run, reads)
            metrics(run)
            outputs = report(run)
        except BaseException as exc:
            steps.fail_run(ctx, exc)
            raise
        summary = steps.close_run(ctx, {**arrived, **checked}, outputs)
    logger.info(steps.summary_line(summary))
    return summary


def flow_for(settings: Settings | None = None):
    """The monthly flow on the task runner the settings choose (thread by default, or Dask).

    Also starts importing the rule engine in the background, while Prefect starts its server.
    """
    from zhuanbao.tasks.checks.suites import warm_up

    warm_up()
    return monthly_consolidation.with_options(task_runner=task_runner_for(settings or load_settings()))


def run_holder(reason: str | None) -> str:
    """Who is writing, for the lock's message: the Prefect run and deployment, and the reason."""
    from prefect.runtime import deployment, flow_run

    name = f"流程运行 {flow_run.name}" if flow_run.name else "流程运行"
    if deployment.name:
        name += f"（部署 {deployment.name}）"
    return f"{name}，原因：{reason}" if reason else name
