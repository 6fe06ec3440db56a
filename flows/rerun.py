"""The rerun flow: rebuild one period after late or corrected files, saying why.

A thin wrapper over monthly_consolidation with both parameters required, so the `rerun`
deployment's form in the Prefect UI asks for the period and the reason (the reason is recorded
in the registry's run and shown in the 专报's 修订说明).
"""
from __future__ import annotations

from prefect import flow

from ..tasks.core.periods import normalise_label
from . import run_support
from .monthly import monthly_consolidation


@flow(name="重跑", flow_run_name=run_support.run_name("重跑"), log_prints=True,
      on_failure=[run_support.notify_failure], on_crashed=[run_support.notify_failure])
def rerun_period(period: str, reason: str, home: str | None = None, reissue: bool = False) -> dict:
    """Pick up late and corrected files for `period` and rebuild it: after signing a 修订版 only if its data
    changed, or with `reissue` for changed templates or text alone (文字修订)."""
    period = normalise_label(period)  # raises with the period named
    if not reason or not reason.strip():
        raise ValueError("重跑必须说明原因（将写入登记簿和专报的修订说明）")
    return monthly_consolidation(period=period, reason=reason.strip(), home=home, reissue=reissue)
