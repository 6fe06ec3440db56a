"""The variables a template uses that the catalogue does not have, found by reading it (no rendering).

Branches the sample month does not take are checked too. Loop variables resolve to their list
(`row` in `{% for row in problems.rows %}` is `problems.rows[]`), and a macro's arguments resolve to
what its callers pass: `{{ w.late_line(row) }}` inside `{% for row in submissions.late %}` makes
`row` inside `wording.j2`'s `late_line` a `submissions.late[]`, so `row.lable` there is caught even
in a month without late units. `macro_calls` collects those bindings from the templates that import
`wording.j2`; `unknown_variables` uses them.
"""
from __future__ import annotations

import difflib

from jinja2 import nodes

from .catalogue import RENDER_ADDED, VARIABLES

ALLOWED_NAMES = {"loop", "range", "true", "false", "none", "True", "False", "None", "super", "caller", "varargs",
                 "kwargs", "self", "namespace", "dict", "lipsum", "cycler", "joiner"}
UNKNOWN = "?"  # a local whose fields cannot be known (a macro argument without callers, a {% set %})
MODULE = "?module"  # an {% import … as w %}: w.* are macros


def known_paths() -> set[str]:
    known: set[str] = set()
    for path in [*VARIABLES, *RENDER_ADDED]:
        parts = path.split(".")
        for i in range(1, len(parts) + 1):
            known.add(".".join(parts[:i]))
            if parts[i - 1].endswith("[]"):
                known.add(".".join(parts[:i - 1] + [parts[i - 1][:-2]]))
    return known


def attribute_names() -> set[str]:
    """Every field name of the catalogue (`label`, `headline`, …): the candidates of a suggestion."""
    return {part.removesuffix("[]") for path in known_paths() for part in path.split(".")}


def _chain(node) -> tuple[str, list[str]] | None:
    attrs = []
    while isinstance(node, (nodes.Getattr, nodes.Getitem)):
        if isinstance(node, nodes.Getattr):
            attrs.append(node.attr)
        elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            attrs.append(node.arg.value)
        else:
            return None
        node = node.node
    return (node.name, list(reversed(attrs))) if isinstance(node, nodes.Name) else None


def _path_of(node, scope) -> str | None:
    hit = _chain(node)
    if hit is None:
        return None
    root, attrs = hit
    base = scope.get(root, root)
    if root in ALLOWED_NAMES or base.startswith(UNKNOWN):
        return None
    return ".".join([base, *attrs])


