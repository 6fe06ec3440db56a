"""Sections of the report context kept by a digest of their inputs (issue 28, render only what changed).

A section (表1 and its sentence, the chart, 三、, 四、, 五、) is a pure function of a few metrics tables and a
few values of the reference and settings. `Sections.build` calls it with only the tables it declares (a table it
did not declare is a KeyError, not a stale reuse) and keys the result by those tables' contents, the other
arguments, the section's name and the code (`code_version`); the same key reads the section back from
the folder the report step gives (`catalog.report_sections`: JSON, as the context is saved) instead of computing it. So a late unit's rerun
computes again the sections its figures, standing or score touch, and reads the others.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from ...core.results import code_version
from ..kept import keep_files, read_kept

KEPT_SECTIONS = 96


def frame_digest(frame: pd.DataFrame) -> str:
    """A table's columns, types and values (row order included)."""
    hashed = hashlib.sha256(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode("utf-8"))
    try:
        hashed.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    except TypeError:  # a cell pandas cannot hash (a list): its text
        hashed.update(frame.to_csv().encode("utf-8"))
    return hashed.hexdigest()


def canonical(value) -> object:
    """A stable, comparable form of an argument: tables by digest, sets sorted, dataclasses by their fields;
    a dict or list of plain values (the units' names) as its JSON in one pass, keys kept apart from values."""
    if isinstance(value, pd.DataFrame):
        return ["frame", frame_digest(value)]
    if isinstance(value, (dict, list, tuple)):
        try:
            return [type(value).__name__, json.dumps(list(value.items()) if isinstance(value, dict) else value,
                                                     ensure_ascii=False)]
        except (TypeError, ValueError):
            pass  # a table, a set or a dataclass inside: item by item
    if isinstance(value, dict):
        return ["dict", [[canonical(k), canonical(v)] for k, v in value.items()]]
    if isinstance(value, (set, frozenset)):
        return ["set", sorted((canonical(v) for v in value), key=repr)]
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [type(value).__name__, canonical(dataclasses.asdict(value))]
    return repr(value)


class Sections:
    """The sections of one context, read back when kept in `folder` (None: always computed)."""

    def __init__(self, folder: Path | None):
        self.folder = Path(folder) if folder is not None else None
        self.computed: list[str] = []  # the sections computed (not read back) by this build
        self._digests: dict[int, tuple[pd.DataFrame, str]] = {}  # a table read by two sections: digested once

    def _digest(self, frame: pd.DataFrame) -> str:
        kept = self._digests.get(id(frame))
        if kept is None or kept[0] is not frame:
            kept = self._digests[id(frame)] = (frame, frame_digest(frame))
        return kept[1]

    def build(self, name: str, section: Callable, metrics: dict, tables: tuple[str, ...], *args) -> object:
        """`section({table: metrics[table] for table in tables}, *args)`, or the same result kept before."""
        picked = {table: metrics[table] for table in tables}
        if self.folder is None:
            self.computed.append(name)
            return section(picked, *args)
        tables_key = [[table, self._digest(frame)] for table, frame in picked.items()]
        key = hashlib.sha256(json.dumps([name, code_version(), tables_key, canonical(list(args))],
                                        ensure_ascii=False).encode("utf-8")).hexdigest()[:40]
        kept = read_kept(self.folder / f"{key}.json")
        if kept is not None:
            try:
                return json.loads(kept)
            except ValueError:
                pass  # damaged: computed again
        value = section(picked, *args)
        self.computed.append(name)
        try:  # only plain JSON is kept, so a section read back gives the same digest and text as computed
            text = json.dumps(value, ensure_ascii=False, allow_nan=True)
        except TypeError:
            return value
        keep_files(self.folder, key, [(".json", text.encode("utf-8"))], KEPT_SECTIONS)
        return value
