"""The 使用手册 as a static site: the pages generated at build time and the build itself.

The guides are Markdown in docs/ (shipped as `zhuanbao.docs`); the MkDocs settings in docs/site.yml.
Three pages are never written by hand, they are generated on every build (MkDocs `on_files` hook):

- reference/rules.md — the rules of the office's suites (`rules_table_markdown`), so the guide says
  what the running system checks;
- reference/cli.md — every `zhuanbao` command and option, from the typer app;
- reference/variables.md — the template variables (`editor_guide`, the same text as templates/编辑指南.md).

`build_site(settings, target)` builds into a folder (the portal's `<home>/.site/`, `zhuanbao docs`);
the project's mkdocs.yml names this file as a hook, so `mkdocs build` generates the same pages.
    python -m zhuanbao.flows.docs_site build [--out DIR]
"""
from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from ..tasks.core import catalog
from ..tasks.core.resources import EXPECTATIONS_DIR, packaged

log = logging.getLogger("zhuanbao.docs_site")
GENERATED = ("reference/rules.md", "reference/cli.md", "reference/variables.md")
_EXPECTATIONS = {"dir": None}  # the suites the rules page shows (the home's, when the portal builds it)


def docs_dir() -> Path:
    """The guides' sources: the project's docs/ (editable install) or the packaged copy."""
    return packaged("docs")


# --- generated pages ---------------------------------------------------------------------------

def rules_page(suites_dir: Path | None = None) -> str:
    from ..tasks.checks.suites import rules_table_markdown

    suites = Path(suites_dir) if suites_dir else EXPECTATIONS_DIR
    return ("# 审核规则一览\n\n"
            "本页在生成手册时由审核规则文件（`expectations/*.json`）自动生成，与系统实际执行的规则一致。\n\n"
            "- **强制性（退回）**：文件被退回，整份不入库，单位改正后重新报送。\n"
            "- **核实性（需说明）**：文件受理入库，但该行被标记；在该行“说明”栏写明原因即可"
            "（表2 没有说明栏，写在“存在问题”栏）。\n\n"
            + rules_table_markdown(suites)
            + "\n怎样读回执、怎样改正，见[填报单位指南](../units.md#read-receipt)；"
              "统计员怎样修改规则，见[统计员操作手册](../statistician.md#edit-rules)。\n")


def walk_commands(command, prefix: str = "zhuanbao"):
    """(full name, click command) for every command and sub-command, in the app's order.

    Duck-typed: typer ships its own copy of click, so the classes are not `click`'s."""
    if hasattr(command, "commands"):
        for name, sub in command.commands.items():
            if not sub.hidden:
                yield from walk_commands(sub, f"{prefix} {name}")
    else:
        yield prefix, command


def cli_app():
    import typer

    from .cli import app

    return typer.main.get_command(app)


def _cell(text: str | None) -> str:
    text = " ".join((text or "").split()).replace("|", "\\|")
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cli_page() -> str:
    root = cli_app()
    lines = ["# 命令参考", "",
             ("本页在生成手册时由 `zhuanbao` 命令本身自动生成。每条命令都可以加 `--help` 查看同样的说明；"
             "所有命令都接受全局选项 `--home 数据目录`（写在命令名之前，如 `zhuanbao --home D:/zhuanbao status "
             "--period 2020-04`；也可用环境变量 `ZHUANBAO_HOME`）。"), ""]
    for name, command in walk_commands(root):
        lines += [f"## `{name}`", "", _cell(command.help.split("\n\n")[0] if command.help else ""), ""]
        arguments = [p for p in command.params if p.param_type_name == "argument"]
        usage = " ".join([name, *(p.name.upper() for p in arguments)]) + " [选项]"
        lines += ["```", usage, "```", ""]
        options = [p for p in command.params if p.param_type_name == "option" and not p.hidden]
        if options:
            lines += ["| 选项 | 说明 | 默认 |", "| --- | --- | --- |"]
            for option in options:
                names = " / ".join(f"`{o}`" for o in [*option.opts, *option.secondary_opts])
                default = option.default if option.default not in (None, False, (), []) and not callable(
                    option.default) else ""
                lines.append(f"| {names} | {_cell(option.help)} | {_cell(str(default))} |")
            lines.append("")
    return "\n".join(lines) + "\n"


def variables_page() -> str:
    from ..tasks.report.guide import editor_guide

    text = editor_guide()
    body = text.split("## 变量一览", 1)[1]
    return ("# 模板变量一览\n\n本页在生成手册时由代码中的变量目录自动生成（与 `templates/编辑指南.md` 同源），"
            "怎样使用见[编辑指南](../editors.md)。\n" + body)


def generated_pages(suites_dir: Path | None = None) -> dict[str, str]:
    return {"reference/rules.md": rules_page(suites_dir), "reference/cli.md": cli_page(),
            "reference/variables.md": variables_page()}


# --- build ---------------------------------------------------------------------------------------

def site_config(source: Path, target: Path, folder: Path) -> Path:
    """A config file (in `folder`) that inherits docs/site.yml and builds `source` into `target`."""
    path = folder / "mkdocs.yml"
    path.write_text(f"INHERIT: {(source / 'site.yml').as_posix()!r}\n"
                    f"docs_dir: {source.as_posix()!r}\nsite_dir: {target.as_posix()!r}\n"
                    f"hooks:\n  - {(Path(__file__).parent / 'docs_hooks.py').as_posix()!r}\n", encoding="utf-8")
    return path


def build_site(target: Path, *, suites_dir: Path | None = None, strict: bool = False) -> Path:
    """Build the guides into `target` (replaced); returns target/index.html. Needs the `docs` extra."""
    from ..tasks.core.extras import require

    purpose = "生成使用手册用到 MkDocs；scripts/setup.sh 会安装"
    build = require("mkdocs.commands.build", "docs", purpose).build
    load_config = require("mkdocs.config", "docs", purpose).load_config
    jieba = require("jieba", "docs", purpose)

    jieba.setLogLevel(logging.WARNING)
    target = Path(target)
    _EXPECTATIONS["dir"] = suites_dir
    try:
        with tempfile.TemporaryDirectory(prefix="zhuanbao-docs-") as tmp:
            config = load_config(config_file=str(site_config(docs_dir(), target, Path(tmp))), strict=strict)
            build(config)
    finally:
        _EXPECTATIONS["dir"] = None
    return target / "index.html"


def site_for(settings, *, rebuild: bool = False) -> Path:
    """The home's built guide (`<home>/.site/`), built on first use with the home's rule suites."""
    target = catalog.site_dir(settings.home)
    if rebuild or not (target / "index.html").is_file():
        build_site(target, suites_dir=settings.expectations_dir)
    return target


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m zhuanbao.flows.docs_site")
    parser.add_argument("command", choices=["build"])
    parser.add_argument("--out", default=None, help="目标文件夹（默认为临时文件夹）")
    args = parser.parse_args(argv)
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="zhuanbao-site-"))
    print(build_site(out, strict=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
