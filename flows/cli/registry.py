"""Registry commands: rebuild-registry (the registry restored from reports/ and raw/; tasks/intake/rebuild.py)."""
from __future__ import annotations

from .app import app, console, current_settings


@app.command("rebuild-registry")
def rebuild_registry() -> None:
    """从 reports/（回执、已发布的专报）和 raw/ 重建登记库：补回文件登记与期号（已有记录保留）。"""
    from ...tasks.intake.rebuild import rebuild_registry as rebuild

    counts = rebuild(current_settings())
    console.print(f"登记库已重建：补回文件 {counts['submissions']} 个、专报期号 {counts['issues']} 个；"
                  f"已在登记库中 {counts['known']} 个。")
    if counts["without_bytes"]:
        console.print(f"[yellow]{counts['without_bytes']} 份回执在 raw/ 中找不到原文件，未补登（请让单位重报）。[/yellow]")
    if counts["unattributed_raw"]:
        console.print(f"[yellow]raw/ 中有 {counts['unattributed_raw']} 个文件没有回执，无法确定报告期，未补登；"
                      "其仍在收件箱中的，下次运行会重新收取。[/yellow]")
    console.print("下次运行会重新读取、审核这些文件；内容未变的专报不会重复发布。")
