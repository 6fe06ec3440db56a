"""The catalog of the home (Kedro's habit): every folder and dataset under the home, named once, with its path.

Nothing else joins path strings under the home: code asks here (`catalog.locks_dir(settings.home)`,
`catalog.receipts_dir(settings.home, period)`, …) and `ENTRIES` says what each place holds, who writes it
and where its columns are declared. `raw/` and `curated/` are in the lake — the local home, or an fsspec
URL (`s3://…`, `memory://…`) when `ZHUANBAO_HOME` is remote: their helpers take that root and answer a
`Path` for a local one and a URL string for a remote one. Light on purpose (pathlib only): the quick
commands import it.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Entry:
    """One place under the home: its path (relative, with {period}/{year}/{kind}/{dataset} holes), what it
    holds, the module that writes it, and where its schema is declared (None: files, not a table)."""

    path: str
    holds: str
    writer: str
    schema: str | None = None
    lake: bool = False  # under the lake root (local home or fsspec URL), not the local home


ENTRIES: dict[str, Entry] = {
    "settings": Entry("zhuanbao.toml", "the office's settings", "core/home_init.py"),
    "registry": Entry("zhuanbao.sqlite", "the default SQLite registry (ZHUANBAO_DB_URL)", "intake/registry.py",
                      "intake/migrations/versions/"),
    "references": Entry("reference", "the office's tables, one folder per year", "the office"),
    "reference": Entry("reference/{year}", "a year's tables (units, indicators, targets, projects, tasks)",
                       "the office", "core/reference.py"),
    "contacts": Entry("reference/contacts.csv", "the units' contacts for 催报 (any year)", "the office"),
    "inbox": Entry("inbox/{period}", "workbooks as they arrive", "units, intake/collect.py"),
    "raw": Entry("raw", "every file ever received, by sha256 (raw/<sha[:2]>/<sha><suffix>), read-only",
                 "intake/collect.py", lake=True),
    "raw_incoming": Entry("raw/.incoming", "an upload being streamed to disk", "intake/collect.py", lake=True),
    "curated": Entry("curated", "one parquet partition per form and period", "curated/consolidate.py",
                     "curated/consolidate.py, metrics/compute.py (core/tables.py contracts)", lake=True),
    "curated_partition": Entry("curated/{dataset}/period={period}/data.parquet", "one dataset's partition",
                               "curated/consolidate.py", "core/tables.py users: consolidate, metrics", lake=True),
    "cache": Entry("cache/{kind}/period={period}", "stored per-file results (reads, checks), by key",
                   "core/results.py", "intake/read.py, checks/incremental.py (core/tables.py contract)"),
    "reference_index": Entry("cache/reference/{year}.json", "a checked reference year's units and who owes what, "
                             "keyed by its folder's bytes (status, ledger read it without pandas)",
                             "core/reference_index.py"),
    "portal_forms": Entry("cache/portal/{period}", "填报模板 made for one unit on request", "flows/portal"),
    "forms": Entry("forms/{period}", "the 填报模板 each unit gets", "forms/generate.py"),
    "reports": Entry("reports", "one folder per period", "report/publish.py"),
    "report": Entry("reports/{period}", "status, 催报名单, the 专报 drafts", "tasks/steps.py, report/publish.py"),
    "assessment": Entry("reports/{year}", "the year's 考核通报 (html, pdf, docx, xlsx 附表)", "year/document.py"),
    "receipts": Entry("reports/{period}/receipts", "回执 per file (html + json)", "checks/receipts.py"),
    "published": Entry("reports/{period}/published", "signed documents, read-only", "report/approval.py"),
    "assessment_published": Entry("reports/{year}/published", "the signed 考核通报, read-only", "year/signing.py"),
    "issues_lock": Entry("reports/.issues.lock", "serialises issue numbers and approvals", "report/publish.py"),
    "locks": Entry("locks", "one lock file per period being written", "intake/lock.py"),
    "outbox": Entry("outbox", "notices as .eml when they could not be delivered", "tasks/notices/delivery.py"),
    "logs": Entry("logs", "the servers' logs", "flows/serve.py"),
    "site": Entry(".site", "the built 使用手册", "flows/docs_site.py"),
    "prefect_home": Entry(".prefect", "PREFECT_HOME of this home's server", "flows/serve.py"),
    "serve_json": Entry(".prefect/serve.json", "where the running server is", "flows/serve.py"),
    "checker_json": Entry(".prefect/checker.json", "where the warm checker listens (beside serve.json)",
                          "tasks/checks/warm.py"),
    "checker_socket": Entry(".prefect/checker.sock", "the warm checker's unix socket (0600)", "tasks/checks/warm.py"),
    "runner_json": Entry(".prefect/runner.json", "where the warm runner listens (beside kept-server.json)",
                         "flows/warm_runner.py"),
    "runner_socket": Entry(".prefect/runner.sock", "the warm runner's unix socket (0600)", "flows/warm_runner.py"),
    "kept_server_json": Entry(".prefect/kept-server.json", "the Prefect server the CLI keeps between commands",
                              "flows/kept_server.py"),
    "pdf_cache": Entry("cache/pdf", "PDFs of 专报 HTML rendered before, reused when the HTML is the same",
                       "report/render.py"),
    "appendix_parts": Entry("cache/appendix", "the 附表's sheet parts, reused when a sheet's rows are the same",
                            "report/appendix_parts.py"),
    "chart_cache": Entry("cache/charts", "the 专报's chart PNGs, reused when the chart's figures and font are the same",
                         "report/chart_reuse.py"),
    "checked_templates": Entry("cache/templates", "templates checked without problems (by their bytes): not checked again",
                               "report/template_check.py"),
    "report_sections": Entry("cache/sections", "sections of the 专报's context, reused when their inputs are the same",
                             "report/context/kept.py"),
    "portal_secret": Entry("portal.secret", "the portal's cookie key (0600)", "flows/portal/security.py"),
    "expectations": Entry("expectations", "the office's own rule suites (else the packaged ones)", "the office"),
    "templates": Entry("templates", "the office's template overrides, file by file", "the office"),
    "fonts": Entry("fonts", "licensed fonts the office adds", "the office"),
    "prefect_yaml": Entry("prefect.yaml", "the office's deployments (else the packaged ones)", "the office"),
    "preview": Entry("preview", "editors' previews of a template", "report/editors.py"),
}


def _protocol(url: str | Path) -> str | None:
    text = str(url)
    return text.split("::")[0].split("://")[0].lower() if "://" in text else None


def is_remote_url(url: str | Path) -> bool:
    """True for an fsspec URL that is not the local file system (`s3://…`, `memory://…`)."""
    return isinstance(url, str) and _protocol(url) not in (None, "file", "local")


def local_path(url: str | Path) -> str | Path:
    """`file:///x` -> `/x`; a plain path unchanged."""
    return str(url).split("://", 1)[1] if _protocol(url) in ("file", "local") else url


def path(root: Path | str, name: str, **parts) -> Path | str:
    """Where entry `name` is under `root` (the local home, or the lake root for a lake entry)."""
    relative = ENTRIES[name].path.format(**parts)
    if is_remote_url(root):
        return f"{str(root).rstrip('/')}/{relative}"
    return Path(local_path(root)) / relative


def settings_file(home) -> Path:
    return path(home, "settings")


def registry_file(home) -> Path:
    return path(home, "registry")


def reference_root(home) -> Path:
    return path(home, "references")


def reference_dir(home, year: int) -> Path:
    return path(home, "reference", year=year)


def contacts_file(home) -> Path:
    return path(home, "contacts")


def inbox_dir(home, period: str) -> Path:
    return path(home, "inbox", period=period)


def raw_dir(lake) -> Path | str:
    return path(lake, "raw")


def raw_incoming(lake) -> Path | str:
    return path(lake, "raw_incoming")


def curated_dir(lake) -> Path | str:
    return path(lake, "curated")


def curated_partition(lake, dataset: str, period: str) -> Path | str:
    return path(lake, "curated_partition", dataset=dataset, period=period)


def cache_dir(home, kind: str, period: str) -> Path:
    return path(home, "cache", kind=kind, period=period)


def reference_index_file(home, year: int) -> Path:
    return path(home, "reference_index", year=year)


def portal_forms_dir(home, period: str) -> Path:
    return path(home, "portal_forms", period=period)


def forms_dir(home, period: str) -> Path:
    return path(home, "forms", period=period)


def reports_root(home) -> Path:
    return path(home, "reports")


def reports_dir(home, period: str) -> Path:
    return path(home, "report", period=period)


def assessment_dir(home, year: int) -> Path:
    return Path(path(home, "assessment", year=year))


def assessment_published_dir(home, year: int) -> Path:
    return Path(path(home, "assessment_published", year=year))


def receipts_dir(home, period: str) -> Path:
    return path(home, "receipts", period=period)


def published_dir(home, period: str) -> Path:
    return path(home, "published", period=period)


def issues_lock(home) -> Path:
    return path(home, "issues_lock")


def locks_dir(home) -> Path:
    return path(home, "locks")


def outbox_dir(home) -> Path:
    return path(home, "outbox")


def logs_dir(home) -> Path:
    return path(home, "logs")


def site_dir(home) -> Path:
    return path(home, "site")


def prefect_home(home) -> Path:
    return path(home, "prefect_home")


def serve_json(home) -> Path:
    return path(home, "serve_json")


def checker_json(home) -> Path:
    return path(home, "checker_json")


def checker_socket(home) -> Path:
    """The warm checker's socket: in the home, or (a unix socket path is limited to ~107 bytes) a
    name in the temporary folder derived from the home's path."""
    return _socket(home, "checker_socket", "checker")


