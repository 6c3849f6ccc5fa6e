"""The policy site: a real `mkdocs build --strict` in a records repository holding an encrypted
fictional case; no page carries any of that person's data; the council page renders in Chromium."""

from __future__ import annotations

import functools
import gzip
import http.server
import json
import re
import shutil
import subprocess
import threading
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from chromium import Chromium
from conftest import FIXTURES, ROOT, VENV_BIN, _base_env
from saiken.core import crypto
from saiken.publishing import site

# tests/fixtures/case-fictional.yaml with rarer fictional names (架空の人物), so that a hit can only
# come from the record: every personal datum below, as a site could leak it.
RENAME = {"family: 架空": "family: 鷺ノ宮", "given: 一郎": "given: 蒼之介", "given: 花子": "given: 澪音",
          "family_kana: カクウ": "family_kana: サギノミヤ", "given_kana: イチロウ": "given_kana: ソウノスケ",
          "東京都新宿区架空町1-2-3": "東京都新宿区霞草町9-8-7", "note: 分納の相談あり": "note: 夕凪橋で面談を希望"}
FICTIONAL = ["鷺ノ宮", "蒼之介", "澪音", "サギノミヤ", "ソウノスケ", "霞草町", "9-8-7", "160-0000", "03-0000-0001",
             "ichiro@example.invalid", "1995-04-02", "平成7年4月2日", "C-TEST0001", "夕凪橋"]
HANDLER_NAME = "担当 乙一"     # staff, published on the handlers page
AGGREGATES = """\
fiscal_years:
  - {fiscal_year: 2021, cases: 4, by_status: {督促中: 3, 分納中: 1}, assessed: 3600000, collected: 123457, written_off: 0}
  - {fiscal_year: 2022, cases: 12, by_status: {督促中: 6, 分納中: 4, 完済: 2}, assessed: 9000000, collected: 900000, written_off: 0}
"""


