"""The policy site: an MkDocs plugin that adds the generated pages, and `saiken site build|serve`.

mkdocs.yml lists the plugin as `- saiken` (registered under the `mkdocs.plugins` entry point), so
a plain `mkdocs build --strict` in any records repository – this one, or one made by `saiken init`
or `saiken demo` – adds the pages of saiken.publishing.site.pages, made from policies/ and ledger/ only.
The pages exist only in memory during the build: nothing generated is kept in docs/.

The built site opens from a folder or a zip (file://) with no server and loads nothing from
another host: material's `offline` plugin inlines the search index into a script, and the Web
Worker shim that search needs under file:// is the vendored copy in saiken/vendor/ (listed before
the offline plugin would add a CDN's). After the build, any page that would still load a script,
style, font, image or frame from another host fails the build.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterator

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation, Section

from saiken.publishing.site import pages as site_pages
from saiken.errors import DEBUG_ENV, SaikenError, render_internal_error, render_os_error

CONFIG = "mkdocs.yml"
SECTION_TITLES = {site_pages.FOLDER: "方針と報告", "procedures": "手続"}
VENDOR = Path(__file__).resolve().parent / "vendor" / "iframe-worker"
SHIM = "assets/saiken/iframe-worker-shim.js"
SHIM_LICENSE = "assets/saiken/iframe-worker-LICENSE.txt"
STYLESHEET = "assets/saiken/saiken.css"
ASSETS = Path(__file__).resolve().parent / "assets"


class SaikenPlugin(BasePlugin):  # type: ignore[type-arg]
    """Adds policy/*.md (council report, special terms, handlers, results) to the build."""

    @event_priority(100)  # before material's offline plugin, which adds a CDN's shim when none is listed
    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        polyfills = [p for p in config.extra.get("polyfills") or [] if "iframe-worker" not in str(p)]
        config.extra["polyfills"] = [SHIM, *polyfills]
        # the theme's footer would say "Made with Material for MkDocs" in English on every page
        config.extra.setdefault("generator", False)
        # the generated tables sit in <div class="saiken-…" markdown> blocks, laid out by saiken.css
        if "md_in_html" not in config.markdown_extensions:
            config.markdown_extensions.append("md_in_html")
        if STYLESHEET not in [str(c) for c in config.extra_css]:
            config.extra_css.append(STYLESHEET)
        return config

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        root = Path(config.config_file_path).resolve().parent
        try:
            generated = site_pages.generate(root)
        except SaikenError as exc:
            raise PluginError(exc.render()) from None
        except Exception as exc:  # noqa: BLE001 - as cli.main: mkdocs would print a traceback
            if os.environ.get(DEBUG_ENV):
                raise
            raise PluginError(render_os_error(exc) if isinstance(exc, OSError) else render_internal_error(exc)) from None
        if files.get_file_from_path("index.md") is None:
            generated["index.md"] = site_pages.index_page(root)
        for rel, content in generated.items():
            if files.get_file_from_path(rel) is not None:
                raise PluginError(f"docs/{rel} は自動で作るページと同じ名前です。別の名前にしてください。")
            files.append(File.generated(config, rel, content=content))
        for rel, source in ((SHIM, VENDOR / "shim.js"), (SHIM_LICENSE, VENDOR / "LICENSE"),
                            (STYLESHEET, ASSETS / "saiken.css")):
            files.append(File.generated(config, rel, abs_src_path=str(source)))
        return files

    @event_priority(-200)  # after every other plugin has written its files
    def on_post_build(self, *, config: MkDocsConfig) -> None:
        root = Path(config.config_file_path).resolve().parent
        try:
            found = personal_data_published(root, Path(config.site_dir))
        except SaikenError as exc:
            raise PluginError(exc.render()) from None
        if found:
            _empty(Path(config.site_dir))
            raise PluginError("作ったページに個人情報があるため、方針サイトを消去しました（公開しません）。\n"
                              + "\n".join(found) + "\n元の docs/・policies/・ledger/ のファイルから削除し、代わりに事案番号を"
                              "使ってください（`saiken check --all` でも確かめられます）。")
        outside = list(external_loads(Path(config.site_dir)))
        if outside:
            hosts = sorted({re.sub(r"^\s*(?:https?:)?//([^/?#]*).*$", r"\1", url, flags=re.S) for _, url in outside})
            pages = sorted({page for page, _ in outside})
            raise PluginError(f"外部のホスト（{'、'.join(hosts)}）から読み込むページがあります（{pages[0]}"
                              f"{f' ほか {len(pages) - 1} ページ' if len(pages) > 1 else ''}）。ネットワークのない端末では"
                              "表示できず、閲覧が外部に知られます。mkdocs.yml の theme.font: false を確かめ、"
                              "外部の URL を読み込む設定（extra_javascript、extra_css など）を外してください。")

    def on_serve(self, server, *, config: MkDocsConfig, builder):  # type: ignore[no-untyped-def]
        """`mkdocs serve` rebuilds when policies/, ledger/ or records/ change (the status page's checks
        look at records/ without opening them), not only docs/."""
        root = Path(config.config_file_path).resolve().parent
        for folder in ("policies", "ledger", "records"):
            if (root / folder).is_dir():
                server.watch(str(root / folder))
        return server

    def on_nav(self, nav: Navigation, *, config: MkDocsConfig, files: Files) -> Navigation:
        for item in nav.items:
            if not isinstance(item, Section) or item.title.lower() not in SECTION_TITLES:
                continue
            folder = item.title.lower()
            item.title = SECTION_TITLES[folder]
            if folder == site_pages.FOLDER:
                order = list(site_pages.PAGES.values())
                item.children.sort(key=lambda c: order.index(c.file.src_uri)
                                   if getattr(c, "file", None) and c.file.src_uri in order else len(order))
        return nav


_PUBLISHED = (".html", ".htm", ".js", ".json", ".xml", ".txt", ".md", ".csv")
_ESCAPED = re.compile(r"\\u([dD][89abAB][0-9a-fA-F]{2})\\u([dD][c-fC-F][0-9a-fA-F]{2})|\\u([0-9a-fA-F]{4})")


def published_text(path: Path) -> str | None:
    """A built file's text as a reader gets it: HTML entities and the search index's \\u escapes
    undone (a name written as &#23665; or \\u5c71 is the name)."""
    try:
        raw = path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return None
    text = html.unescape(raw)
    if "\\u" in text:
        text = _ESCAPED.sub(lambda m: chr(int(m[3], 16)) if m[3] else
                            (chr(0x10000 + ((int(m[1], 16) - 0xD800) << 10) + int(m[2], 16) - 0xDC00)), text)
    return text


def personal_data_published(root: Path, site_dir: Path) -> list[str]:
    """The errors pii_outside finds in the built site (every page, the search index, the sitemap):
    the names, addresses … of the records the builder's key opens, and the numbers never collected.
    A page is made from docs/, policies/ and ledger/ as they are in the work tree – committed or
    not –, so the site itself is searched, not the sources. Part names alone (warnings) pass."""
    from saiken.checks import ERROR, FileInput
    from saiken.checks.commits import identities
    from saiken.checks.runner import run
    from saiken.checks.sources import worktree_context

    from saiken.checks.paths import MAX_FILE_BYTES

    files, too_large = [], []
    for path in sorted(site_dir.rglob("*")):
        if path.suffix.lower() in _PUBLISHED and path.is_file() and not path.is_symlink():
            text = published_text(path)
            rel = f"site/{path.relative_to(site_dir).as_posix()}"
            if text is not None and len(text.encode("utf-8")) > MAX_FILE_BYTES:
                too_large.append(f"エラー {rel} – 大きすぎて検査できません（上限 {MAX_FILE_BYTES // 1_000_000} MB）。")
            elif text is not None:
                files.append(FileInput(rel, text.encode("utf-8")))
    report = run(files, worktree_context(root, identities(), []), only=("pii_outside",))
    return too_large + [f.render(True) for f in report.findings if f.severity == ERROR]


def _empty(site_dir: Path) -> None:
    for path in site_dir.iterdir():
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


# What a browser fetches by itself when it shows a page: scripts, styles, icons, images, frames,
# media, and url()/@import in CSS. Links (<a href>), canonical and alternate links are not fetched.
_TAG = re.compile(r"<(script|img|iframe|source|video|audio|embed|link)\b([^>]*)>", re.IGNORECASE)
_ATTR = re.compile(r"\b(src|href|srcset|rel)\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+)", re.IGNORECASE)
_FETCHED_LINKS = {"stylesheet", "preload", "modulepreload", "prefetch", "preconnect", "dns-prefetch", "icon",
                  "shortcut", "apple-touch-icon", "manifest", "import"}
_CSS_URL = re.compile(r"(?:url\(\s*['\"]?|@import\s+['\"])([^'\")\s]+)")
_OUTSIDE = re.compile(r"^\s*(?:https?:)?//", re.IGNORECASE)


def external_loads(site_dir: Path) -> Iterator[tuple[str, str]]:
    """(page, url) for every resource a built page or stylesheet would fetch from another host."""
    for path in sorted(site_dir.rglob("*")):
        if path.suffix not in (".html", ".css") or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        page = path.relative_to(site_dir).as_posix()
        if path.suffix == ".css":
            urls = _CSS_URL.findall(text)
        else:
            urls = [url for tag, attrs in _TAG.findall(text) for url in _fetched(tag.lower(), attrs)]
            urls += [u for block in re.findall(r"<style\b[^>]*>(.*?)</style>", text, re.S | re.I)
                     for u in _CSS_URL.findall(block)]
        yield from ((page, u) for u in urls if _OUTSIDE.match(u))


def _fetched(tag: str, attrs: str) -> list[str]:
    values = {k.lower(): v.strip("\"'") for k, v in _ATTR.findall(attrs)}
    if tag == "link" and not set(values.get("rel", "").lower().split()) & _FETCHED_LINKS:
        return []
    urls = [values[k] for k in ("src", "href") if k in values]
    urls += [part.split()[0] for part in values.get("srcset", "").split(",") if part.strip()]
    return urls


PLUGIN_LINE = re.compile(r"^\s*-\s*saiken\s*(:.*)?(#.*)?$", re.MULTILINE)


def _mkdocs(root: Path, *args: str, quiet: bool = False) -> int:
    config = root / CONFIG
    if not config.is_file():
        raise SaikenError("mkdocs.yml がありません。", where=str(config),
                          hint="saiken のチェックアウトの mkdocs.yml をコピーしてください（saiken init で作ったリポジトリにはあります）。")
    if not PLUGIN_LINE.search(config.read_text(encoding="utf-8")):
        raise SaikenError("plugins に saiken がないため、審議会報告などのページが作られません。", where=CONFIG,
                          hint="mkdocs.yml の plugins: に「  - saiken」の 1 行を加えてください。")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    command = [sys.executable, "-m", "mkdocs", *args, "-f", str(root / CONFIG)]
    if not quiet:
        return subprocess.run(command, cwd=root, env=env).returncode
    # Not mkdocs' --quiet: it drops warnings before --strict counts them. Keep all but the INFO lines.
    proc = subprocess.run(command, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    shown = [_japanese(line) for line in proc.stdout.splitlines()
             if line.strip() and not line.startswith("INFO") and line.strip() not in _DROPPED]
    if shown:
        print("\n".join(shown), file=sys.stderr)
    return proc.returncode


_DROPPED = {"Aborted with a BuildError!", "Aborted with 1 warnings in strict mode!"}
_LEVELS = (("ERROR   -  ", "エラー（mkdocs）: "), ("WARNING -  ", "警告（mkdocs）: "))


def _japanese(line: str) -> str:
    """mkdocs' own level labels in Japanese; the rest of its line as it is."""
    for english, japanese in _LEVELS:
        if line.startswith(english):
            return japanese + line[len(english):]
    return line


def build(root: Path, strict: bool = True) -> Path:
    """Build the site into site/ (git-ignored); the folder, or a SaikenError with mkdocs' output."""
    site_dir = root / "site"
    code = _mkdocs(root, "build", *(["--strict"] if strict else []), "--site-dir", str(site_dir), quiet=True)
    if code != 0:
        raise SaikenError("方針サイトを作れませんでした（上の mkdocs のメッセージを確認してください）。",
                          where=CONFIG, hint="上の「エラー:」の行があればその対処のとおりに直してください。mkdocs の警告"
                                             "（WARNING）だけで止まったときは `saiken site build --no-strict` で作れるか試せます。")
    return site_dir


def serve(root: Path, address: str) -> int:
    return _mkdocs(root, "serve", "--dev-addr", address)
