"""The house's shape, read from the source tree with `ast` (nothing is imported): no import circle, small modules
and functions.

**Circles.** The graph has one node per module of the package (the folders `pyproject.toml` maps onto
`zhuanbao.*`) and one edge per import of another of them, wherever it is written: at the top, inside a
function or a class — a function-level import is a dependency that runs later, not a lesser one. An import
is resolved as Python runs it: `from zhuanbao.a import b` is an edge to the module `zhuanbao.a.b` when there
is one, else to `zhuanbao.a` (the package's `__init__`); importing `zhuanbao.a.b.c` also runs the
`__init__` of `zhuanbao.a` and `zhuanbao.a.b`, so those are edges too — except the packages that contain the
importer, which Python has begun before the importer runs. `if TYPE_CHECKING:` blocks never run and are
skipped. The test fails on every strongly connected component of more than one module, naming its edges.

One exemption, the CLI's edge: a function-level import in `zhuanbao.flows.cli` or one of its modules is
not counted. The command line is the outermost layer; its commands import their work when they run, so
that `zhuanbao --help` and the quick commands start without the heavy libraries (test_startup.py). Its
top-level imports count like any other, and nothing else may import lazily to hide a circle.

**Sizes.** No module over 300 lines; no function over 60 lines (from its `def` line to its last line)
unless its docstring gives the reason with the marker `Long because` (e.g. a layout listing cells in
order, a migration listing tables). `SIZE_PENDING` names the files not yet split, each with why: the
list only shrinks.
"""
from __future__ import annotations

import ast
import tomllib
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import PROJECT_ROOT

MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 60
LONG_MARKER = "Long because"
LAZY_EDGE = "zhuanbao.flows.cli"  # function-level imports of this package's modules are not counted
SIZE_PENDING: dict[str, str] = {}  # file → why it is not split yet (add only with a reason; the list only shrinks)


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    line: int
    lazy: bool


def package_modules(root: Path = PROJECT_ROOT) -> dict[str, Path]:
    """Module name → file, for every .py file of the folders pyproject.toml maps onto `zhuanbao.*`."""
    mapping = tomllib.loads((root / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]["package-dir"]
    modules: dict[str, Path] = {}
    for package, folder in mapping.items():
        for path in sorted((root / folder).rglob("*.py")):
            parts = list(path.relative_to(root / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join([package, *parts])] = path
    return modules


def _is_type_checking(node: ast.AST) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.Module):
    """(import node, inside a function?) for every import that can run; TYPE_CHECKING blocks skipped."""
    stack = [(child, False) for child in reversed(tree.body)]
    while stack:
        node, in_function = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend((child, in_function) for child in reversed(node.orelse))
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node, in_function
            continue
        inner = in_function or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        stack.extend((child, inner) for child in reversed(list(ast.iter_child_nodes(node))))


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool, modules: dict) -> list[str]:
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = module.split(".") if is_package else module.split(".")[:-1]
            package = package[:len(package) - node.level + 1]
            base = ".".join(package + ([base] if base else []))
        names = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
    found = []
    for name in names:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        if name:
            found.append(name)
    return found


def import_edges(modules: dict[str, Path]) -> list[Edge]:
    """Every counted edge between the package's modules (see the module docstring)."""
    edges = []
    for module, path in modules.items():
        is_package = path.name == "__init__.py"
        own = {module} | {".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 1)}
        for node, lazy in _imports(ast.parse(path.read_text("utf-8"), str(path))):
            if lazy and (module == LAZY_EDGE or module.startswith(LAZY_EDGE + ".")):
                continue
            for target in _targets(node, module, is_package, modules):
                parts = target.split(".")
                for i in range(1, len(parts) + 1):
                    runs = ".".join(parts[:i])  # the target and the packages whose __init__ runs before it
                    if runs in modules and runs not in own:
                        edges.append(Edge(module, runs, node.lineno, lazy))
    return edges


def circles(nodes, edges: list[Edge]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    graph: dict[str, list[str]] = {n: [] for n in nodes}
    for edge in edges:
        graph[edge.source].append(edge.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for start, targets in graph.items():
        if start in index:
            continue
        work = [(start, iter(targets))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(graph[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _describe(component: list[str], edges: list[Edge], modules: dict[str, Path]) -> str:
    inside = set(component)
    lines = sorted({f"  {e.source} → {e.target} ({modules[e.source].relative_to(PROJECT_ROOT)}:{e.line}"
                    f"{', function-level' if e.lazy else ''})" for e in edges
                    if e.source in inside and e.target in inside})
    return "circle of " + ", ".join(component) + ":\n" + "\n".join(lines)


def test_no_import_circle_counting_function_level_imports():
    modules = package_modules()
    edges = import_edges(modules)
    found = circles(modules, edges)
    assert not found, "\n".join(_describe(c, edges, modules) for c in found)


def test_the_detector_sees_a_circle_hidden_in_a_function(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.setuptools.package-dir]\n"zhuanbao.tasks" = "tasks"\n'
                                             '"zhuanbao.flows" = "flows"\n', "utf-8")
    for folder, body in {"tasks": {"a.py": "from zhuanbao.tasks import b\n",
                                   "b.py": "def f():\n    from zhuanbao.tasks.a import x\n",
                                   "c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                           "    from zhuanbao.tasks.d import y\n",
                                   "d.py": "import zhuanbao.tasks.c\n"},
                         "flows": {"cli/__init__.py": "from zhuanbao.flows.cli import run\n",
                                   "cli/run.py": "def go():\n    from zhuanbao.flows.site import page\n",
                                   "site.py": "from zhuanbao.flows.cli.run import go\n"}}.items():
        for name, text in {"__init__.py": "", **body}.items():
            (tmp_path / folder / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / folder / name).write_text(text, "utf-8")
    modules = package_modules(tmp_path)
    edges = import_edges(modules)
    assert circles(modules, edges) == [["zhuanbao.tasks.a", "zhuanbao.tasks.b"]]  # c/d: TYPE_CHECKING; cli: exempt
    assert Edge("zhuanbao.flows.site", "zhuanbao.flows.cli", 1, False) in edges  # the package's __init__ runs


def _python_files() -> list[Path]:
    return [p for p in package_modules().values() if str(p.relative_to(PROJECT_ROOT)) not in SIZE_PENDING]


def test_every_pending_file_still_exists():
    assert all((PROJECT_ROOT / name).is_file() for name in SIZE_PENDING), "remove the entry of a file that is gone"


def test_no_module_over_300_lines():
    long = {str(p.relative_to(PROJECT_ROOT)): n for p in _python_files()
            if (n := len(p.read_text("utf-8").splitlines())) > MAX_MODULE_LINES}
    assert not long, f"modules over {MAX_MODULE_LINES} lines (split them along what they own): {long}"


def test_no_function_over_60_lines_without_a_reason():
    long = {}
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES and LONG_MARKER not in (ast.get_docstring(node) or ""):
                    long[f"{path.relative_to(PROJECT_ROOT)}:{node.lineno} {node.name}"] = lines
    assert not long, (f"functions over {MAX_FUNCTION_LINES} lines: {long} — split them, or say why the length "
                      f"is honest in the docstring (“{LONG_MARKER} …”)")
