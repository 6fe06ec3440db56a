"""The checks of the templates a run would use that need no data: what lint, preview and the run all do first.

The templates are looked up file by file (an edited copy's folder, then the home's `templates/`, then the
packaged ones), `wording.j2` first. Each is checked for:
- full-width braces or percent signs typed with a Chinese input method (｛｛ ｝｝ ｛％ ％｝), and full-width
  punctuation inside a tag (（ ） ， ％ ｜ “ ” ：), string literals excepted;
- Jinja syntax (a Word file after docxtpl's own patching, so `{%tr %}` outside a table row is an error);
- variables and macros not in the catalogue or in `wording.j2` (also in branches the sample does not take;
  a macro's arguments as its callers pass them).
`check_templates` raises `TemplateProblems` with the sentences; `static_problems` returns them.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, TemplateSyntaxError

from ..core import catalog
from ..core.resources import TEMPLATES_DIR, template_dirs
from .kept import keep_files, read_kept
from .template_errors import MACRO_START, TemplateProblems, jinja_message, where
from .template_vars import macro_calls, unknown_variables

WORDING, HTML_TEMPLATE, DOCX_TEMPLATE = "wording.j2", "zhuanbao.html.j2", "zhuanbao.docx"
FULLWIDTH_BRACES = re.compile(r"[{｛][{｛%％#]|[}｝%％#][}｝]")
TAG = re.compile(r"{{.*?}}|{%.*?%}", re.DOTALL)
STRINGS = re.compile(r"'[^']*'|\"[^\"]*\"")
FULLWIDTH_IN_TAG = "（），％｜“”‘’：；"


def search_dirs(templates_dir: Path | None, home: Path | None) -> list[Path]:
    """An explicit folder first (then the home's templates/ when a home is given), else the home's
    templates/ before the packaged ones — file by file, so a folder holding only an edited
    zhuanbao.html.j2 still finds wording.j2."""
    if templates_dir:
        return list(dict.fromkeys([Path(templates_dir), *(template_dirs(home) if home else [])]))
    return template_dirs(home) if home else template_dirs(Path("."))


def effective_templates(templates_dir: Path | None, home: Path | None) -> dict[str, Path]:
    """Name → the file a run uses, for every template an office may override; wording.j2 first."""
    found: dict[str, Path] = {}
    for folder in reversed([*search_dirs(templates_dir, home), TEMPLATES_DIR]):
        for path in [*folder.glob("*.j2"), *folder.glob("*.docx")] if folder.is_dir() else []:
            if not path.name.startswith("~$"):  # Word's lock file while the template is open
                found[path.name] = path
    first = [WORDING, HTML_TEMPLATE, DOCX_TEMPLATE]
    return {name: found[name] for name in [*first, *sorted(found)] if name in found}


@dataclass
class Source:
    name: str
    path: Path
    text: str  # what Jinja parses: the file, or a Word file's XML as docxtpl patches it
    lines: list[str]  # for the full-width check: the file's lines, or a Word file's paragraphs
    word: bool

    @property
    def report(self) -> bool:
        """A 专报 template (checked against the catalogue), not the receipt or another page."""
        return self.name == WORDING or self.name.startswith("zhuanbao") or WORDING in self.text

    def where(self, line: int | None, needle: str = "") -> str:
        if not self.word:
            return where(self.name, line, self.text)
        word = re.compile(re.escape(needle) + r"(?![\w.])") if needle else None
        found = [p.strip() for p in self.lines if word and word.search(p)] if word else []
        shown = found[0] if len(set(found)) == 1 else ""  # a paragraph only when it is the one
        return f"{self.name} 段落“{shown[:30]}{'…' if len(shown) > 30 else ''}”" if shown else self.name


def _docx_texts(path: Path) -> tuple[list[str], str]:
    """Paragraph texts (for the full-width check) and docxtpl's patched XML (body, headers, footers)."""
    from docx.oxml import parse_xml
    from docxtpl import DocxTemplate

    tpl = DocxTemplate(str(path))
    tpl.init_docx()
    parts = [tpl.get_xml()]
    for rel in tpl.docx.part.rels.values():
        if rel.reltype in (tpl.HEADER_URI, tpl.FOOTER_URI):
            parts.append(tpl.xml_to_string(parse_xml(rel.target_part.blob)))
    lines = []
    for xml in parts:
        for para in re.findall(r"<w:p[ >].*?</w:p>", xml, flags=re.DOTALL):
            lines.append("".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", para)))
    return [line for line in lines if line], "".join(tpl.patch_xml(xml) for xml in parts)


def load_source(name: str, path: Path) -> Source:
    if name.endswith(".docx"):
        lines, text = _docx_texts(path)
        return Source(name, path, text, lines, True)
    text = path.read_text(encoding="utf-8")
    return Source(name, path, text, text.splitlines(), False)


def fullwidth_problems(source: Source) -> list[str]:
    out = []
    for number, line in enumerate(source.lines, start=1):
        here = source.where(number, line) if source.word else source.where(number)
        for hit in FULLWIDTH_BRACES.finditer(line):
            if any(ord(c) > 127 for c in hit.group(0)):
                out.append(f"{here}：“{hit.group(0)}”是中文全角符号——请改用半角 {{{{ }}}} 或 {{% %}}")
        for tag in TAG.finditer(line):
            bad = sorted({c for c in STRINGS.sub("", tag.group(0)) if c in FULLWIDTH_IN_TAG})
            if bad:
                out.append(f"{here}：标记“{tag.group(0)}”中有全角符号 {' '.join(bad)}——请改为半角")
    return out


def static_problems(sources: list[Source]) -> list[str]:
    """Every problem found without rendering, wording.j2's first; a template whose syntax is broken is not
    checked further."""
    env, problems, asts = Environment(), {s.name: fullwidth_problems(s) for s in sources}, {}
    for source in sources:
        try:
            asts[source.name] = env.parse(source.text)
        except TemplateSyntaxError as exc:
            tag = re.search(r"unknown tag '(\w+)'", exc.message or "")  # a Word file: the paragraph holding the tag
            here = source.where(None if source.word else exc.lineno, "{%" + tag.group(1) if tag else "")
            problems[source.name].append(f"{here}：{jinja_message(exc.message)}")
    wording = next((s for s in sources if s.name == WORDING), None)
    macros = set(MACRO_START.findall(wording.text)) if wording else None
    bindings = macro_calls(*[ast for name, ast in asts.items() if name != WORDING])
    for source in sources:
        if source.name in asts and source.report:
            for sentence, line, written in unknown_variables(asts[source.name], bindings=bindings, macros=macros):
                problems[source.name].append(f"{source.where(line, written)}：{sentence}")
    return [p for source in sources for p in problems[source.name]]


def selected_sources(templates_dir: Path | None, home: Path | None, names: tuple[str, ...] | None) -> list[Source]:
    """The sources to check: `names` (a name may be a file of `templates_dir` only, e.g. an edited copy) and
    wording.j2 with them; all effective templates when `names` is None."""
    files = effective_templates(templates_dir, home)
    for name in names or ():
        for folder in search_dirs(templates_dir, home):
            if name not in files and (folder / name).is_file():
                files[name] = folder / name
    if names is None:
        return [load_source(name, path) for name, path in files.items()]
    sources = [load_source(name, path) for name, path in files.items() if name in names and name != WORDING]
    if WORDING in files and (WORDING in names or any(s.report for s in sources)):
        sources.insert(0, load_source(WORDING, files[WORDING]))  # every 专报 template takes its text from it
    return sources


def check_templates(templates_dir: Path | None = None, home: Path | None = None,
                    names: tuple[str, ...] | None = None) -> None:
    """Refuse templates with problems lint would report (raises TemplateProblems). With a home, templates
    found without problems are remembered by their bytes (`catalog.checked_templates`) and not checked
    again until a file, its folder's choice or the code changes (≈ 0.2 s of CPU a 专报)."""
    marker = _checked_marker(templates_dir, home, names) if home is not None else None
    if marker is not None and read_kept(marker) is not None:
        return
    problems = static_problems(selected_sources(templates_dir, home, names))
    if problems:
        raise TemplateProblems(problems)
    if marker is not None:
        keep_files(marker.parent, marker.stem, [(".ok", b"")], 64)


def _checked_marker(templates_dir: Path | None, home: Path, names: tuple[str, ...] | None) -> Path:
    """Where a check without problems of these templates is remembered: keyed by the names asked for, and the
    path and bytes of every template the check could read (the effective ones and the names' own files)."""
    from ..core.results import code_version  # pyarrow's module: not for `zhuanbao lint` alone

    files = dict(effective_templates(templates_dir, home))
    for name in names or ():
        files.update({f"{folder}/{name}": folder / name for folder in search_dirs(templates_dir, home)
                      if (folder / name).is_file()})
    hashed = hashlib.sha256(f"{code_version()}\0{names!r}\0".encode())
    for name, path in files.items():
        hashed.update(f"{name}\0{path}\0".encode() + hashlib.sha256(path.read_bytes()).digest())
    return catalog.checked_templates(home) / f"{hashed.hexdigest()[:40]}.ok"
