"""The git drivers with real git, real age and real pre-commit in temp repositories.

Fictional people only (tests/fixtures/case-fictional.yaml: 架空 一郎).
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from saiken.core import agefile, crypto, stanzas
from saiken.core import recipients as rcpt
from saiken.core.records import Store
from saiken.git import gitdrivers
from saiken.core.layout import manifest_rel, record_rel

CASE = "C-TEST0001"
RECORD = record_rel(CASE)
# Strings of the fictional record that must never reach .git in plaintext (the author name 架空 does).
SECRETS = ["一郎", "イチロウ", "ichiro@example.invalid", "架空町", "分納の相談あり"]
PLACEHOLDER = "暗号化された記録（お手元の鍵では開けません）"


def write(repo, text: str) -> None:  # type: ignore[no-untyped-def]
    """Write the record as `saiken case edit` would: validate, normalise, encrypt to the handlers."""
    store = Store.open(repo.root)
    normalised, _ = store.normalise_text(text)
    store.write_text(CASE, normalised)


def show(repo) -> str:  # type: ignore[no-untyped-def]
    return repo.saiken("case", "show", CASE, check=True).stdout


def run_git(repo, *args: str) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    return subprocess.run(["git", *args], cwd=repo.root, capture_output=True, text=True, env=repo.env)


def all_objects(repo) -> bytes:  # type: ignore[no-untyped-def]
    return subprocess.run(["git", "cat-file", "--batch-all-objects", "--batch"], cwd=repo.root,
                          capture_output=True, env=repo.env, check=True).stdout


def assert_no_plaintext_in_git(repo) -> None:  # type: ignore[no-untyped-def]
    blob = all_objects(repo)
    assert len(blob) > 1000
    for secret in SECRETS:
        assert secret.encode() not in blob, secret
    assert "notes" not in repo.git("for-each-ref", "--format=%(refname)")


@pytest.fixture
def repo(records_repo, fictional_case_text):  # type: ignore[no-untyped-def]
    """A records repo with git-setup done and the fictional case committed on main."""
    records_repo.saiken("git-setup", check=True)
    records_repo.saiken("case", "new", "--from", "-", input=fictional_case_text, check=True)
    records_repo.git("add", "-A")
    records_repo.git("commit", "-q", "-m", "事案を追加")
    return records_repo


def branch_edit(repo, branch: str, *pairs: tuple[str, str], base: str = "main") -> None:  # type: ignore[no-untyped-def]
    """On `branch` (created from `base` if new), replace text in the record and commit."""
    existing = repo.git("branch", "--list", branch).strip()
    repo.git("checkout", "-q", *([] if existing else ["-b"]), branch, *([] if existing else [base]))
    text = show(repo)
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new, 1)
    write(repo, text)
    repo.git("commit", "-q", "-am", f"{branch} の変更")


HISTORY_LINE = "note: 分納の相談あり, acknowledged: true}"


# --- setup ------------------------------------------------------------------------------------

def test_git_setup_writes_attributes_and_config_idempotently(records_repo) -> None:  # type: ignore[no-untyped-def]
    (records_repo.root / ".gitattributes").write_text("*.pdf binary\n*.age diff=other\n")
    first = records_repo.saiken("git-setup")
    second = records_repo.saiken("git-setup")
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert ".gitattributes を更新しました" in first.stdout
    assert ".gitattributes" not in second.stdout
    attributes = (records_repo.root / ".gitattributes").read_text().splitlines()
    assert attributes.count("*.age diff=saiken merge=saiken") == 1
    local = (records_repo.root / ".git" / "info" / "attributes").read_text().splitlines()
    assert local.count("records/*/*/manifest.yaml merge=union") == 1  # every bucket manifest, not committed
    assert "*.pdf binary" in attributes and "*.age diff=other" not in attributes
    config = records_repo.git("config", "--local", "--list")
    textconv = records_repo.git("config", "--local", "diff.saiken.textconv").strip()
    python, *rest = shlex.split(textconv)
    assert rest == ["-m", "saiken", "git", "textconv"]
    assert Path(python).is_absolute() and Path(python).parent == Path(sys.executable).parent
    assert "diff.saiken.cachetextconv=false" in config
    assert f"merge.saiken.driver={shlex.quote(python)} -m saiken git merge %O %A %B %P" in config
    assert "merge.saiken.name=" in config
    assert config.count("diff.saiken.textconv") == 1


def test_git_setup_installs_pre_commit_hooks_only_when_configured(records_repo) -> None:  # type: ignore[no-untyped-def]
    hooks = records_repo.root / ".git" / "hooks"
    records_repo.saiken("git-setup", check=True)
    assert not (hooks / "pre-commit").exists()
    (records_repo.root / ".pre-commit-config.yaml").write_text(
        "repos:\n- repo: local\n  hooks:\n  - id: noop\n    name: noop\n    entry: 'true'\n    language: system\n")
    result = records_repo.saiken("git-setup")
    assert result.returncode == 0, result.stderr
    assert "pre-commit のフック" in result.stdout
    for name in ("pre-commit", "commit-msg", "pre-push"):
        assert "pre-commit" in (hooks / name).read_text(), name


def test_git_setup_outside_a_git_repository_says_so(tmp_path, records_repo) -> None:  # type: ignore[no-untyped-def]
    result = subprocess.run([str(Path(sys.executable).parent / "saiken"), "git-setup"], cwd=tmp_path,
                            capture_output=True, text=True, env={**records_repo.env, "GIT_CEILING_DIRECTORIES": str(tmp_path.parent)})
    assert result.returncode == 1
    assert "Git リポジトリの中ではありません" in result.stderr and "git init" in result.stderr


def test_library_setup_matches_command(records_repo) -> None:  # type: ignore[no-untyped-def]
    done = gitdrivers.setup(records_repo.root)
    assert any(".gitattributes" in d for d in done)
    assert records_repo.git("config", "--local", "diff.saiken.cachetextconv").strip() == "false"


# --- textconv ---------------------------------------------------------------------------------

def test_diff_and_log_show_decrypted_changes_to_a_holder(repo) -> None:  # type: ignore[no-untyped-def]
    text = show(repo).replace("status: 督促中", "status: 交渉中")
    write(repo, text)
    diff = repo.git("diff")
    assert "-status: 督促中" in diff and "+status: 交渉中" in diff
    repo.git("commit", "-q", "-am", "処理状況を変更")
    log = repo.git("log", "-p", "--", RECORD)
    assert "+status: 交渉中" in log
    assert "+    name: {family: 架空, given: 一郎" in log  # the first commit, decrypted
    assert_no_plaintext_in_git(repo)


def test_non_holder_sees_placeholder_and_git_keeps_working(repo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    write(repo, show(repo).replace("status: 督促中", "status: 交渉中"))
    repo.git("commit", "-q", "-am", "処理状況を変更")
    stranger = tmp_path / "stranger.key"
    secret, public = crypto.generate_identity()
    stranger.write_text(crypto.identity_file_text(secret, public, "test"))
    stranger.chmod(0o600)
    for identity in (str(stranger), str(tmp_path / "missing.key")):
        result = subprocess.run(["git", "log", "-p", "--", RECORD], cwd=repo.root, capture_output=True, text=True,
                                env={**repo.env, "SAIKEN_IDENTITY": identity})
        assert result.returncode == 0, result.stderr
        assert result.stdout.count(PLACEHOLDER) == 2  # once per commit (a context line)
        assert "\n-# 暗号文 SHA-256: " in result.stdout and "\n+# 暗号文 SHA-256: " in result.stdout
        assert "# 宛先: 1 件（X25519）" in result.stdout
        assert "督促中" not in result.stdout and "一郎" not in result.stdout


def test_textconv_prints_a_plain_file_as_it_is(repo) -> None:  # type: ignore[no-untyped-def]
    result = repo.saiken("git", "textconv", "policies/contract.yaml")
    assert result.returncode == 0
    assert result.stdout == (repo.root / "policies" / "contract.yaml").read_text()


def test_textconv_of_a_damaged_record_prints_placeholder(repo) -> None:  # type: ignore[no-untyped-def]
    path = repo.root / RECORD
    path.write_bytes(path.read_bytes()[:-40])
    result = repo.saiken("git", "textconv", RECORD)
    assert result.returncode == 0
    assert PLACEHOLDER in result.stdout and "理由:" in result.stdout


# --- merge ------------------------------------------------------------------------------------

def test_merge_of_different_fields_succeeds_via_the_driver(repo) -> None:  # type: ignore[no-untyped-def]
    branch_edit(repo, "theirs", ("status: 督促中", "status: 交渉中"))
    branch_edit(repo, "main", ('phone: "03-0000-0001"', 'phone: "03-0000-0009"'),
                ("principal: 1080000", "principal: 1080000  # 当初の貸付額"))
    result = run_git(repo, "merge", "-q", "--no-edit", "theirs")
    assert result.returncode == 0, result.stdout + result.stderr
    merged = show(repo)
    assert "status: 交渉中" in merged and 'phone: "03-0000-0009"' in merged
    assert "principal: 1080000  # 当初の貸付額" in merged  # ours' comment kept
    assert (repo.root / RECORD).read_bytes().startswith(b"age-encryption.org/v1\n")
    assert repo.git("status", "--porcelain") == ""
    assert_no_plaintext_in_git(repo)
    assert_stanzas_proven(repo)


def assert_stanzas_proven(repo) -> None:  # type: ignore[no-untyped-def]
    """The driver writes a record as every writer does: its stanzas are the active handlers', provably."""
    header, _ = agefile.parse((repo.root / RECORD).read_bytes())
    keys = rcpt.holders(crypto.load_identities([repo.identity]))
    expected = rcpt.Expected.from_policy(Store.open(repo.root).policy)
    assert stanzas.prove(header, keys, expected.handlers).state == stanzas.PROVEN


