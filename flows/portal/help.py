"""The 使用手册 at /help: the static guide site, built into `<home>/.site/` on the first request.

Public (a unit reads it before its first login). The pages are MkDocs Material's: they need its small
inline scripts, so /help answers with its own Content-Security-Policy (still 'self' only — nothing
is loaded from elsewhere); every other header comes from the Guard as on every page.
"""
from __future__ import annotations

import threading
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from starlette.exceptions import HTTPException

router = APIRouter()
HELP_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; worker-src 'self' blob:; frame-ancestors 'self'; form-action 'self'")
_building = threading.Lock()


def site_root(settings) -> Path:
    """The built site, building it once (one build at a time; ~10 s on a small PC)."""
    from ..docs_site import site_for

    with _building:
        return site_for(settings)


@router.api_route("/help", methods=["GET", "HEAD"], include_in_schema=False)
def help_root() -> RedirectResponse:
    return RedirectResponse("/help/", status_code=307)


@router.api_route("/help/{path:path}", methods=["GET", "HEAD"], include_in_schema=False)
def help_page(request: Request, path: str):
    try:
        root = site_root(request.app.state.settings).resolve()
    except RuntimeError as exc:  # the docs extra is not installed
        return HTMLResponse(f"<p>使用手册暂不可用：{exc}</p>", status_code=503)
    target = (root / (path or "index.html")).resolve()
    if target.is_dir():
        target = target / "index.html"
    if not target.is_relative_to(root) or not target.is_file():
        raise HTTPException(status_code=404)
    return FileResponse(target, headers={"Content-Security-Policy": HELP_CSP, "Cache-Control": "no-cache"})