def _run(args: list[str], root: Path, env: dict[str, str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=root, env=env, capture_output=True, text=True, timeout=240, **kw)  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A records repository (policies/, docs/, mkdocs.yml, one encrypted case), built once."""
    tmp = tmp_path_factory.mktemp("site")
    root = tmp / "repo"
    shutil.copytree(ROOT / "policies", root / "policies")
    shutil.copytree(ROOT / "docs", root / "docs")
    shutil.copy(ROOT / "mkdocs.yml", root / "mkdocs.yml")
    (root / "ledger").mkdir()
    (root / "ledger" / "aggregates.yaml").write_text(AGGREGATES, encoding="utf-8")
    env = _base_env(tmp)
    secret, public = crypto.generate_identity()
    key = tmp / "otsu-01.key"
    key.write_text(crypto.identity_file_text(secret, public, "test"))
    key.chmod(0o600)
    env["SAIKEN_IDENTITY"] = str(key)
    assert _run(["git", "init", "-q", "-b", "main"], root, env).returncode == 0
    saiken = str(VENV_BIN / "saiken")
    record = (FIXTURES / "case-fictional.yaml").read_text(encoding="utf-8")
    for old, new in RENAME.items():
        assert old in record
        record = record.replace(old, new)
    for args in (["handler", "add", "--id", "otsu-01", "--name", HANDLER_NAME, "--org", "乙", "--role", "取扱責任者",
                  "--key", public, "--email", "otsu-01@example.invalid"], ["case", "new", "--from", "-"]):
        proc = _run([saiken, *args], root, env, input=record)
        assert proc.returncode == 0, proc.stderr
    assert list((root / "records").glob("*/*/*.age")), "the fictional case should be encrypted in records/"
    proc = _run([str(VENV_BIN / "mkdocs"), "build", "--strict"], root, {**env, "NO_MKDOCS_2_WARNING": "1"})
    assert proc.returncode == 0, proc.stderr
    return root, env


def _site_texts(site: Path) -> dict[str, str]:
    """Every output file as text; JSON re-dumped so \\u escapes cannot hide a name."""
    texts = {}
    for path in site.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if path.suffix == ".gz":
            data = gzip.decompress(data)
        text = data.decode("utf-8", errors="replace")
        if path.suffix == ".json":
            text += json.dumps(json.loads(text), ensure_ascii=False)
        texts[str(path.relative_to(site))] = text
    return texts


def test_site_has_no_personal_data(built: tuple[Path, dict[str, str]]) -> None:
    root, _ = built
    texts = _site_texts(root / "site")
    assert len(texts) > 20
    hits = [(name, word) for name, text in texts.items() for word in FICTIONAL if word in text]
    assert hits == []
    # The scan reads what the pages say: the staff name and the seed's words are there.
    assert any(HANDLER_NAME in t for t in texts.values())
    assert any("債権（奨学資金貸付金）回収業務における弁護士事務委託" in t for t in texts.values())
    assert any(HANDLER_NAME in t for name, t in texts.items() if name.startswith("search/"))


def test_generated_pages(built: tuple[Path, dict[str, str]]) -> None:
    site = built[0] / "site"
    for page in ("index.html", "policy/council.html", "policy/special-terms.html", "policy/handlers.html",
                 "policy/results.html", "policy/results-chart.svg"):
        assert (site / page).is_file(), page
    council = (site / "policy" / "council.html").read_text(encoding="utf-8")
    assert "◇第14条第1項（業務委託）" in council and "<table>" in council
    handlers = (site / "policy" / "handlers.html").read_text(encoding="utf-8")
    assert "otsu-01" in handlers and "取扱責任者" in handlers and "otsu-01@example.invalid" not in handlers
    results = (site / "policy" / "results.html").read_text(encoding="utf-8")
    assert "123,457" not in results and "5件未満" in results and "900,000円" in results
    assert "（秘匿）" in results          # 完済 2 in 2022: suppressed, and one more so it can't be derived
    terms = (site / "policy" / "special-terms.html").read_text(encoding="utf-8")
    if (ROOT / "policies" / "special-terms.yaml").is_file():
        assert "再委託の禁止" in terms
        # the tables sit in the styled block, rendered as tables (md_in_html), with saiken.css linked
        assert re.search(r'<div class="saiken-status">\s*<table>', terms) and "| 番号 |" not in terms
        assert 'href="../assets/saiken/saiken.css"' in terms
        assert (built[0] / "site" / "assets" / "saiken" / "saiken.css").is_file()
    else:
        assert "policies/special-terms.yaml がありません" in terms
    assert not (built[0] / "docs" / "policy").exists(), "generated pages are never written to docs/"


def test_pages_carry_no_english_footer(built: tuple[Path, dict[str, str]]) -> None:
    """The theme's footer said "Made with Material for MkDocs" on every page of the Japanese site."""
    site = built[0] / "site"
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 5
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert '<footer class="md-footer">' in html, page
        assert "Made with" not in html and "Material for MkDocs" not in html, page


def test_no_request_to_outside_hosts(built: tuple[Path, dict[str, str]]) -> None:
    """No fonts, scripts, styles or images from other hosts: a ward's network may block them."""
    fetched = re.compile(r"<(?:script|img|link|iframe|source)\b[^>]*?(?:src|href)=\"([^\"]*)\"")
    external = []
    for path in (built[0] / "site").rglob("*"):
        if path.suffix == ".html":
            urls = fetched.findall(path.read_text(encoding="utf-8"))
        elif path.suffix == ".css":
            urls = re.findall(r"url\(\s*['\"]?([^'\")]+)", path.read_text(encoding="utf-8"))
        else:
            continue
        external += [(path.name, u) for u in urls if re.match(r"(https?:)?//", u)]
    assert external == []
    assert list(site.external_loads(built[0] / "site")) == []
    index = (built[0] / "site" / "index.html").read_text(encoding="utf-8")
    assert '<script src="assets/saiken/iframe-worker-shim.js">' in index and "iframe-worker/shim" not in index
    assert (built[0] / "site" / "assets" / "saiken" / "iframe-worker-LICENSE.txt").is_file()


def test_external_loads_finds_what_a_browser_would_fetch(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text(
        '<link rel="preconnect" href="https://fonts.gstatic.com" crossorigin><link rel="canonical" href="https://x.invalid/">'
        '<a href="https://example.invalid/">link</a><script src=//cdn.invalid/s.js></script>'
        '<img srcset="local.png 1x, https://img.invalid/b.png 2x"><style>@import "https://css.invalid/c.css";</style>',
        encoding="utf-8")
    (tmp_path / "b.css").write_text("p{background:url('https://img.invalid/p.png')} q{background:url(local.png)}",
                                    encoding="utf-8")
    assert sorted(u for _, u in site.external_loads(tmp_path)) == [
        "//cdn.invalid/s.js", "https://css.invalid/c.css", "https://fonts.gstatic.com", "https://img.invalid/b.png",
        "https://img.invalid/p.png"]


def test_saiken_site_build(built: tuple[Path, dict[str, str]]) -> None:
    root, env = built
    proc = _run([str(VENV_BIN / "saiken"), "site", "build"], root, env)
    assert proc.returncode == 0, proc.stderr
    assert f"方針サイトを作りました: {root / 'site'}/index.html" in proc.stdout


def test_site_build_outside_a_repository_says_where(tmp_path: Path) -> None:
    env = _base_env(tmp_path)
    (tmp_path / "policies").mkdir()
    shutil.copy(ROOT / "policies" / "handlers.yaml", tmp_path / "policies" / "handlers.yaml")
    proc = _run([str(VENV_BIN / "saiken"), "site", "build"], tmp_path, env)
    assert proc.returncode == 1
    assert "mkdocs.yml がありません" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", ["council", "special-terms"])
def test_page_renders_in_chromium(built: tuple[Path, dict[str, str]], tmp_path: Path, name: str) -> None:
    page = built[0] / "site" / "policy" / f"{name}.html"
    png = tmp_path / f"{name}.png"
    proc = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                           "--disable-component-update", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
                           "--hide-scrollbars", "--window-size=1280,1600", f"--screenshot={png}", page.as_uri()],
                          capture_output=True, text=True, timeout=100)
    assert png.is_file(), proc.stderr
    image = Image.open(png).convert("L")
    assert image.size == (1280, 1600)
    dark = sum(1 for v in image.get_flattened_data() if v < 128)
    assert dark > 0.01 * 1280 * 1600, "the page should show text, not a blank screen"
    assert len(set(Image.open(png).convert("RGB").get_flattened_data())) > 50


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def _search(url: str, profile: Path) -> tuple[list[str], list[str]]:
    """Open `url` in Chromium, type 消去証明書 into the search box as a user would; the result links
    and every URL the page requested."""
    with Chromium(profile) as browser:
        page = browser.open(url)
        page.wait_for("document.readyState === 'complete' && !!document.querySelector('input.md-search__input')")
        page.eval("document.querySelector('input.md-search__input').focus()")   # opens search (starts it under file://)
        meta = "(document.querySelector('.md-search-result__meta') || {}).textContent || ''"
        page.wait_for(f"({meta}).includes('検索キーワードを入力してください')", timeout=30)   # the index is ready
        page.type_into("input.md-search__input", "消去証明書")
        found = page.wait_for(f"/件見つかりました|何も見つかりませんでした/.test({meta}) && ({meta})", timeout=30)
        links = page.eval("[...document.querySelectorAll('.md-search-result__item > a')].map(a => a.href)")
        assert "件見つかりました" in found, found
        return links, browser.requests()