def test_history_appended_on_both_branches_is_all_kept(repo) -> None:  # type: ignore[no-untyped-def]
    theirs_entry = "\n  - {at: 2021-06-01 10:00:00, kind: 面談, by: otsu-01, note: 来所して相談}"
    ours_entry = "\n  - {at: 2021-06-02 09:30:00, kind: 督促状送付, by: otsu-01}"
    branch_edit(repo, "theirs", (HISTORY_LINE, HISTORY_LINE + theirs_entry))
    branch_edit(repo, "main", (HISTORY_LINE, HISTORY_LINE + ours_entry),
                ("  payments:\n", "  payments:\n    - {date: 2021-05-27, amount: 9000}\n"))
    result = run_git(repo, "merge", "--no-edit", "theirs")
    assert result.returncode == 0, result.stdout + result.stderr
    merged = show(repo)
    first, ours_at, theirs_at = (merged.index(s) for s in ("分納の相談あり", "督促状送付", "来所して相談"))
    assert first < ours_at < theirs_at
    assert merged.count("kind:") == 3
    assert "2021-05-27" in merged


def test_a_time_zone_written_on_the_other_branch_survives_the_merge(repo) -> None:  # type: ignore[no-untyped-def]
    # ruamel's TimeStamp loses its time zone when deep-copied: the driver must not copy it that way
    theirs_entry = "\n  - {at: 2021-06-01 10:00:00+09:00, kind: 面談, by: otsu-01, note: 来所して相談}"
    branch_edit(repo, "theirs", (HISTORY_LINE, HISTORY_LINE + theirs_entry))
    branch_edit(repo, "main", ("status: 督促中", "status: 交渉中"))
    result = run_git(repo, "merge", "--no-edit", "theirs")
    assert result.returncode == 0, result.stdout + result.stderr
    merged = show(repo)
    assert "+09:00" in merged and "来所して相談" in merged and "status: 交渉中" in merged


