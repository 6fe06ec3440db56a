"""Every package the code imports is declared in pyproject.toml: in the dependencies, or in the extra of the
opt-in part that imports it (a package that only arrives with another one may go away with its next release)."""
from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions

from tests.conftest import PROJECT_ROOT

FOLDERS = ("flows", "tasks", "templates")
# imported only by an opt-in part, which names its extra when it is missing (tasks/core/extras.py)
OPTIONAL = {"prefect_dask": "scale", "mkdocs": "docs", "jieba": "docs"}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(requirements: list[str]) -> set[str]:
    return {canonical(re.match(r"[A-Za-z0-9._-]+", requirement).group()) for requirement in requirements}


def imported_modules() -> dict[str, str]:
    """Top-level module → one file importing it, over every import (module level or inside a function)."""
    found = {}
    for folder in FOLDERS:
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    found.setdefault(name.split(".")[0], str(path.relative_to(PROJECT_ROOT)))
    return {name: where for name, where in found.items()
            if name not in sys.stdlib_module_names and name != "zhuanbao"}


def test_every_imported_package_is_declared():
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    base = declared(project["dependencies"])
    extras = {extra: declared(requirements) for extra, requirements in project["optional-dependencies"].items()}
    distributions = packages_distributions()
    undeclared = []
    for module, where in imported_modules().items():
        names = {canonical(dist) for dist in distributions.get(module, [module])}
        allowed = base | extras.get(OPTIONAL.get(module, ""), set())
        if not names & allowed:
            undeclared.append(f"{module} ({where}): {' / '.join(sorted(names))}")
    assert not undeclared, "imported but not declared in pyproject.toml: " + "; ".join(undeclared)
