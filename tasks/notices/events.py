"""Prefect events for notices (`zhuanbao.draft.waiting`, `zhuanbao.run.failed`, `zhuanbao.deadline.near`,
`zhuanbao.report.<action>`; resource `zhuanbao.period.<P>`), so an office can add Prefect automations.
Emitted only where a Prefect server is reachable (inside a flow run, or with PREFECT_API_URL set) — never
starting one. A command outside a flow run (`review`, `sign`, the portal) with no API address in the
environment or Prefect's profile does not import Prefect at all just to find that out (≈ 1–2 s).
"""
from __future__ import annotations

import os
import sys

from ..core.prefect_profile import configured_api_url


def emit(event: str, period: str | None, payload: dict) -> None:
    """A Prefect event about a period, when a Prefect server is reachable; otherwise nothing."""
    if "prefect" not in sys.modules and not os.environ.get("PREFECT_API_URL") and not configured_api_url():
        return  # not in a flow run (that imports Prefect) and no server configured: nothing to reach
    try:
        from prefect.context import FlowRunContext
        from prefect.settings import PREFECT_API_URL

        if FlowRunContext.get() is None and not PREFECT_API_URL.value():
            return
        from prefect.events import emit_event

        emit_event(event=event, resource={"prefect.resource.id": f"zhuanbao.period.{period or 'unknown'}",
                                          "prefect.resource.name": f"专报 {period or ''}".strip()},
                   payload=payload)
    except Exception:  # noqa: BLE001 — an event is a courtesy; the notice itself has been sent
        return