@pytest.mark.timeout(120)
def test_japanese_search_offline_from_a_zip(built: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    """The site handed over as a zip and opened from the unpacked folder (file://, no server):
    search finds 消去証明書, and nothing is requested from any host – everything is a local file."""
    archive = shutil.make_archive(str(tmp_path / "site"), "zip", built[0] / "site")
    with zipfile.ZipFile(archive) as z:
        z.extractall(tmp_path / "unpacked")
    index = tmp_path / "unpacked" / "index.html"
    links, requested = _search(index.as_uri(), tmp_path / "profile")
    assert any(link.endswith("/policy/council.html") for link in links), links
    assert all(link.startswith(index.parent.as_uri()) for link in links)
    assert any(u.endswith("search/search_index.js") for u in requested)     # the index, loaded as a script
    assert any(u.endswith("assets/saiken/iframe-worker-shim.js") for u in requested)
    assert [u for u in requested if not u.startswith(("file:", "data:"))] == []


@pytest.mark.timeout(120)
def test_japanese_search_over_http(built: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(built[0] / "site")))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        links, requested = _search(base + "index.html", tmp_path / "profile")
    finally:
        server.shutdown()
        server.server_close()
    assert any(link == base + "policy/council.html" for link in links), links
    assert [u for u in requested if not u.startswith((base, "data:"))] == []