class _Visitor:
    """One walk over a template: unknown paths (with their line) and the macro calls made through an import."""

    def __init__(self, known: set[str], bindings: dict[str, list[str | None]], macros: set[str] | None):
        self.known, self.bindings, self.macros = known, bindings, macros
        self.found: list[tuple[str, int, str]] = []
        self.calls: dict[str, list[list[str | None]]] = {}

    def visit(self, node, scope) -> None:
        """Long because each kind of scoping node (for, import, macro, set, call) needs its own few lines."""
        if isinstance(node, nodes.For):
            self.visit(node.iter, scope)
            inner, base = dict(scope), _path_of(node.iter, scope)
            if base and self.known and base in self.known and f"{base}[]" not in self.known:
                self.found.append((f"{base} 不是列表，不能用 {{% for %}} 逐项列出", node.lineno, base.split(".")[-1]))
                base = None
            targets = [node.target] if isinstance(node.target, nodes.Name) else node.target.find_all(nodes.Name)
            for target in targets:
                inner[target.name] = f"{base}[]" if base else UNKNOWN
            for child in [*node.body, *node.else_, *([node.test] if node.test else [])]:
                self.visit(child, inner)
            return
        if isinstance(node, nodes.Import):
            scope[node.target] = MODULE
        if isinstance(node, nodes.FromImport):
            for name in node.names:
                scope[name if isinstance(name, str) else name[-1]] = UNKNOWN
        if isinstance(node, nodes.Macro):
            scope[node.name] = UNKNOWN
            bound = self.bindings.get(node.name, [])
            inner = {**scope, **{arg.name: (bound[i] if i < len(bound) and bound[i] else UNKNOWN)
                                 for i, arg in enumerate(node.args)}}
            for child in node.body:
                self.visit(child, inner)
            return
        if isinstance(node, nodes.Assign):
            for target in node.target.find_all(nodes.Name):
                scope[target.name] = UNKNOWN
        if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr) and isinstance(node.node.node, nodes.Name) \
                and scope.get(node.node.node.name) == MODULE:
            self.calls.setdefault(node.node.attr, []).append([_path_of(arg, scope) for arg in node.args])
            self._check(node.node, scope)
            for arg in node.args:
                self.visit(arg, scope)
            return
        if isinstance(node, nodes.Test) and node.name == "defined":  # {% if w.h_milestone is defined %}: a guard
            return
        if isinstance(node, (nodes.Getattr, nodes.Getitem, nodes.Name)) and _chain(node):
            self._check(node, scope)
            return
        for child in node.iter_child_nodes():
            self.visit(child, scope)

    def _check(self, node, scope) -> None:
        root, attrs = _chain(node)
        if scope.get(root) == MODULE and attrs and self.macros is not None and attrs[0] not in self.macros:
            guess = difflib.get_close_matches(attrs[0], sorted(self.macros), n=1, cutoff=0.6)
            self.found.append((f"wording.j2 中没有宏 {attrs[0]}" + (f"——是否应为 {guess[0]}？" if guess else ""),
                               node.lineno, f"{root}.{attrs[0]}"))
            return
        if getattr(node, "ctx", "load") == "store":
            return
        path = _path_of(node, scope)
        if path is None or path in self.known:
            return
        base = scope.get(root, root)
        shown = path.replace(base, root, 1) + (f"（即 {path}）" if root in scope else "")
        guess, fields = _guess(path, self.known), _fields(path.rpartition(".")[0], self.known)
        tip = (f"——是否应为 {guess.replace(base, root, 1)}？" if guess else
               f"——{root if len(attrs) == 1 else root + '.' + '.'.join(attrs[:-1])} 只有：{'、'.join(fields)}" if fields
               else "（见编辑指南的变量一览）")
        self.found.append((f"未知变量 {shown}{tip}", node.lineno, ".".join([root, *attrs])))


def unknown_variables(ast: nodes.Template, known: set[str] | None = None,
                      bindings: dict[str, list[str | None]] | None = None,
                      macros: set[str] | None = None) -> list[tuple[str, int, str]]:
    """(sentence, line, the expression as written) for each variable path the template uses that the catalogue does not have."""
    visitor = _Visitor(known_paths() if known is None else known, bindings or {}, macros)
    visitor.visit(ast, {})
    return list(dict.fromkeys(visitor.found))


def _guess(path: str, known: set[str]) -> str | None:
    """The known path `path` was probably meant to be: a sibling field first (`row.lable` → `row.label`)."""
    parent, _, field = path.rpartition(".")
    siblings = {k.rpartition(".")[2]: k for k in known if k.rpartition(".")[0] == parent}
    near = difflib.get_close_matches(field, sorted(siblings), n=1, cutoff=0.6)
    if near or siblings:
        return siblings[near[0]] if near else None
    guess = difflib.get_close_matches(path, sorted(k for k in known if not path.startswith(k)), n=1, cutoff=0.8)
    return guess[0] if guess else None


def _fields(parent: str, known: set[str]) -> list[str]:
    return sorted({k.rpartition(".")[2].removesuffix("[]") for k in known if k.rpartition(".")[0] == parent})[:12]


def macro_calls(*asts: nodes.Template) -> dict[str, list[str | None]]:
    """Macro name → the path each argument has at every call through an import (None where callers differ)."""
    calls: dict[str, list[list[str | None]]] = {}
    for ast in asts:
        visitor = _Visitor(set(), {}, None)
        visitor.visit(ast, {})
        for name, seen in visitor.calls.items():
            calls.setdefault(name, []).extend(seen)
    bound: dict[str, list[str | None]] = {}
    for name, seen in calls.items():
        width = max(len(args) for args in seen)
        bound[name] = [next(iter(s)) if len(s := {args[i] if i < len(args) else None for args in seen}) == 1 else None
                       for i in range(width)]
    return bound
