"""A narrow memo around four GX internals, active only inside one `run_suite` validation.

Profiles of a portal upload (issue 28) show GX spending most of a validation on per-expectation setup,
not on rows: `Expectation.configuration` builds a new ExpectationConfiguration from a pydantic
`dict()` on every access (≈ 45 times per expectation per validation; GX made it just-in-time on
purpose, great_expectations PR #9040, so an edited Expectation is always seen), `ExpectationConfiguration
.to_domain_obj` builds a new pydantic Expectation for every metric it asks about, every metric of an
expectation with a `row_condition` runs `DataFrame.query` over the batch again, and every metric
configuration hashes its kwargs to an id through GX's JSON conversion (`IDDict.to_id`).

Inside one validation nothing edits an Expectation, so within `memoized()` (and only in the thread
that entered it) the three answers are kept:

- `Expectation.configuration` — per Expectation object;
- `ExpectationConfiguration.to_domain_obj` — per configuration object *and its content* (type, kwargs,
  meta, …: GX edits a configuration's kwargs in place before it builds the Expectation, and a changed
  content is a miss);
- `PandasExecutionEngine._apply_row_condition_filter` — per (batch frame, condition, parser);
- `IDDict.to_id` — per content, when the kwargs are plain data (str, numbers, bools, None, lists, dicts;
  each value with its type), else GX computes it.

Everything is dropped when the validation ends, so nothing outlives it. The patches are installed only
on the GX version this was written against (`PINNED`, as in constraints.txt) and only if the three
functions' source is still what it was (`SOURCE_DIGESTS`); otherwise GX runs unpatched and
`tests/test_gx_memo.py` fails loudly so that someone reads the new GX before pinning it again.
Measured on one demo upload's batches: 0.51 s → 0.21 s of CPU for the suites (GX's own per-expectation
setup, not rows). The
findings are the same byte for byte with and without the memo (the same test, on the demo's files and
the shared samples).
"""
from __future__ import annotations

import hashlib
import inspect
import logging
import threading
from contextlib import contextmanager

log = logging.getLogger(__name__)

PINNED = "1.24.1"  # constraints.txt's great_expectations
SOURCE_DIGESTS = {  # sha256 of each patched function's source in GX PINNED (`source_digests()`)
    "Expectation.configuration":
        "017b2b788132d570b370ac396d96dbc7ff212418ffcf6c4c63b56a6518022685",
    "ExpectationConfiguration.to_domain_obj":
        "24e276873831375b656bafff13ef35ddf48751e3c5a6b43e1ce4bc82b2c84a31",
    "PandasExecutionEngine._apply_row_condition_filter":
        "917e05df63a2a6afc3aa568c034f118b803a88f209046f05e1927a6731edeae8",
    "IDDict.to_id": "3820fd313f5a0f6903b8b63f6bda3cadf1dc822312d6da5a3eff18ca76f06344",
}

_local = threading.local()  # .memo: the running validation's memo in this thread, else absent
_install_lock = threading.Lock()
_state: dict[str, object] = {}  # "installed": bool once decided; "originals": the unpatched functions


def _targets():
    from great_expectations.execution_engine.pandas_execution_engine import PandasExecutionEngine
    from great_expectations.expectations.expectation import Expectation
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    from great_expectations.core.id_dict import IDDict

    return {"IDDict.to_id": IDDict.__dict__["to_id"],
            "Expectation.configuration": Expectation.__dict__["configuration"].fget,
            "ExpectationConfiguration.to_domain_obj": ExpectationConfiguration.__dict__["to_domain_obj"],
            "PandasExecutionEngine._apply_row_condition_filter":
                PandasExecutionEngine.__dict__["_apply_row_condition_filter"]}


def source_digests() -> dict[str, str]:
    """sha256 of the source of each GX function the memo stands in front of (unpatched)."""
    originals = _state.get("originals") or _targets()
    return {name: hashlib.sha256(inspect.getsource(fn).encode()).hexdigest()
            for name, fn in originals.items()}  # type: ignore[union-attr]


def supported() -> str | None:
    """None when the memo may be installed on the GX in this process, else why not (one line)."""
    import great_expectations as gx

    if gx.__version__ != PINNED:
        return f"great_expectations {gx.__version__} 不是 {PINNED}"
    changed = [name for name, value in source_digests().items() if value != SOURCE_DIGESTS[name]]
    return f"GX 内部函数已改变：{', '.join(changed)}" if changed else None


