"""Figures a unit corrected after the period's 专报 was signed, and whether the correction went down (虚报).

A unit corrected a period after signing when, besides the accepted file that counted at the first 签发
(the latest accepted one that had arrived by then), a later accepted file of it arrived after the signing.
The correction is downward when any key figure of the unit's final file (本月累计, 累计完成投资, 完成进度 —
the forms' required numbers, tasks/core/forms.py) is lower than in the file that was signed: the signed 专报
printed more than the unit later owned up to (海州 2019 "虚报").
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from ..checks.outcomes import Outcome
from ..core.forms import CODE_FIELD, FORM_SPECS
from ..core.numbers import finite_or_none
from ..core.settings import Settings
from ..intake.registry import Submission, local

ACCEPTED_ONCE = (Outcome.ACCEPTED, Outcome.SUPERSEDED)  # a file that counted at some time
# the figures compared: each form's required numbers, by item code
KEY_FIGURES: dict[str, tuple[str, ...]] = {form: tuple(c.field for c in spec.columns if c.numeric and c.required)
                                           for form, spec in FORM_SPECS.items()}


@dataclass
class Correction:
    """One unit's correction of one period after signing."""

    period: str
    unit_code: str
    signed_file: str
    corrected_file: str
    corrected_at: datetime
    lowered: list[dict] = field(default_factory=list)  # {form, code, field, signed, corrected}

    @property
    def downward(self) -> bool:
        return bool(self.lowered)

    def as_dict(self) -> dict:
        return {"period": self.period, "unit_code": self.unit_code, "signed_file": self.signed_file,
                "corrected_file": self.corrected_file, "corrected_at": self.corrected_at.isoformat(timespec="seconds"),
                "downward": self.downward, "lowered": self.lowered}



def _figures(read) -> dict[tuple[str, str, str], float]:
    out = {}
    for form, rows in (read.records or {}).items():
        code = CODE_FIELD.get(form)
        for row in rows:
            for name in KEY_FIGURES.get(form, ()):
                value = finite_or_none(row.get(name))
                if value is not None:
                    out[(form, str(row.get(code)), name)] = value
    return out


def lowered(before, after) -> list[dict]:
    """The key figures of `after` lower than in `before` (same form, item and field)."""
    old, new = _figures(before), _figures(after)
    return [{"form": key[0], "code": key[1], "field": key[2], "signed": old[key], "corrected": value}
            for key, value in new.items() if key in old and value < old[key] - 1e-9 * max(1.0, abs(old[key]))]


def corrections(settings: Settings, db: Session, period: str, rows: list[Submission],
                signed: datetime | None) -> list[Correction]:
    """Every unit's correction of `period` after `signed` (none when the period was never signed).

    Only a period with corrections loads its reference and its files' reads (pandas) to compare their figures."""
    if signed is None:
        return []
    by_unit: dict[str, list[Submission]] = {}
    for row in rows:
        if row.outcome in ACCEPTED_ONCE and (row.account_unit or row.unit_code):
            by_unit.setdefault(row.account_unit or row.unit_code or "", []).append(row)
    pairs = []
    for unit, files in by_unit.items():
        before = [r for r in files if local(r.received_at, settings.tz) <= signed]
        after = [r for r in files if local(r.received_at, settings.tz) > signed]
        if before and after:
            pairs.append((unit, before[-1], after[-1]))
    if not pairs:
        return []
    from ..core.reference import reference_for
    from ..intake.read import period_reads

    reads = dict(period_reads(settings, db, period, reference_for(settings, period)).subset(
        [r.id for _, b, a in pairs for r in (b, a)]))
    out = []
    for unit, before, after in pairs:
        down = lowered(reads[before.id], reads[after.id]) if before.id in reads and after.id in reads else []
        out.append(Correction(period, unit, before.file_name, after.file_name, local(after.received_at, settings.tz),
                              down))
    return out
