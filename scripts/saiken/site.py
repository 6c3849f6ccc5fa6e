"""The policy site: an MkDocs plugin that adds the generated pages, and `saiken site build|serve`.

mkdocs.yml lists the plugin as `- saiken` (registered under the `mkdocs.plugins` entry point), so
a plain `mkdocs build --strict` in any records repository – this one, or one made by `saiken init`
or `saiken demo` – adds the pages of saiken.site_pages, made from policies/ and ledger/ only.
The pages exist only in memory during the build: nothing generated is kept in docs/.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation, Section

from saiken import site_pages
from saiken.errors import SaikenError

CONFIG = "mkdocs.yml"
SECTION_TITLE = "方針と報告"


class SaikenPlugin(BasePlugin):  # type: ignore[type-arg]
    """Adds policy/*.md (council report, special terms, handlers, results) to the build."""

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        root = Path(config.config_file_path).resolve().parent
        try:
            generated = site_pages.generate(root)
        except SaikenError as exc:
            raise PluginError(exc.render()) from None
        if files.get_file_from_path("index.md") is None:
            generated["index.md"] = site_pages.index_page(root)
        for rel, content in generated.items():
            if files.get_file_from_path(rel) is not None:
                raise PluginError(f"docs/{rel} は自動で作るページと同じ名前です。別の名前にしてください。")
            files.append(File.generated(config, rel, content=content))
        return files

    def on_serve(self, server, *, config: MkDocsConfig, builder):  # type: ignore[no-untyped-def]
        """`mkdocs serve` rebuilds when policies/ or ledger/ change, not only docs/."""
        root = Path(config.config_file_path).resolve().parent
        for folder in ("policies", "ledger"):
            if (root / folder).is_dir():
                server.watch(str(root / folder))
        return server

    def on_nav(self, nav: Navigation, *, config: MkDocsConfig, files: Files) -> Navigation:
        for item in nav.items:
            if isinstance(item, Section) and item.title.lower() == site_pages.FOLDER:
                item.title = SECTION_TITLE
                order = list(site_pages.PAGES.values())
                item.children.sort(key=lambda c: order.index(c.file.src_uri)
                                   if getattr(c, "file", None) and c.file.src_uri in order else len(order))
        return nav


PLUGIN_LINE = re.compile(r"^\s*-\s*saiken\s*(:.*)?(#.*)?$", re.MULTILINE)


def _mkdocs(root: Path, *args: str) -> int:
    config = root / CONFIG
    if not config.is_file():
        raise SaikenError("mkdocs.yml がありません。", where=str(config),
                          hint="saiken のチェックアウトの mkdocs.yml をコピーしてください（saiken init で作ったリポジトリにはあります）。")
    if not PLUGIN_LINE.search(config.read_text(encoding="utf-8")):
        raise SaikenError("plugins に saiken がないため、審議会報告などのページが作られません。", where=CONFIG,
                          hint="mkdocs.yml の plugins: に「  - saiken」の 1 行を加えてください。")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run([sys.executable, "-m", "mkdocs", *args, "-f", str(root / CONFIG)], cwd=root,
                          env=env).returncode


def build(root: Path, strict: bool = True) -> Path:
    """Build the site into site/ (git-ignored); the folder, or a SaikenError with mkdocs' output."""
    site_dir = root / "site"
    code = _mkdocs(root, "build", "--quiet", *(["--strict"] if strict else []), "--site-dir", str(site_dir))
    if code != 0:
        raise SaikenError("方針サイトを作れませんでした（上の mkdocs のメッセージを確認してください）。",
                          where=CONFIG, hint="saiken site build --no-strict で警告を無視して作れるか試してください。")
    return site_dir


def serve(root: Path, address: str) -> int:
    return _mkdocs(root, "serve", "--dev-addr", address)
