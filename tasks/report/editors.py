"""The 专报 (spec §9): the public API the flow and the CLI call, and the editors' tools.

- `build_context(settings, period, reference, metrics, status, problems=None)` — report/context/
- `publish_report(settings, period, context, *, reason=None)` — report/publish.py
- `preview(settings, template, period=None, out_dir=None)` — `zhuanbao preview` (refuses what lint refuses)
- `lint_problems(settings)` — `zhuanbao lint-templates` (report/lint.py: every template a run uses, wording.j2 first)
- `copy_templates(settings, names)` — `zhuanbao templates copy` (bundled templates → <home>/templates/)

`python -m zhuanbao.tasks.report.editors guide|lint|preview TEMPLATE [PERIOD]` regenerates the editors'
guide (templates/编辑指南.md, from docs/editors.md: report/guide.py), lints, or previews; the bundled sample
context is the demo district's (`python -m zhuanbao.tasks.demo.report_sample` regenerates it: the demo
depends on the report, not the reverse).
"""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from ..core import catalog
from ..core.resources import TEMPLATES_DIR
from ..core.settings import Settings, load_settings
from .catalogue import GUIDE, load_sample_context
from .context import build_context  # noqa: F401 — public API
from .guide import editor_guide
from .lint import lint_templates
from .publish import file_stem, inputs_digest, publish_report  # noqa: F401 — public API
from .render import render_template
from .template_errors import TemplateProblems


def latest_context(settings: Settings, period: str) -> dict | None:
    """The context of the period's latest published issue (its .json beside the PDF), if any."""
    folder = settings.reports_dir(period)
    files = sorted(folder.glob(f"专报_{period}_第*期*.json"), key=lambda p: p.stat().st_mtime) if folder.is_dir() else []
    return json.loads(files[-1].read_text("utf-8")) if files else None


class PreviewError(TemplateProblems):
    """A template that cannot be rendered; the message is the editor's Chinese sentence (as lint says it)."""


def preview(settings: Settings, template: str, period: str | None = None, out_dir: Path | None = None,
            pdf: bool = True) -> Path:
    """Render `template` against the period's latest published context, or the bundled sample.

    `template` is a name looked up in the home's `templates/` then the packaged ones, or the path
    of a copy being edited anywhere (its folder is searched first; `wording.j2` and the other
    files come from the home or the package). Writes `<home>/preview/<template stem>.(docx|pdf|html)`.
    Raises FileNotFoundError (no such template / no published issue) or PreviewError (the template
    does not render), both with a Chinese message.
    """
    if period:
        context = latest_context(settings, period)
        if context is None:
            raise FileNotFoundError(f"{period} 尚未生成专报，请先运行月度流程；或不指定 --period 使用样例预览")
    else:
        context = load_sample_context()
    given = Path(template).expanduser()
    folder = given.parent if given.is_file() else None
    name = given.name
    if folder is None and not any((d / name).is_file() for d in settings.template_dirs):
        raise FileNotFoundError(f"找不到模板“{template}”：请写模板文件名（如 zhuanbao.html.j2），"
                                f"或编辑中的副本的路径（在 {catalog.templates_dir(settings.home)} 或其他目录）")
    out_dir = Path(out_dir or catalog.preview_dir(settings.home))
    suffix = ".docx" if name.endswith(".docx") else (".pdf" if pdf else ".html")
    stem = name.removesuffix(".docx").removesuffix(".j2").removesuffix(".html")
    try:  # an edited copy's folder first, then the home's and the packaged templates (template_check.search_dirs)
        return render_template(name, context, out_dir / f"{stem}{'_' + period if period else ''}{suffix}",
                               templates_dir=folder, home=settings.home)
    except TemplateProblems as exc:
        raise PreviewError(exc.problems) from None
    except Exception:
        if not name.endswith(".docx"):
            raise
        raise PreviewError([f"{name}：无法打开这个模板文件（文件已损坏，或不是 Word 文档）"]) from None


def lint_problems(settings: Settings | None = None, templates_dir: Path | None = None) -> list[str]:
    """Problems of the templates a run would use: the home's `templates/` copies, else the packaged ones."""
    if templates_dir is None and settings is None:
        templates_dir = TEMPLATES_DIR
    return lint_templates(templates_dir, home=settings.home if settings else None)


class CopyRefused(ValueError):
    """`templates copy` of a name that is not a bundled template, or onto an edited copy without --force."""


def copy_templates(settings: Settings, names: list[str], force: bool = False) -> list[Path]:
    """Copy bundled templates (default `wording.j2` and the guide) into `<home>/templates/`, where a run
    finds them first; an existing copy (the office's edits) is kept unless `force`."""
    from .template_check import effective_templates

    bundled = effective_templates(TEMPLATES_DIR, None)
    names = names or ["wording.j2", GUIDE.name]
    unknown = [n for n in names if n not in bundled and n != GUIDE.name]
    if unknown:
        raise CopyRefused(f"没有名为“{'、'.join(unknown)}”的自带模板；可复制：{'、'.join(bundled)}")
    target = catalog.templates_dir(settings.home)
    existing = [n for n in names if (target / n).exists() and n != GUIDE.name]
    if existing and not force:
        raise CopyRefused(f"{target} 中已有 {'、'.join(existing)}（办公室改过的副本），未覆盖；确需换回自带的请加 --force")
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copyfile(TEMPLATES_DIR / name, target / name)
    return [target / name for name in names]


def write_editor_guide() -> Path:
    GUIDE.write_text(editor_guide(), encoding="utf-8")
    return GUIDE


def main(argv: list[str]) -> int:
    command = argv[0] if argv else ""
    if command == "guide":
        print(write_editor_guide())
    elif command == "lint":
        problems = lint_problems()
        print("\n".join(problems) or "模板检查通过")
        return 1 if problems else 0
    elif command == "preview" and len(argv) >= 2:
        print(preview(load_settings(), argv[1], argv[2] if len(argv) > 2 else None))
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
