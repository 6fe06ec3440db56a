"""Package data and the office's overrides: rules, templates, fonts, the demo reference, prefect.yaml.

What ships in the wheel is found with importlib.resources (an editable install maps the same names
to the project's folders). An office's own copies in its home win: `<home>/expectations/` replaces
the packaged suites as a whole (so deleting a rule file removes the rule), `<home>/templates/`
overrides templates file by file, `<home>/fonts/` adds licensed fonts.
"""
from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from . import catalog


def packaged(name: str) -> Path:
    """The folder of the packaged data `zhuanbao.<name>` (expectations, templates, fonts, demo_reference, flows)."""
    return Path(str(files(f"zhuanbao.{name}")))


EXPECTATIONS_DIR = packaged("expectations")
TEMPLATES_DIR = packaged("templates")
FONTS_DIR = packaged("fonts")
DEMO_REFERENCE_DIR = packaged("demo_reference")
PREFECT_YAML = packaged("flows") / "prefect.yaml"


def expectations_dir(home: Path) -> Path:
    """The suites a run uses: the home's `expectations/` when it holds any suite, else the packaged ones."""
    own = catalog.expectations_dir(home)
    return own if own.is_dir() and any(own.glob("*.json")) else EXPECTATIONS_DIR


def template_dirs(home: Path) -> list[Path]:
    """Where templates are looked up, first match wins: the home's `templates/`, then the packaged ones."""
    own = catalog.templates_dir(home)
    return [own, TEMPLATES_DIR] if own.is_dir() else [TEMPLATES_DIR]


def template_path(home: Path, name: str) -> Path:
    """The file a template name resolves to (the home's copy when it has one)."""
    for folder in template_dirs(home):
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(f"找不到模板“{name}”（查找位置：{'、'.join(str(d) for d in template_dirs(home))}）")
