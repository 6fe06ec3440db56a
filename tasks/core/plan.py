"""A district's plan as data (district-plan.md): what `plan.toml` and `kinds.csv` of `<home>/reference/<year>/`
declare, and their defaults when absent.

- `Plan`: `[report]` title (the masthead, exactly) and issuer (the 版记's 印发机关); the `[campaign]`
  (name, start, end); `[[milestones]]` (name, date, share); `[[cadences]]` (`Cadence`: the rhythms beside the monthly dispatch);
  a top-level `source` note. Without the file (`default_plan`): no campaign, no milestone,
  title "<district>工作专报", issuer the `office` setting.
- `Kinds`: the unit kinds `units.csv` may use (`kind, label, ranked, order`), how they are named and whether
  they are ranked. Without the file: the four kinds of today (`DEFAULT_KINDS`).

Reading the two files and listing their problems is tasks/core/plan_files.py's.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Campaign:
    """The campaign (攻坚行动) the plan runs: "距…还有N天" only when it has an end."""

    name: str
    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class Milestone:
    """A milestone such as 双过半: by `date`, `share` of the year's target (0 < share ≤ 1)."""

    name: str
    date: date
    share: float


CADENCE_TABLES = ("indicators", "projects", "tasks")  # what a cadence may collect
CADENCE_REPORTS = ("通报", "专报")  # the document each of its periods gets
MAX_DEADLINE_DAYS = {"week": 6, "two-weeks": 13, "half-month": 12, "quarter": 27}  # the run stays in the cron's reach


@dataclass(frozen=True)
class Cadence:
    """A dispatch rhythm beside the monthly one (district-plan.md): `every` is a cadence of tasks/core/periods.py
    (week, two-weeks, half-month, quarter), `tables` the forms it collects, due `deadline_days` after each
    period's last day, each period getting a `report` (通报, short, or 专报)."""

    name: str
    every: str
    tables: tuple[str, ...]
    deadline_days: int = 3
    report: str = "通报"


@dataclass(frozen=True)
class Plan:
    """What a district declares about its 专报; `declared` is False when built from the defaults."""

    title: str
    issuer: str
    campaign: Campaign | None = None
    milestones: tuple[Milestone, ...] = ()
    cadences: tuple[Cadence, ...] = ()  # `[[cadences]]`: none means the monthly dispatch alone
    by_leader: bool = False  # the 专报 also lists tasks by 牵头区领导
    source: str = ""  # where the plan's figures come from (e.g. "示例：部分数字为虚构")
    declared: bool = False


    def cadence(self, every: str) -> Cadence | None:
        """The declared cadence that runs every `every` (a period's cadence), or None (the monthly dispatch)."""
        return next((c for c in self.cadences if c.every == every), None)


def default_plan(district: str, office: str) -> Plan:
    """The plan of a home without plan.toml: no campaign, no milestone, "<district>工作专报", issued by `office`."""
    return Plan(title=f"{district}工作专报", issuer=office)


@dataclass(frozen=True)
class Kind:
    """A unit kind: its code in units.csv, its printed label, whether its units are ranked, its place."""

    kind: str
    label: str
    ranked: bool = True
    order: int = 0


DEFAULT_KINDS = (Kind("township", "乡镇（办事处）", True, 1), Kind("park", "园区", True, 2),
                 Kind("department", "区直部门", True, 3), Kind("enterprise", "区属国有企业", True, 4))


@dataclass(frozen=True)
class Kinds:
    """The unit kinds of a year, in `order`; `declared` is False for the four kinds of today."""

    kinds: tuple[Kind, ...] = DEFAULT_KINDS
    declared: bool = False
    _by_code: dict[str, Kind] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kinds", tuple(sorted(self.kinds, key=lambda k: k.order)))
        self._by_code.update({k.kind: k for k in self.kinds})

    @property
    def codes(self) -> list[str]:
        return [k.kind for k in self.kinds]

    @property
    def labels(self) -> dict[str, str]:
        return {k.kind: k.label for k in self.kinds}

    def label(self, kind: str) -> str:
        return self._by_code[kind].label if kind in self._by_code else kind

    def ranked(self, kind: str) -> bool:
        return self._by_code[kind].ranked if kind in self._by_code else True

    def __contains__(self, kind: object) -> bool:
        return kind in self._by_code

    def __iter__(self):
        return iter(self.kinds)