def runner_json(home) -> Path:
    return path(home, "runner_json")


def runner_socket(home) -> Path:
    """The warm runner's socket (flows/warm_runner.py), placed as the checker's."""
    return _socket(home, "runner_socket", "runner")


def _socket(home, entry: str, kind: str) -> Path:
    inside = path(home, entry)
    if len(str(inside).encode()) <= 100:
        return inside
    import hashlib
    import tempfile

    name = hashlib.sha1(str(Path(home).resolve()).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"zhuanbao-{kind}-{name}.sock"


def kept_server_json(home) -> Path:
    return path(home, "kept_server_json")


def pdf_cache(home) -> Path:
    return path(home, "pdf_cache")


def appendix_parts(home) -> Path:
    return path(home, "appendix_parts")


def chart_cache(home) -> Path:
    return path(home, "chart_cache")


def checked_templates(home) -> Path:
    return path(home, "checked_templates")


def report_sections(home) -> Path:
    return path(home, "report_sections")


def portal_secret(home) -> Path:
    return path(home, "portal_secret")


def expectations_dir(home) -> Path:
    return path(home, "expectations")


def templates_dir(home) -> Path:
    return path(home, "templates")


def fonts_dir(home) -> Path:
    return path(home, "fonts")


def prefect_yaml(home) -> Path:
    return path(home, "prefect_yaml")


def preview_dir(home) -> Path:
    return path(home, "preview")
