"""The ledger in the portal: a unit sees its own line of the year's ledger (/unit/ledger), the office and the
leaders the whole of it (/office/ledger). The ledger is tasks/year/ledger.py's; this module only shows it."""
from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException, Request

from ...tasks.intake.registry import session
from ...tasks.year.calendar import period_text
from ...tasks.year.ledger import KEYS, LABELS, build_ledger, unit_ledger
from .pages import render
from .security import require
from .views import current_period

router = APIRouter(include_in_schema=False)


def _year(settings, year: int | None) -> int:
    if year is None:
        period = current_period(settings)
        return int(period[:4]) if period else datetime.now(settings.tz).year
    if not 2000 <= year <= 2100:
        raise HTTPException(422, f"年度应为四位年份（如 2020），收到 {year}")
    return year


def _ledger(settings, year: int) -> dict:
    with session(settings.db_url) as db:
        return build_ledger(settings, db, year)


def _line(entry: dict) -> dict:
    """One unit's cells: each key's count and its periods as an office writes them."""
    return {"unit_code": entry["unit_code"], "unit_name": entry["unit_name"],
            "cells": [{"key": key, "count": entry[key]["count"],
                       "periods": "、".join(period_text(p, short=True) for p in entry[key]["periods"])}
                      for key in KEYS],
            "downward": "、".join(period_text(p, short=True) for p in entry["corrected_after_signing"]["downward"])}


@router.get("/unit/ledger")
def unit_ledger_page(request: Request, year: int | None = None):
    account = require(request, "unit")
    settings = request.app.state.settings
    year = _year(settings, year)
    ledger = _ledger(settings, year)
    mine = unit_ledger(ledger, account.unit_code or "")
    return render(request, "ledger_unit", year=year, labels=[LABELS[k] for k in KEYS],
                  periods=[period_text(p) for p in ledger["periods"]], line=_line(mine) if mine else None)


@router.get("/office/ledger")
def office_ledger_page(request: Request, year: int | None = None):
    require(request, "office", "leader")
    settings = request.app.state.settings
    year = _year(settings, year)
    ledger = _ledger(settings, year)
    return render(request, "ledger_office", year=year, labels=[LABELS[k] for k in KEYS],
                  periods=[period_text(p) for p in ledger["periods"]], lines=[_line(u) for u in ledger["units"]])
