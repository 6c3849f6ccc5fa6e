"""The local access log: every command that decrypts (or writes) a record appends exactly one
hash-chained, PII-free line – who, when, which case ids, which command (its option names, never a
value typed); `saiken access-log verify` finds a removed or altered line, and against the heads the
handover receipts carry (ledger/receipts.yaml) a log rewritten consistently from the start."""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
from pathlib import Path

import pytest
import yaml
from saiken.core.layout import manifest_rel, record_rel

from conftest import FIXTURES, ROOT, RecordsRepo, make_records_repo
from evidence_story import PERSONAL

pytestmark = pytest.mark.timeout(300)

CASES = ("C-TEST0001", "C-TEST0002")
YESTERDAY = (dt.date.today() - dt.timedelta(days=1)).isoformat()
POLICIES = ("handlers.yaml", "information-items.yaml", "contract.yaml", "special-terms.yaml", "prohibited-categories.yaml",
            "personal-data.yaml", "limitation.yaml", "worklist.yaml", "incidents.yaml")


def who(handler_id: str) -> dict[str, str]:
    email = f"{handler_id}@example.invalid"
    return {"GIT_AUTHOR_NAME": f"架空 {handler_id}", "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": f"架空 {handler_id}", "GIT_COMMITTER_EMAIL": email}


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> RecordsRepo:
    """otsu-01 (乙, whose key is SAIKEN_IDENTITY) and kou-01 (甲); two fictional cases committed by otsu-01."""
    r = make_records_repo(tmp_path_factory.mktemp("accesslog"), POLICIES)
    subprocess.run(["cp", "-r", str(ROOT / "policies" / "templates"), str(r.root / "policies")], check=True)
    r.add_handler("kou-01", org="甲", role="取扱責任者")
    text = (FIXTURES / "case-fictional.yaml").read_text(encoding="utf-8")
    for cid in CASES:
        r.saiken("case", "new", "--from", "-", input=text.replace("C-TEST0001", cid), check=True)
    r.saiken("git-setup", check=True)
    r.git("add", "-A")
    r.git("commit", "-qm", "記録を登録")
    return r


