"""Bad input across the whole command line, as a ward clerk or a lawyer could give it.

The rule (DEVELOPERS.md): a clear message in Japanese – what is wrong, where, and the command that
fixes it –, a non-zero exit, and nothing written or lost. Each test runs the real `saiken` console
script and asserts on what the user sees; fixtures are fictional (架空).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from conftest import (
    CHECK_POLICIES,
    FIXTURES,
    ROOT,
    VENV_BIN,
    RecordsRepo,
    Result,
    _base_env,
    make_records_repo,
)
from saiken.core import crypto
from saiken.core.layout import manifest_rel, record_rel


def run(cwd: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    proc = subprocess.run([str(VENV_BIN / "saiken"), *args], cwd=cwd, capture_output=True, text=True,
                          env={**_base_env(cwd), **(env or {})}, timeout=120)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def assert_japanese_error(res: Result, *fragments: str) -> None:
    """Non-zero, no traceback, no English sentence from a library, a 対処 line, and the fragments."""
    err = res.stderr
    assert res.returncode != 0, err
    assert "Traceback" not in err and "Error:" not in err and "Usage:" not in err and " is not " not in err, err
    assert "エラー: " in err and "\n対処: " in err, err
    for fragment in fragments:
        assert fragment in err, (fragment, err)


# --- the command line itself (click) ----------------------------------------------------------------

@pytest.mark.parametrize("args, fragments", [
    (("csae", "list"), ("saiken: ", "「csae」というコマンドはありません", "`saiken --help`")),
    (("case", "lst"), ("saiken case: ", "「lst」", "もしかして: list", "`saiken case --help`")),
    (("case", "show"), ("saiken case show: ", "事案番号を指定してください", "`saiken case show --help`")),
    (("case", "list", "--nmes"), ("「--nmes」というオプションはありません", "もしかして: --names")),
    (("case", "list", "--format", "xml"), ("--format", "「xml」", "table、json、tsv")),
    (("case", "list", "--format"), ("saiken case list: ", "--format のあとに値を書いてください")),
    (("case", "list", "--names=yes"), ("--names には値を付けません",)),
    (("case", "show", "C-AB12CD34", "C-EF56GH78"), ("余分な引数があります（C-EF56GH78）",)),
    (("council", "export", "--fy", "abc"), ("--fy", "2000〜2100 の整数", "「abc」")),
    (("council", "export", "--fy", "1999"), ("2000〜2100 の整数", "「1999」")),
    (("demo", "x", "--seed", "abc"), ("--seed", "整数で書いてください",)),
    (("incident", "new", "--discovered", "2026-05-01", "--summary", "x"), ("--cases", "を指定してください")),
    (("check", "--message-file", "no-such-file"), ("--message-file", "「no-such-file」がありません")),
    (("check", "--message-file", "."), ("「.」はフォルダです。ファイルを指定してください",)),
    # a Japanese value inside click's English message must not let the English through
    (("handler", "add", "--id", "otsu-09", "--name", "架空", "--org", "丙", "--role", "取扱者", "--key", "age1x"),
     ("--org: 値「丙」は使えません。次のいずれかです: 甲、乙",)),
    (("council", "export", "--fy", "令和3"), ("--fy: 2000〜2100 の整数で書いてください（「令和3」）",)),
    (("report", "pdf", "報告.md"), ("Markdownファイル: 「報告.md」がありません",)),
])
def test_usage_errors_are_japanese_and_name_the_command(tmp_path: Path, args: tuple[str, ...],
                                                        fragments: tuple[str, ...]) -> None:
    res = run(tmp_path, *args)
    assert res.returncode == 2
    assert_japanese_error(res, *fragments)
    assert list(tmp_path.iterdir()) == [tmp_path / "home"], "nothing may be written"


@pytest.mark.parametrize("value, fragments", [
    ("2026/13/01", ("「2026/13/01」は実在しない日付です",)),
    ("令和9年2月30日", ("「令和9年2月30日」は実在しない日付です", "西暦の YYYY-MM-DD")),
    ("令和8年6月1日", ("和暦は使えません", "「令和8年6月1日」なら 2026-06-01")),
    ("", ("日付が空です",)),
    ("6月1日", ("「6月1日」は日付として読めません", "例: 2026-04-01")),
])
@pytest.mark.parametrize("command", [
    ("worklist", "--as-of"),
    ("doc", "交渉記録報告書", "C-AB12CD34", "--from"),
    ("ledger", "audit", "--by", "kou-01", "--method", "書面", "--result", "適正", "--date"),
    ("handler", "deactivate", "otsu-02", "--on"),
    ("incident", "new", "--summary", "x", "--cases", "C-AB12CD34", "--discovered"),
], ids=lambda c: " ".join(c[:2]))
def test_every_date_option_refuses_bad_dates_in_japanese(tmp_path: Path, command: tuple[str, ...],
                                                         value: str, fragments: tuple[str, ...]) -> None:
    res = run(tmp_path, *command, value)
    assert_japanese_error(res, command[-1], *fragments)


def test_date_options_read_what_staff_type(tmp_path: Path) -> None:
    """2026/6/1 and full-width digits are dates, as `case pay --date` always read them."""
    for value in ("2026/6/1", "２０２６－０６－０１"):
        res = run(tmp_path, "worklist", "--as-of", value)
        assert "記録リポジトリの中ではありません" in res.stderr, res.stderr  # got past the option


def test_help_shows_the_date_form_not_strftime(tmp_path: Path) -> None:
    res = run(tmp_path, "worklist", "--help")
    assert "--as-of YYYY-MM-DD" in res.stdout and "%Y" not in res.stdout


# --- a records repository with one fictional case, committed ----------------------------------------

@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> RecordsRepo:
    r = make_records_repo(tmp_path_factory.mktemp("bad-input"),
                          (*CHECK_POLICIES, "limitation.yaml", "worklist.yaml", "damages.yaml"))
    r.saiken("case", "new", "--from", str(FIXTURES / "case-fictional.yaml"), check=True)
    r.git("add", "-A")
    r.git("commit", "-q", "--no-verify", "-m", "架空の事案（テスト）")
    return r


@contextmanager
def replaced(repo: RecordsRepo, rel: str, content: bytes | None) -> Iterator[Path]:
    """`rel` holds `content` (None: a folder in its place) for the duration; then the committed file."""
    path = repo.root / rel
    if content is None:
        path.unlink()
        path.mkdir()
    else:
        path.write_bytes(content)
    try:
        yield path
    finally:
        if path.is_dir():
            path.rmdir()
        repo.git("checkout", "-q", "--", rel)


def edited(rel: str, old: str, new: str) -> bytes:
    text = (ROOT / rel).read_text(encoding="utf-8")
    assert old in text, old
    return text.replace(old, new, 1).encode("utf-8")


RECORD = record_rel("C-TEST0001")
ITEMS, HANDLERS, CONTRACT = "policies/information-items.yaml", "policies/handlers.yaml", "policies/contract.yaml"
RESTORE = "`git checkout -- {rel}`"


def test_an_option_error_without_its_own_fix_points_to_the_commands_help(repo: RecordsRepo) -> None:
    before = (repo.root / RECORD).read_bytes()
    res = repo.saiken("case", "log", "C-TEST0001", "--kind", "電話", "--note", " ")
    assert_japanese_error(res, "--note（内容）が空です", "`saiken case log --help`")
    assert (repo.root / RECORD).read_bytes() == before


def test_a_bad_setting_in_the_environment_is_named(repo: RecordsRepo) -> None:
    res = repo.saiken("case", "list", env={"SAIKEN_PARALLEL_MIN": "たくさん"})
    assert_japanese_error(res, "SAIKEN_PARALLEL_MIN は件数（整数）です（たくさん）", "export SAIKEN_PARALLEL_MIN=400")


# --- the last boundary: what escapes every module still reaches staff in Japanese -------------------

@pytest.mark.parametrize("error, fragments", [
    (KeyError("架空 一郎"), ("saiken の内部エラーです（KeyError）", "SAIKEN_DEBUG=1")),
    (PermissionError(13, "Permission denied", "/架空/out.md"), ("/架空/out.md: ", "（権限がありません）")),
])
def test_an_unexpected_error_is_a_short_japanese_message(monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str],
                                                         error: Exception, fragments: tuple[str, ...]) -> None:
    """A bug's text may quote a record (here a fictional name): it is not printed, only its type;
    SAIKEN_DEBUG=1 gives the traceback to whoever fixes saiken."""
    import click

    from saiken import cli

    @click.command()
    def failing() -> None:
        raise error

    monkeypatch.setitem(cli.COMMANDS, "failing", ("failing", "failing"))
    monkeypatch.setattr(cli, "_load", lambda name: failing)
    monkeypatch.delenv("SAIKEN_DEBUG", raising=False)
    assert cli.main(["failing"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "対処: " in err and "一郎" not in err
    for fragment in fragments:
        assert fragment in err, err
    monkeypatch.setenv("SAIKEN_DEBUG", "1")
    with pytest.raises(type(error)):
        cli.main(["failing"])


# --- policies, ledger and records broken by hand ----------------------------------------------------

@pytest.mark.parametrize("rel, content, fragments", [
    (HANDLERS, (ROOT / HANDLERS).read_text(encoding="utf-8").encode("cp932"),
     ("UTF-8 のテキストではありません（Shift_JIS（CP932）", "iconv -f CP932 -t UTF-8 policies/handlers.yaml")),
    (HANDLERS, b"hello\n", ("「キー: 値」の形", RESTORE)),
    (HANDLERS, b"handlers: 7\n", ("「handlers:」の下に取扱者を「- 」で並べてください", RESTORE)),
    (ITEMS, None, ("ファイルを読めません（ファイルではなくフォルダです）", RESTORE)),
    (ITEMS, b"", ("「キー: 値」の形", RESTORE)),
    (ITEMS, edited(ITEMS, "max_text_length: 4000", "max_text_length: 四千"),
     ("max_text_length: 1 以上の整数で書いてください（四千）", RESTORE)),
    (ITEMS, edited(ITEMS, "values: status,", "values: statuses,"),
     ("record.fields.status.values: 「statuses」は lists にありません", RESTORE)),
    (ITEMS, edited(ITEMS, "  sex: [男, 女, 不明]", "  sex: 男"), ("lists.sex",)),
    (CONTRACT, b"- 2026-04-01\n", ("「キー: 値」の形", RESTORE)),
    (CONTRACT, edited(CONTRACT, "ward:", "ward: 新宿区\nward_old:"), ("ward: 「キー: 値」のまとまりで書いてください", RESTORE)),
    (CONTRACT, edited(CONTRACT, "{from: 2021-04-01, to: 2022-03-31}", "{from: 2021/04/01, to: 2022/03/31}"),
     ("periods[0].from: YYYY-MM-DD 形式の日付で書いてください（2021/04/01）", RESTORE)),
], ids=lambda v: v if isinstance(v, str) else "")
@pytest.mark.parametrize("command", [("case", "show", "C-TEST0001"), ("worklist",), ("check", "--all")],
                         ids=" ".join)
def test_a_broken_policy_file_is_named_with_its_fix(repo: RecordsRepo, command: tuple[str, ...], rel: str,
                                                    content: bytes | None, fragments: tuple[str, ...]) -> None:
    before = (repo.root / RECORD).read_bytes()
    with replaced(repo, rel, content):
        res = repo.saiken(*command)
    assert_japanese_error(res, rel, *(f.format(rel=rel) for f in fragments))
    assert (repo.root / RECORD).read_bytes() == before


@pytest.mark.parametrize("rel, content, fragments", [
    ("policies/incidents.yaml", b"preliminary_days: \xe4\xba\x94\xe6\x97\xa5\n", ("日数は整数で書いてください",)),
    ("policies/remotes.yaml", b"remotes: git@git.example.invalid:saiken\n", ("「remotes:」の下に送信先を",)),
    ("policies/remotes.yaml", b"remotes:\n  - note: url missing\n", ("remotes[0]: 送信先の URL",)),
    ("policies/special-terms.yaml", b"terms: [\n", ("YAML として読めません",)),
    ("policies/worklist.yaml", b"- a list\n", ("「キー: 値」の形",)),
], ids=lambda v: v if isinstance(v, str) else "")
def test_check_all_reads_the_policies_other_checks_read_only_later(repo: RecordsRepo, rel: str, content: bytes,
                                                                   fragments: tuple[str, ...]) -> None:
    """Push destinations are read at a push and incident deadlines once there is an incident:
    `check --all` names such a file broken by hand today, before it is relied on."""
    before = repo.saiken("check", "--all")
    path = repo.root / rel
    if path.exists():
        with replaced(repo, rel, content):
            res = repo.saiken("check", "--all")
    else:
        path.write_bytes(content)
        try:
            res = repo.saiken("check", "--all")
        finally:
            path.unlink()
    assert_japanese_error(res, rel, *fragments)
    assert "エラー: policies/" not in before.stderr and repo.saiken("check", "--all").stdout == before.stdout


def test_a_word_for_false_does_not_leave_a_handler_active(repo: RecordsRepo) -> None:
    """`active: いいえ` is the text "いいえ" to YAML – true to Python; the record must not stay
    readable by a handler the ward meant to remove (terms 10, 13)."""
    text = (repo.root / HANDLERS).read_text(encoding="utf-8")
    assert "\n    active: true" in text
    with replaced(repo, HANDLERS, text.replace("\n    active: true", "\n    active: いいえ", 1).encode("utf-8")):
        res = repo.saiken("case", "log", "C-TEST0001", "--kind", "電話", "--note", "架空の相談")
    assert_japanese_error(res, "handlers[0]: active は true か false です（いいえ）", "saiken handler deactivate")


@pytest.mark.parametrize("command", [("case", "show", "C-TEST0001"), ("case", "list"),
                                     ("case", "log", "C-TEST0001", "--kind", "電話", "--note", "架空の相談"),
                                     ("rekey",)], ids=" ".join)
def test_a_damaged_record_names_the_command_that_restores_it(repo: RecordsRepo, command: tuple[str, ...]) -> None:
    whole = (repo.root / RECORD).read_bytes()
    with replaced(repo, RECORD, whole[: len(whole) // 3]):
        res = repo.saiken(*command)
        assert (repo.root / RECORD).read_bytes() == whole[: len(whole) // 3], "the damaged file is left for git"
    assert_japanese_error(res, "C-TEST0001", "git checkout -- records/")


@pytest.mark.parametrize("command", [("case", "show", "C-TEST0001"), ("case", "list")], ids=" ".join)
def test_a_folder_where_a_record_should_be(repo: RecordsRepo, command: tuple[str, ...]) -> None:
    with replaced(repo, RECORD, None):
        res = repo.saiken(*command)
    assert_japanese_error(res, RECORD, "ファイルではなくフォルダです")


def test_a_shift_jis_source_file_is_refused_with_the_conversion(repo: RecordsRepo, tmp_path: Path) -> None:
    source = tmp_path / "事案.yaml"
    text = (FIXTURES / "case-fictional.yaml").read_text(encoding="utf-8").replace("C-TEST0001", "C-TEST0002")
    source.write_bytes(text.encode("cp932"))
    res = repo.saiken("case", "new", "--from", str(source))
    assert_japanese_error(res, str(source), "Shift_JIS（CP932）", f"iconv -f CP932 -t UTF-8 {source}")
    assert not (repo.root / record_rel("C-TEST0002")).exists()
    assert repo.git("status", "--porcelain") == ""


def test_a_shift_jis_ledger_file_is_named_and_left_alone(repo: RecordsRepo) -> None:
    rel = "ledger/trainings.yaml"
    path = repo.root / rel
    path.parent.mkdir(exist_ok=True)
    data = "# 従事者教育の実施記録（架空）\ntrainings:\n  - {date: 2021-05-01, attendees: [otsu-01], topic: 研修}\n"
    path.write_bytes(data.encode("cp932"))
    try:
        res = repo.saiken("ledger", "training", "--attendees", "otsu-01", "--date", "2021-06-01")
        assert_japanese_error(res, rel, "Shift_JIS（CP932）", "iconv -f CP932")
        assert path.read_bytes() == data.encode("cp932")
    finally:
        path.unlink()


# --- outputs and periods ------------------------------------------------------------------------------

@pytest.mark.parametrize("command", [("report", "handlers"), ("ledger", "handovers")], ids=" ".join)
def test_an_output_file_that_exists_is_not_overwritten(repo: RecordsRepo, command: tuple[str, ...]) -> None:
    kept = repo.root / "mkdocs-like.yml"
    kept.write_text("site_name: 架空\n", encoding="utf-8")
    try:
        res = repo.saiken(*command, "--out", kept.name)
        assert_japanese_error(res, kept.name, "上書きはしません", "--out で別のファイル名")
        assert kept.read_text(encoding="utf-8") == "site_name: 架空\n"
        res = repo.saiken(*command, "--out", f"{kept.name}/sub.md")
        assert_japanese_error(res, "書き込めません")
    finally:
        kept.unlink()


def test_a_report_markdown_in_shift_jis_is_refused(repo: RecordsRepo, tmp_path: Path) -> None:
    md = tmp_path / "報告.md"
    md.write_bytes("# 架空の報告\n".encode("cp932"))
    res = repo.saiken("report", "pdf", str(md))
    assert_japanese_error(res, str(md), "UTF-8 のテキストではありません")
    assert not md.with_suffix(".pdf").exists()




def test_a_period_that_ends_before_it_begins_is_refused(repo: RecordsRepo) -> None:
    res = repo.saiken("doc", "交渉記録報告書", "C-TEST0001", "--from", "2022-03-31", "--to", "2021-04-01")
    assert_japanese_error(res, "--from（2022-03-31）", "--to（2021-04-01）", "saiken doc 交渉記録報告書 --from")
    assert not (repo.root / "ledger" / "exports.yaml").exists() and not (repo.root / "out").exists()


def test_a_recovery_rate_written_as_a_word_is_named_in_the_site_build(repo: RecordsRepo) -> None:
    """A value that crashed inside the mkdocs plugin printed mkdocs' traceback; now the plugin says
    what and where, and the site build does not suggest --no-strict as the fix."""
    shutil.copy(ROOT / "mkdocs.yml", repo.root / "mkdocs.yml")
    shutil.copytree(ROOT / "docs", repo.root / "docs")
    shutil.copytree(ROOT / "policies", repo.root / "policies", dirs_exist_ok=True,
                    ignore=lambda folder, names: [n for n in names if (repo.root / "policies" / n).exists()])
    (repo.root / "policies" / "publication.yaml").write_text("baseline_recovery_rate: 八パーセント\n", encoding="utf-8")
    (repo.root / "ledger").mkdir(exist_ok=True)
    (repo.root / "ledger" / "aggregates.yaml").write_text(
        "fiscal_years:\n  - {fiscal_year: 2021, cases: 12, by_status: {督促中: 6, 分納中: 6}, assessed: 3600000,"
        " collected: 420000, written_off: 0, as_of: 2022-03-31}\n", encoding="utf-8")
    try:
        res = repo.saiken("site", "build")
        assert_japanese_error(res, "policies/publication.yaml: baseline_recovery_rate は 0 から 1 までの小数です",
                              "上の「エラー:」の行")
        res = repo.saiken("council", "export", "--results")
        assert_japanese_error(res, "baseline_recovery_rate は 0 から 1 までの小数です（8 % なら 0.08。今は 八パーセント）")
    finally:
        repo.git("clean", "-fdq")


@pytest.mark.parametrize("content", ["exports: [閉じていない\n".encode("utf-8"),
                                     "# 出力記録\nexports:\n  - 手で書いた行\n".encode("utf-8"),
                                     "# 出力記録\nexports: []\n".encode("cp932")], ids=["yaml", "entry", "sjis"])
def test_no_document_is_made_while_the_export_log_does_not_read(repo: RecordsRepo, content: bytes) -> None:
    """ledger/exports.yaml is only appended to; an entry appended to a log that does not read could
    not be traced (terms 7, 9): the document is refused before any file or folder is made."""
    shutil.copytree(ROOT / "policies" / "templates", repo.root / "policies" / "templates")
    log = repo.root / "ledger" / "exports.yaml"
    log.parent.mkdir(exist_ok=True)
    log.write_bytes(content)
    try:
        res = repo.saiken("doc", "督促状", "C-TEST0001")
        assert_japanese_error(res, "ledger/exports.yaml")
        assert log.read_bytes() == content
        assert not (repo.root / "out").exists()
    finally:
        repo.git("clean", "-fdq")


def test_a_range_naming_no_commit_is_named(repo: RecordsRepo) -> None:
    res = repo.saiken("check", "--range", "origin/mian..HEAD")
    assert_japanese_error(res, "「origin/mian」というコミット（ブランチ・タグ）が見つかりません", "git branch -a")
    assert "fatal:" not in res.stderr


def test_receipts_that_are_not_a_list_are_named(repo: RecordsRepo) -> None:
    path = repo.root / "ledger" / "receipts.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text("receipts: 受領済み\n", encoding="utf-8")
    try:
        res = repo.saiken("ledger", "handovers")
        assert_japanese_error(res, "ledger/receipts.yaml: 「receipts:」の下に受領確認を「- 」で並べてください",
                              "git checkout -- ledger/receipts.yaml")
    finally:
        path.unlink()


@pytest.mark.parametrize("rel, old, new, args, fragments", [
    ("policies/council-report.yaml", "fiscal_year: 2021", "fiscal_year: 令和3", (),
     ("「fiscal_year」は整数（西暦の年）で書いてください（令和3）",)),
    ("policies/council-report.yaml", "fiscal_years: {from: 2023}", "fiscal_years: {from: 令和5年度}", ("--fy", "2026"),
     ("legal_basis[1].fiscal_years: 「from」は整数（西暦の年）で書いてください（令和5年度）",)),
    ("ledger/aggregates.yaml", "collected: 420000", "collected: 42万円", ("--fy", "2021"),
     ("fiscal_years[0]: collected は 0 以上の整数（円）です（42万円）", "git checkout -- ledger/aggregates.yaml")),
], ids=["fiscal_year", "legal_basis", "aggregates"])
def test_the_council_report_names_a_value_of_the_wrong_kind(repo: RecordsRepo, rel: str, old: str, new: str,
                                                            args: tuple[str, ...], fragments: tuple[str, ...]) -> None:
    shutil.copytree(ROOT / "policies", repo.root / "policies", dirs_exist_ok=True,
                    ignore=lambda folder, names: [n for n in names if (repo.root / "policies" / n).exists()])
    (repo.root / "ledger").mkdir(exist_ok=True)
    (repo.root / "ledger" / "aggregates.yaml").write_text(
        "fiscal_years:\n  - {fiscal_year: 2021, cases: 12, by_status: {督促中: 6, 分納中: 6}, assessed: 3600000,"
        " collected: 420000, written_off: 0, as_of: 2022-03-31}\n", encoding="utf-8")
    path = repo.root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    try:
        res = repo.saiken("council", "export", *args, "--results", "--out", "council-out")
        assert_japanese_error(res, rel, *fragments)
        assert not (repo.root / "council-out").exists()
    finally:
        repo.git("clean", "-fdq")


def test_init_names_a_file_on_the_way_and_suggests_a_real_folder_name(repo: RecordsRepo, tmp_path: Path) -> None:
    blocker = tmp_path / "メモ.txt"
    blocker.write_text("架空\n", encoding="utf-8")
    res = run(tmp_path, "init", str(blocker / "records"))
    assert_japanese_error(res, f"途中の {blocker} がフォルダではない")
    res = run(repo.root, "init", ".")
    assert_japanese_error(res, "フォルダが空ではありません", f"（例: {repo.root.name}-new）")


def test_a_question_without_a_terminal_says_how_to_answer_it(repo: RecordsRepo) -> None:
    contract = repo.root / "policies" / "contract.yaml"
    original = contract.read_text(encoding="utf-8")
    contract.write_text(original.replace("end: null", "end: 2022-03-31"), encoding="utf-8")
    records = sorted((repo.root / "records").iterdir())
    try:  # erase checks and searches first, then asks before destroying anything
        res = repo.saiken("erase", "--as", "乙", "--as-of", "2022-04-01")
    finally:
        contract.write_text(original, encoding="utf-8")
    assert res.returncode == 130
    assert_japanese_error(res, "確認の質問に答えられないため、中止しました", "--yes", "`saiken erase --help`")
    assert sorted((repo.root / "records").iterdir()) == records and repo.identity.exists()


def test_a_wareki_date_in_a_new_record_gets_its_gregorian_form(repo: RecordsRepo, tmp_path: Path) -> None:
    source = tmp_path / "事案.yaml"
    text = (FIXTURES / "case-fictional.yaml").read_text(encoding="utf-8").replace("C-TEST0001", "C-TEST0003")
    source.write_text(text.replace("birth_date: 1995-04-02", "birth_date: 平成7年4月2日"), encoding="utf-8")
    res = repo.saiken("case", "new", "--from", str(source))
    assert_japanese_error(res, "parties[0].birth_date: 和暦は使えません。西暦で 1995-04-02 と書いてください")
    source.write_text(text, encoding="utf-8")
    res = repo.saiken("case", "new", "--from", str(source), "--id", "C-TEST0004")
    assert_japanese_error(res, "--id（C-TEST0004）が一致しません", "--id を省くか")
    assert repo.git("status", "--porcelain") == ""


def test_the_worklist_goes_on_past_a_damaged_record_and_says_how_to_restore_it(repo: RecordsRepo) -> None:
    whole = (repo.root / RECORD).read_bytes()
    with replaced(repo, RECORD, whole[:200]):
        res = repo.saiken("worklist")
    assert res.returncode == 0 and "Traceback" not in res.stderr
    assert f"注意: {RECORD}: " in res.stderr and f"（対処: `git checkout -- {RECORD}`" in res.stderr, res.stderr


SECRET = "架空秘密"   # record text that must not reach the terminal through an error message
BAD_RECORDS = {
    "schema": ("C-BAD00001", (FIXTURES / "case-fictional.yaml").read_text(encoding="utf-8")
               .replace("C-TEST0001", "C-BAD00001").replace("birth_date: 1995-04-02", f"birth_date: {SECRET}")
               .replace("    sex: 男\n", f"    sex: 男\n    {SECRET}: 1\n"),
               "項目に誤りがあります（parties[0].birth_date、parties[0].〔省略〕）", "saiken case edit C-BAD00001"),
    "yaml": ("C-BAD00002", f"case_id: C-BAD00002\nstatus: [督促中 {SECRET}\n", "YAML として読めません（",
             "saiken case edit C-BAD00002"),
    "truncated": ("C-BAD00003", None, "", f"git checkout -- {record_rel('C-BAD00003')}"),
    "file name": ("\x1b[2J山田", "case_id: C-BAD00004\n", "ファイル名が「事案番号.yaml.age」の形ではありません",
                  "git status records/"),
}


@pytest.mark.parametrize("kind", BAD_RECORDS)
def test_case_list_lists_what_it_can_and_names_the_bad_file(repo: RecordsRepo, kind: str) -> None:
    name, text, problem, fix = BAD_RECORDS[kind]
    path = repo.root / record_rel(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = crypto.encrypt((text or "case_id: x\n").encode("utf-8"), [crypto.RecipientKey.parse(repo.public)])
    path.write_bytes(data[:150] if text is None else data)
    try:
        table = repo.saiken("case", "list")
        as_json = repo.saiken("case", "list", "--format", "json")
    finally:
        path.unlink()
    assert table.returncode == 1 and as_json.returncode == 1
    assert "C-TEST0001" in table.stdout and "計 1 件" in table.stdout            # the good record is listed
    assert [row["case_id"] for row in json.loads(as_json.stdout)] == ["C-TEST0001"]
    shown = name.replace("\x1b", "\\x1b")
    shown_path = record_rel(name).replace("\x1b", "\\x1b")
    assert table.stderr.startswith(f"エラー: {shown_path}: 一覧に入れていません。{problem}"), table.stderr
    assert fix in table.stderr and "エラー: 読めない記録が 1 件あり" in table.stderr
    assert table.stderr.rstrip().splitlines()[-1].startswith("対処: ")
    for out in (table, as_json):
        assert SECRET not in out.stdout + out.stderr and "\x1b" not in out.stderr and "Traceback" not in out.stderr
