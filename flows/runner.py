"""Where the per-file work runs: the flow's task runner and the mapping of reads over it.

`ZHUANBAO_TASK_RUNNER` chooses the monthly flow's task runner:

- `thread` (default): Prefect's ThreadPoolTaskRunner. A period that fits in one chunk
  (`ZHUANBAO_READ_CHUNK` files, default 100) is read inline; a bigger one as one Prefect task per
  chunk (a task run costs ~10–50 ms against the temporary server, so per-file tasks would cost
  minutes for 10,000 files).
- `dask`: prefect-dask's DaskTaskRunner, on the scheduler at `ZHUANBAO_DASK_ADDRESS` (`tcp://…`),
  or on a LocalCluster of `ZHUANBAO_DASK_WORKERS` processes started for the run. Each chunk is
  one Dask task calling `tasks.intake.read_jobs`: the worker reads the kept bytes (a shared folder
  or the fsspec lake) and returns WorkbookReads; it needs neither the registry nor the Prefect
  API. (A Prefect task run on a worker would report to the Prefect API from the worker; with the
  temporary server each worker process starts one of its own, ~10 s each — measured.)

Only files missing from the read cache are sent; the parent stores the new reads and writes the
registry (tasks/intake.py `read_period`).
"""
from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from ..tasks.core.reference import Reference
from ..tasks.core.settings import Settings
from ..tasks.intake.read import ReadJob, ReadMany, read_jobs
from ..tasks.intake.workbook import WorkbookRead

RUNNERS = ("thread", "dask")


def task_runner_for(settings: Settings, *, processes: bool = True) -> TaskRunner:
    """The monthly flow's task runner for these settings (see the module's docstring)."""
    if settings.task_runner == "thread":
        return ThreadPoolTaskRunner()
    if settings.task_runner != "dask":
        raise ValueError(f"ZHUANBAO_TASK_RUNNER 应为 {' 或 '.join(RUNNERS)}，收到“{settings.task_runner}”")
    import logging

    from ..tasks.core.extras import DASK, require

    DaskTaskRunner = require(*DASK).DaskTaskRunner
    logging.getLogger("distributed").setLevel(logging.WARNING)  # its INFO lines would drown the run's log
    if settings.dask_address:
        return DaskTaskRunner(address=settings.dask_address)
    return DaskTaskRunner(cluster_kwargs={"n_workers": settings.dask_workers, "processes": processes,
                                          "threads_per_worker": 1})


def chunks(items: Sequence, size: int) -> list[list]:
    """`items` in consecutive lists of at most `size`."""
    size = max(1, size)
    return [list(items[start:start + size]) for start in range(0, len(items), size)]


@task(name="读取工作簿（一批）", cache_policy=NO_CACHE, task_run_name="读取 {label}")
def read_chunk(settings: Settings, jobs: list[ReadJob], reference: Reference, label: str = "") -> list[WorkbookRead]:
    """One chunk of files, as one Prefect task run (the thread runner's unit of work)."""
    return read_jobs(settings, jobs, reference)


def reader_for(settings: Settings, reference: Reference) -> ReadMany:
    """`read_many` for tasks/intake.py: reads a batch of files over the current flow's task runner."""

    def read_many(jobs: list[ReadJob]) -> list[WorkbookRead]:
        context = FlowRunContext.get()
        runner = context.task_runner if context else None
        on_dask = _is_dask(runner)
        # threads on one machine: one forked reader per core, not one per chunk all at once
        size = settings.read_chunk_files if on_dask else max(settings.read_chunk_files,
                                                             -(-len(jobs) // (os.cpu_count() or 1)))
        batches = chunks(jobs, size)
        if on_dask:
            results = _on_dask(runner.client, settings, batches, reference)
        elif runner is None or len(batches) <= 1:
            results = [read_jobs(settings, batch, reference) for batch in batches]
        else:
            # quote(): Prefect would otherwise walk the reference's tables and every job of every chunk looking
            # for futures to resolve (15 s of the read step at 10,000 files, measured)
            futures = [read_chunk.submit(quote(settings), quote(batch), quote(reference),
                                         label=f"{batch[0].file_name} 等 {len(batch)} 个") for batch in batches]
            results = [future.result() for future in futures]
        return [read for batch in results for read in batch]

    return read_many


def _is_dask(runner) -> bool:
    """A DaskTaskRunner, without importing prefect-dask (and dask.distributed: ≈ 0.3 s of CPU) to ask: a
    process whose runner is one has imported it already."""
    if "prefect_dask" not in sys.modules:
        return False
    from prefect_dask import DaskTaskRunner

    return isinstance(runner, DaskTaskRunner)


def _on_dask(client, settings: Settings, batches: list[list[ReadJob]], reference: Reference) -> list:
    """Plain Dask tasks (no Prefect on the workers): the reference goes out once, results come back in order."""
    shared = client.scatter(reference, broadcast=True, hash=False)
    futures = client.map(read_jobs, [settings] * len(batches), batches, [shared] * len(batches), pure=False)
    return client.gather(futures)