def install() -> bool:
    """Install the four patches once per process (they act only inside `memoized()`); False when this GX
    is not the one they were written for (then GX runs as it comes)."""
    with _install_lock:
        if "installed" not in _state:
            reason = supported()
            if reason:
                log.warning("GX 备忘未启用（%s）：按 GX 原样审核", reason)
                _state["installed"] = False
            else:
                _state["originals"] = _targets()
                _patch(_state["originals"])  # type: ignore[arg-type]
                _state["installed"] = True
        return bool(_state["installed"])


def _patch(originals: dict) -> None:
    from great_expectations.execution_engine.pandas_execution_engine import PandasExecutionEngine
    from great_expectations.expectations.expectation import Expectation
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    configuration = originals["Expectation.configuration"]
    to_domain_obj = originals["ExpectationConfiguration.to_domain_obj"]
    row_filter = originals["PandasExecutionEngine._apply_row_condition_filter"]

    def memo_configuration(self):
        memo = getattr(_local, "memo", None)
        if memo is None:
            return configuration(self)
        key = ("configuration", id(self))
        hit = memo.get(key)
        if hit is None or hit[0] is not self:
            hit = memo[key] = (self, configuration(self))
        return hit[1]

    def memo_to_domain_obj(self):
        memo = getattr(_local, "memo", None)
        if memo is None:
            return to_domain_obj(self)
        key, content = ("domain", id(self)), _content(self)
        hit = memo.get(key)
        if hit is None or hit[0] is not self or hit[1] != content:
            hit = memo[key] = (self, content, to_domain_obj(self))
        return hit[2]

    def memo_row_filter(self, data, row_condition, domain_kwargs):
        memo = getattr(_local, "memo", None)
        if memo is None:
            return row_filter(self, data, row_condition, domain_kwargs)
        key = ("rows", id(self), id(data), repr(row_condition), repr(domain_kwargs.get("condition_parser")))
        hit = memo.get(key)
        if hit is None or hit[0] is not data:
            hit = memo[key] = (data, row_filter(self, data, row_condition, domain_kwargs))
        return hit[1]

    to_id = originals["IDDict.to_id"]

    def memo_to_id(self, id_keys=None, id_ignore_keys=None):
        memo = getattr(_local, "memo", None)
        key = _frozen(dict(self)) if memo is not None and id_keys is None and id_ignore_keys is None else None
        if key is None:
            return to_id(self, id_keys, id_ignore_keys)
        key = ("id", type(self), key)
        if key not in memo:
            memo[key] = to_id(self)
        return memo[key]

    from great_expectations.core.id_dict import IDDict

    IDDict.to_id = memo_to_id  # type: ignore[method-assign]
    Expectation.configuration = property(memo_configuration)  # type: ignore[assignment,method-assign]
    ExpectationConfiguration.to_domain_obj = memo_to_domain_obj  # type: ignore[method-assign]
    PandasExecutionEngine._apply_row_condition_filter = memo_row_filter  # type: ignore[method-assign]


_PLAIN = (str, int, float, bool, type(None))


def _frozen(value):
    """A hashable key equal only for equal plain content (each value with its type: 1, 1.0 and True differ); None
    when something in it is not plain data (then GX computes the id itself)."""
    if type(value) in _PLAIN:
        return (type(value).__name__, value)
    if type(value) is dict:  # exactly: a subclass may serialise otherwise
        items = []
        for k, v in value.items():
            frozen = _frozen(v)
            if frozen is None or type(k) is not str:
                return None
            items.append((k, frozen))
        return ("dict", tuple(sorted(items)))
    if type(value) in (list, tuple):
        items = [_frozen(v) for v in value]
        return None if any(i is None for i in items) else (type(value).__name__, tuple(items))
    return None


def _content(configuration) -> str:
    """What `to_domain_obj` builds an Expectation from (a configuration edited in place is a new key)."""
    return repr((configuration.type, configuration.kwargs, configuration.meta, configuration.id, configuration.notes,
                 configuration.description, configuration.severity, configuration.rendered_content))


@contextmanager
def memoized(enabled: bool = True):
    """The memo for one validation in this thread (nested: the outer one's); plain GX when not `enabled`
    or not installable."""
    if not enabled or getattr(_local, "memo", None) is not None or not install():
        yield
        return
    _local.memo = {}
    try:
        yield
    finally:
        del _local.memo  # the memo held the objects its keys name, so no id was reused while it lived
