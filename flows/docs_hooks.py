"""The MkDocs hooks of the 使用手册 (named in mkdocs.yml and in the config `docs_site.site_config` writes).

MkDocs loads this file by its path, as a module of its own outside the package, so it imports the package
absolutely — the one module of `flows/` that does (a type checker reading the checkout cannot follow it; the
import is ignored for that reason alone).
"""
from __future__ import annotations

from zhuanbao.flows import docs_site  # pyright: ignore[reportMissingImports]  (loaded by path: see above)


def on_config(config):
    """Nothing from the network: drop the offline plugin's CDN shim; docs/js/iframe-worker-local.js
    (docs/site.yml `extra.polyfills`) does its job, so search also works from file://."""
    polyfills = config.extra.get("polyfills", [])
    config.extra["polyfills"] = [url for url in polyfills if not str(url).startswith(("http://", "https://"))]
    config.extra["generator"] = False
    return config


def on_files(files, config):
    from mkdocs.structure.files import File

    for uri, content in docs_site.generated_pages(docs_site._EXPECTATIONS["dir"]).items():
        existing = files.get_file_from_path(uri)
        if existing is not None:
            files.remove(existing)
        files.append(File.generated(config, uri, content=content))
    return files