def log_lines(repo: RecordsRepo) -> list[list[str]]:
    path = repo.root / ".saiken" / "access.log"
    return [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def new_lines(repo: RecordsRepo, run: object) -> list[list[str]]:
    before = len(log_lines(repo))
    run()  # type: ignore[operator]
    return log_lines(repo)[before:]


ONE, TWO = "C-TEST0001", "C-TEST0001,C-TEST0002"
# (command, stdin, extra env, case ids logged, command as logged)
COMMANDS = [
    (("case", "show", ONE), None, {}, ONE, "case show"),
    (("case", "show", ONE, "--format", "json"), None, {}, ONE, "case show --format"),
    (("case", "edit", ONE), None, {"EDITOR": "true", "VISUAL": ""}, ONE, "case edit"),
    (("case", "log", ONE, "--kind", "電話", "--note", "分納の相談（架空）"), None, {}, ONE, "case log --kind --note"),
    (("case", "pay", ONE, "--date", YESTERDAY, "--amount", "100"), None, {}, ONE, "case pay --date --amount"),
    (("case", "list",), None, {}, TWO, "case list"),
    (("case", "list", "--names"), None, {}, TWO, "case list --names"),
    (("case", "list", "--names"), None, {"SAIKEN_PARALLEL_MIN": "1"}, TWO, "case list --names"),  # forked workers
    (("case", "limitation", ONE), None, {}, ONE, "case limitation"),
    (("worklist",), None, {}, TWO, "worklist"),
    (("doc", "dunning", ONE), None, {}, ONE, "doc 督促状"),
    (("report", "aggregates"), None, {}, TWO, "report aggregates"),
    (("check", "--all", "--no-cache"), None, {}, TWO, "check --all --no-cache"),
    (("git", "textconv", record_rel(ONE)), None, {}, ONE, "git textconv"),
]


@pytest.mark.parametrize(("args", "stdin", "env", "cases", "command"), COMMANDS, ids=[" ".join(c[0][:2]) + " ".join(c[2]) for c in COMMANDS])
def test_every_decrypting_command_writes_exactly_one_line(repo: RecordsRepo, args: tuple[str, ...], stdin: str | None,
                                                          env: dict[str, str], cases: str, command: str) -> None:
    added = new_lines(repo, lambda: repo.saiken(*args, input=stdin, env=env))
    # case ids in the order opened: check --all opens records in path (bucket folder) order
    assert [[line[1], ",".join(sorted(line[2].split(","))), line[3]] for line in added] == [["otsu-01", cases, command]]
    assert dt.datetime.fromisoformat(added[0][0]).tzinfo is not None


def test_case_new_and_export_medium_are_logged(repo: RecordsRepo, tmp_path: Path) -> None:
    text = (FIXTURES / "case-fictional.yaml").read_text(encoding="utf-8").replace("C-TEST0001", "C-TEST0009")
    added = new_lines(repo, lambda: repo.saiken("case", "new", "--from", "-", input=text, check=True))
    assert [line[1:4] for line in added] == [["otsu-01", "C-TEST0009", "case new --from"]]
    secret = tmp_path / "secret"
    secret.write_text("架空の合言葉-1234\n")
    secret.chmod(0o600)
    added = new_lines(repo, lambda: repo.saiken("export", "medium", "--cases", ONE, "--out", str(tmp_path / "cd"),
                                                 env={"SAIKEN_PASSPHRASE_FILE": str(secret)}, check=True))
    # the package's record, and those opened to make sure the ledger entry names nobody (pii_outside)
    assert [(line[1], line[3]) for line in added] == [("otsu-01", "export medium --cases --out")]
    assert added[0][2].split(",")[0] == ONE


def test_git_log_p_through_textconv_is_logged(repo: RecordsRepo) -> None:
    """`git log -p` runs saiken's textconv once per record version shown: one line each, as that handler."""
    added = new_lines(repo, lambda: repo.git("log", "-p", "-1", "--", record_rel(ONE)))
    assert added and all(line[1:4] == ["otsu-01", ONE, "git textconv"] for line in added)
    kou = {"SAIKEN_IDENTITY": str(repo.handlers["kou-01"][0])}
    added = new_lines(repo, lambda: repo.saiken("case", "show", ONE, env=kou, check=True))
    assert [line[1:4] for line in added] == [["kou-01", ONE, "case show"]]


def test_the_commit_hook_reading_a_staged_record_is_logged(repo: RecordsRepo) -> None:
    repo.saiken("case", "log", ONE, "--kind", "来所", "--note", "架空の来所", check=True)
    repo.git("add", "records")
    added = new_lines(repo, lambda: repo.saiken("hook", "pre-commit", check=True))
    # the staged record, and any other the hook opened to learn the names it looks for (pii_outside)
    assert [(line[1], line[3]) for line in added] == [("otsu-01", "hook pre-commit")]
    assert ONE in added[0][2].split(",")
    repo.git("commit", "-qm", "経過を追加", "--no-verify")


def test_commands_that_open_no_record_write_no_line(repo: RecordsRepo) -> None:
    for args in (("handler", "list"), ("access-log", "verify"), ("case", "show", "C-NONE0001")):
        assert new_lines(repo, lambda: repo.saiken(*args)) == [], args
    repo.saiken("check", "--all")
    assert new_lines(repo, lambda: repo.saiken("check", "--all")) == []  # answered from its cache: nothing opened


def test_a_record_named_after_a_person_puts_no_name_in_the_log(repo: RecordsRepo) -> None:
    """A file under records/ may be named anything – a name, a tab, a newline: the log takes case ids only."""
    odd = repo.root / "records" / "架空\t一郎\n.yaml.age"
    odd.write_bytes((repo.root / record_rel(ONE)).read_bytes())
    try:
        added = new_lines(repo, lambda: repo.saiken("check", "--all", "--no-cache"))
    finally:
        odd.unlink()
    assert len(added) == 1 and len(added[0]) == 5
    assert "?" in added[0][2].split(",") and ONE in added[0][2].split(",")
    assert "一郎" not in "\t".join(added[0])


def test_the_log_holds_no_personal_data_and_is_not_committed(repo: RecordsRepo) -> None:
    log = repo.root / ".saiken" / "access.log"
    text = log.read_text(encoding="utf-8")
    for word in (*PERSONAL, "分納の相談", "架空の来所"):
        assert word not in text
    assert oct(log.stat().st_mode & 0o777) == "0o600"
    assert repo.git("status", "--porcelain", "--", ".saiken") == ""  # git-ignored
    assert repo.git("status", "--porcelain", "--ignored", "--", ".saiken") == "!! .saiken/\n"
    r = repo.saiken("access-log", "verify")
    assert r.returncode == 0 and f"{len(text.splitlines())} 行" in r.stdout


# --- verify -------------------------------------------------------------------------------------------

@pytest.fixture
def logged(repo: RecordsRepo) -> tuple[RecordsRepo, Path, str]:
    """The repository with its log; each test tampers with it and the original is put back after."""
    log = repo.root / ".saiken" / "access.log"
    original = log.read_text(encoding="utf-8")
    yield repo, log, original
    log.write_text(original, encoding="utf-8")


def rechain(lines: list[str]) -> str:
    """The lines with every hash recomputed from the start: a consistent rewrite."""
    out, prev = [], "0" * 64
    for line in lines:
        fields = line.split("\t")
        fields[4] = prev
        line = "\t".join(fields)
        out.append(line)
        prev = hashlib.sha256(line.encode()).hexdigest()
    return "".join(line + "\n" for line in out)


def test_altered_line_is_found(logged: tuple[RecordsRepo, Path, str]) -> None:
    repo, log, original = logged
    log.write_text(original.replace("\tcase edit\t", "\tcase show\t"), encoding="utf-8")
    r = repo.saiken("access-log", "verify")
    n = next(i for i, line in enumerate(original.splitlines(), 1) if "\tcase edit\t" in line)
    assert r.returncode == 1 and "改ざんされています" in r.stderr and f"{n + 1} 行目" in r.stderr


def test_removed_line_is_found(logged: tuple[RecordsRepo, Path, str]) -> None:
    repo, log, original = logged
    lines = original.splitlines(keepends=True)
    log.write_text(lines[0] + "".join(lines[2:]), encoding="utf-8")
    r = repo.saiken("access-log", "verify")
    assert r.returncode == 1 and "2 行目: 直前の行のハッシュと一致しません" in r.stderr


def test_truncated_tail_is_found_against_the_noted_head(logged: tuple[RecordsRepo, Path, str]) -> None:
    repo, log, original = logged
    head = repo.saiken("access-log", "verify", check=True).stdout.split("ハッシュ ")[1].split("）")[0]
    log.write_text("".join(original.splitlines(keepends=True)[:-1]), encoding="utf-8")
    assert repo.saiken("access-log", "verify").returncode == 0  # alone, a shorter log looks whole
    r = repo.saiken("access-log", "verify", "--head", head)
    assert r.returncode == 1 and "末尾の行が削除された" in r.stderr
    log.write_text(original, encoding="utf-8")
    repo.saiken("case", "show", ONE, check=True)
    assert repo.saiken("access-log", "verify", "--head", head).returncode == 0  # a log that grew since is fine


def test_a_log_rewritten_from_the_start_is_caught_by_the_receipts_head(logged: tuple[RecordsRepo, Path, str]) -> None:
    """kou-01 receives 乙's handover: the signed receipt carries kou-01's log head. Removing a line
    and recomputing every hash makes a chain that checks alone – but not against the receipt."""
    repo, log, _ = logged
    kou = {"SAIKEN_IDENTITY": str(repo.handlers["kou-01"][0]), **who("kou-01")}
    repo.saiken("case", "show", "C-TEST0002", env=kou, check=True)
    handover = repo.git("log", "--format=%H", "--", "records").split()[-1]
    r = repo.saiken("ledger", "receive", handover, env=kou)
    assert r.returncode == 0, r.stderr
    receipts = (repo.root / "ledger" / "receipts.yaml").read_text(encoding="utf-8")
    lines = log.read_text(encoding="utf-8").splitlines()
    expected_head = hashlib.sha256(lines[-1].encode()).hexdigest()
    assert f"lines: {len(lines)}" in receipts and f"head: {expected_head}" in receipts
    for word in PERSONAL:
        assert word not in receipts
    repo.saiken("case", "show", ONE, check=True)  # the log goes on after the receipt
    ok = repo.saiken("access-log", "verify")
    assert ok.returncode == 0 and "受領確認の控え 1 件と照合済み" in ok.stdout, ok.stderr

    kept = log.read_text(encoding="utf-8").splitlines()
    hidden = next(i for i, line in enumerate(kept) if "\tkou-01\tC-TEST0002\tcase show\t" in line)
    log.write_text(rechain(kept[:hidden] + kept[hidden + 1:]), encoding="utf-8")
    r = repo.saiken("access-log", "verify")
    assert r.returncode == 1, r.stdout
    assert "ledger/receipts.yaml の受領確認 1 件目（kou-01" in r.stderr and "控えと一致しません" in r.stderr
    # the work tree's receipt made to fit the rewritten log: the committed one still holds
    receipts_file = repo.root / "ledger" / "receipts.yaml"
    data = yaml.safe_load(receipts_file.read_text(encoding="utf-8"))
    mark = data["receipts"][0]["access_log"]
    mark["lines"] -= 1  # the hidden line is gone from the rewritten log
    mark["head"] = hashlib.sha256(log.read_text(encoding="utf-8").splitlines()[mark["lines"] - 1].encode()).hexdigest()
    receipts_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    try:
        r = repo.saiken("access-log", "verify")
        assert r.returncode == 1 and "（コミット済みの版）" in r.stderr and "控えと一致しません" in r.stderr
    finally:
        repo.git("checkout", "--", "ledger/receipts.yaml")
    noted = yaml.safe_load(receipts)["receipts"][0]["access_log"]["lines"]
    log.write_text(rechain(kept[:noted - 1]), encoding="utf-8")  # cut back below the receipt's head
    r = repo.saiken("access-log", "verify")
    assert r.returncode == 1 and "末尾の行が削除されています" in r.stderr