def test_real_conflict_fails_clearly_and_leaves_ours_encrypted(repo) -> None:  # type: ignore[no-untyped-def]
    branch_edit(repo, "theirs", ("status: 督促中", "status: 交渉中"), (HISTORY_LINE, HISTORY_LINE.replace("あり", "あり（再）")))
    branch_edit(repo, "main", ("status: 督促中", "status: 分納中"), (HISTORY_LINE, HISTORY_LINE.replace("true", "false")))
    result = run_git(repo, "merge", "--no-edit", "theirs")
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert f"事案 {CASE} の記録で、両方のブランチが同じ項目を別々に変更しています" in output
    assert "競合した項目: status" in output
    assert f"saiken case edit {CASE}" in output and "git checkout --ours" in output
    for value in ("交渉中", "分納中", "一郎"):
        assert value not in output  # field paths only, never values
    data = (repo.root / RECORD).read_bytes()
    assert data.startswith(b"age-encryption.org/v1\n")
    assert b"<<<<<<<" not in data and "一郎".encode() not in data
    assert "status: 分納中" in show(repo)  # ours, still a valid record
    assert repo.git("status", "--porcelain").startswith("UU ")


def test_note_edited_on_one_side_and_history_appended_on_the_other(repo) -> None:  # type: ignore[no-untyped-def]
    branch_edit(repo, "theirs", (HISTORY_LINE, HISTORY_LINE + "\n  - {at: 2021-07-01 10:00:00, kind: 電話, by: otsu-01}"))
    branch_edit(repo, "main", ("note: 分納の相談あり", "note: 分納の相談あり 月 5000 円"))
    result = run_git(repo, "merge", "--no-edit", "theirs")
    assert result.returncode == 0, result.stdout + result.stderr
    merged = show(repo)
    assert "分納の相談あり 月 5000 円" in merged and "2021-07-01 10:00:00" in merged