def test_site_build_without_the_plugin_says_how_to_add_it(built: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(built[0] / "policies", root / "policies")
    shutil.copytree(built[0] / "docs", root / "docs")
    config = (built[0] / "mkdocs.yml").read_text(encoding="utf-8")
    (root / "mkdocs.yml").write_text(config.replace("  - saiken ", "  # saiken "), encoding="utf-8")
    proc = _run([str(VENV_BIN / "saiken"), "site", "build"], root, built[1])
    assert proc.returncode == 1
    assert "plugins に saiken がない" in proc.stderr and "「  - saiken」" in proc.stderr
    assert not (root / "site").exists()


def test_strict_build_fails_on_a_link_to_a_missing_heading(built: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    """--strict counts mkdocs' warnings (its --quiet would drop them): a broken #anchor fails the build."""
    root = tmp_path / "repo"
    for folder in ("policies", "docs", "ledger"):
        shutil.copytree(built[0] / folder, root / folder)
    shutil.copy(built[0] / "mkdocs.yml", root / "mkdocs.yml")
    (root / "docs" / "extra.md").write_text("# 追加\n\n[事故](procedures/evidence.md#no-such-heading)\n", encoding="utf-8")
    proc = _run([str(VENV_BIN / "saiken"), "site", "build"], root, built[1])
    assert proc.returncode == 1
    assert "#no-such-heading" in proc.stderr and "方針サイトを作れませんでした" in proc.stderr
    assert "INFO" not in proc.stderr


@pytest.mark.parametrize("page", [
    "# メモ\n\n鷺ノ宮蒼之介さんの分納について\n",                       # as written
    "# メモ\n\n" + "".join(f"&#{ord(c)};" for c in "鷺ノ宮蒼之介") + "\n",  # as HTML entities
    "# メモ\n\n| 住所 |\n|---|\n| 霞草町9-8-7 |\n",                     # the address, in a table
])
def test_a_page_with_personal_data_is_not_published(built: tuple[Path, dict[str, str]], tmp_path: Path,
                                                     page: str) -> None:
    """docs/ is built as it is in the work tree, committed or not, so the built site itself is
    searched (pages, search index): the names, addresses … of the records the builder's key opens."""
    root = tmp_path / "repo"
    shutil.copytree(built[0], root, ignore=shutil.ignore_patterns("site"))
    (root / "docs" / "memo.md").write_text(page, encoding="utf-8")
    for command in ([str(VENV_BIN / "saiken"), "site", "build"], [str(VENV_BIN / "mkdocs"), "build", "--strict"]):
        proc = _run(command, root, {**built[1], "NO_MKDOCS_2_WARNING": "1"})
        assert proc.returncode == 1, proc.stderr
        assert "作ったページに個人情報があるため、方針サイトを消去しました" in proc.stderr
        assert "site/memo.html" in proc.stderr and "site/search/search_index.json" in proc.stderr
        assert not any(word in proc.stderr for word in FICTIONAL[:6])
        assert list((root / "site").iterdir()) == []
    (root / "docs" / "memo.md").write_text("# メモ\n\n事案 C-TEST0001 の分納について\n", encoding="utf-8")
    assert _run([str(VENV_BIN / "saiken"), "site", "build"], root, built[1]).returncode == 0


PROCEDURES = ["督促", "示談折衝", "合意書の作成と書留郵送", "交渉記録報告書",
              "データの受渡し（確認書・書留・鍵付きケース・パスワード付きメール・CD-R）", "事故発生時の対応",
              "委託終了時の返還と消去", "監査と研修", "鍵の管理と担当者の交代"]


def test_procedures_index_lists_every_procedure(built: tuple[Path, dict[str, str]]) -> None:
    """Each procedure the contract names has a row in docs/procedures/index.md whose links the strict
    build checked (pages and #headings); the site's navigation calls the folder 手続."""
    rows = [line.split(" | ") for line in (ROOT / "docs" / "procedures" / "index.md").read_text(encoding="utf-8").splitlines()
            if line.startswith("| ") and "---" not in line][1:]
    assert [row[0].lstrip("| ") for row in rows] == PROCEDURES
    assert all(re.search(r"\]\([a-z-]+\.md(#[a-z-]+)?\)", row[2]) for row in rows)
    index = (built[0] / "site" / "procedures" / "index.html").read_text(encoding="utf-8")
    assert 'href="keys.html"' in index and 'href="evidence.html#incident"' in index
    home = (built[0] / "site" / "index.html").read_text(encoding="utf-8")
    titles = [re.sub(r"\s+", "", t) for t in re.findall(r'<label class="md-nav__title"[^>]*>(.*?)</label>', home, re.S)]
    assert any(t.endswith(">手続") for t in titles) and any(t.endswith(">方針と報告") for t in titles), titles
    assert 'href="procedures/index.html"' in home