def test_merge_result_that_breaks_the_schema_is_a_conflict(repo) -> None:  # type: ignore[no-untyped-def]
    guarantor = '  - id: p2\n    role: guarantor\n    name: {family: 架空, given: 花子}\n' \
                '    address: {postal_code: "160-0000", line: 東京都新宿区架空町1-2-3}\n'
    branch_edit(repo, "theirs", (HISTORY_LINE, HISTORY_LINE + "\n  - {at: 2021-07-01 10:00:00, kind: 電話, by: otsu-01, party: p2}"))
    branch_edit(repo, "main", (guarantor, ""))
    result = run_git(repo, "merge", "--no-edit", "theirs")
    assert result.returncode != 0
    assert "記録の定義に合わなくなります" in result.stderr and "history[1].party" in result.stderr
    assert (repo.root / RECORD).read_bytes().startswith(b"age-encryption.org/v1\n")


def test_both_branches_adding_the_same_case_merge_without_a_base(records_repo, fictional_case_text) -> None:  # type: ignore[no-untyped-def]
    repo = records_repo
    repo.saiken("git-setup", check=True)
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "設定")
    extra = "\n  - {at: 2021-08-01 10:00:00, kind: 来所, by: otsu-01}"
    repo.git("checkout", "-q", "-b", "theirs")
    write(repo, fictional_case_text)
    write(repo, show(repo).replace(HISTORY_LINE, HISTORY_LINE + extra))
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "相手側で追加")
    repo.git("checkout", "-q", "main")
    write(repo, fictional_case_text)
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "自分側で追加")
    result = run_git(repo, "merge", "--no-edit", "theirs")
    assert result.returncode == 0, result.stdout + result.stderr
    merged = show(repo)
    assert merged.count("kind:") == 2 and "2021-08-01 10:00:00" in merged


def test_merge_without_a_fitting_identity_stops_and_keeps_ours(repo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    branch_edit(repo, "theirs", ("status: 督促中", "status: 交渉中"))
    branch_edit(repo, "main", ('phone: "03-0000-0001"', 'phone: "03-0000-0009"'))
    ours = (repo.root / RECORD).read_bytes()
    stranger = tmp_path / "stranger.key"
    secret, public = crypto.generate_identity()
    stranger.write_text(crypto.identity_file_text(secret, public, "test"))
    stranger.chmod(0o600)
    result = subprocess.run(["git", "merge", "--no-edit", "theirs"], cwd=repo.root, capture_output=True, text=True,
                            env={**repo.env, "SAIKEN_IDENTITY": str(stranger)})
    assert result.returncode != 0
    assert f"事案 {CASE} の記録を読めないため、自動で統合できません" in result.stderr
    assert "宛先に含まれていません" in result.stderr
    assert (repo.root / RECORD).read_bytes() == ours


def test_merge_encrypts_to_the_handlers_after_the_merge(repo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    repo.git("checkout", "-q", "-b", "theirs")
    new_key, _ = repo.add_handler("otsu-02")
    write(repo, show(repo).replace("status: 督促中", "status: 交渉中"))  # encrypted to otsu-01 and otsu-02
    repo.git("commit", "-q", "-am", "取扱者を追加")
    repo.git("checkout", "-q", "main")
    branch_edit(repo, "main", ('phone: "03-0000-0001"', 'phone: "03-0000-0009"'))
    result = run_git(repo, "merge", "--no-edit", "theirs")
    assert result.returncode == 0, result.stdout + result.stderr
    for key in (repo.identity, new_key):
        merged = repo.saiken("case", "show", CASE, env={"SAIKEN_IDENTITY": str(key)})
        assert merged.returncode == 0, merged.stderr
        assert "status: 交渉中" in merged.stdout and 'phone: "03-0000-0009"' in merged.stdout


# --- a textconv cache turned on by hand --------------------------------------------------------------

def test_textconv_cache_is_reported_by_check_all_and_removed_by_git_setup(repo) -> None:  # type: ignore[no-untyped-def]
    """`git config diff.saiken.cachetextconv true` makes `git log -p` store decrypted records under
    refs/notes/textconv: `check --all` names it, `git-setup` turns it off and wipes it from .git."""
    write(repo, (Path(__file__).parent / "fixtures" / "case-fictional.yaml").read_text(encoding="utf-8")
          .replace("分納の相談あり", "分納の相談あり（二回目）"))
    repo.git("commit", "-qam", "経過を追加")
    repo.git("config", "diff.saiken.cachetextconv", "true")
    repo.git("log", "-p", "--", RECORD)
    notes = repo.git("for-each-ref", "--format=%(refname)", "refs/notes/textconv/").split()
    assert notes == ["refs/notes/textconv/saiken"]
    assert b"\xe4\xb8\x80\xe9\x83\x8e" in all_objects(repo)  # the premise: 一郎 in plain inside .git

    r = repo.saiken("check", "--all")
    found = [line for line in r.stdout.splitlines() if "[textconv_cache]" in line]
    assert r.returncode == 1 and len(found) == 2, r.stdout
    assert "diff.saiken.cachetextconv が true です" in found[0] and ".git/config" in found[0]
    assert ".git:refs/notes/textconv/saiken" in found[1] and "saiken git-setup" in found[1]
    assert "特記事項8・9" in found[0]

    r = repo.saiken("git-setup", check=True)
    assert "diff.saiken.cachetextconv を false にしました" in r.stdout
    assert "refs/notes/textconv/saiken）を削除し、.git から消去しました" in r.stdout
    assert repo.git("config", "diff.saiken.cachetextconv").strip() == "false"
    assert_no_plaintext_in_git(repo)
    assert not [line for line in repo.saiken("check", "--all").stdout.splitlines() if "[textconv_cache]" in line]
    repo.git("log", "-p", "--", RECORD)  # and git caches nothing again
    assert repo.git("for-each-ref", "refs/notes/") == ""


def test_textconv_cache_set_in_the_users_own_gitconfig_is_overridden(repo) -> None:  # type: ignore[no-untyped-def]
    home_config = Path(repo.env["HOME"]) / ".gitconfig"
    home_config.write_text("[diff \"saiken\"]\n\tcachetextconv = true\n", encoding="utf-8")
    repo.git("config", "--local", "--unset", "diff.saiken.cachetextconv")
    found = [line for line in repo.saiken("check", "--all").stdout.splitlines() if "[textconv_cache]" in line]
    assert len(found) == 1 and ".gitconfig" in found[0]
    repo.saiken("git-setup", check=True)
    repo.git("log", "-p", "--", RECORD)
    assert repo.git("for-each-ref", "refs/notes/") == ""
    assert home_config.read_text(encoding="utf-8").count("cachetextconv = true") == 1  # the user's file untouched
