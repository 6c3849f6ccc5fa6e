"""The hooks where a change enters: the real pre-commit framework (pre-commit, commit-msg,
pre-push), git's server-side pre-receive in a bare repository, and `saiken check --range`.

One records repository per module (hooks installed with `pre-commit install`); every test leaves it
as it found it. Every person here is fictional (架空).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from saiken.core.layout import manifest_rel, record_rel
from test_checks import FAMILY, GIVEN, case_yaml
from test_redaction import add_leaks, assert_redacted

from conftest import VENV_BIN, RecordsRepo, _base_env, full_records_repo


def git(repo: RecordsRepo, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=repo.root, capture_output=True, text=True,
                          env={**repo.env, **(env or {})}, timeout=120)


def out(proc: subprocess.CompletedProcess[str]) -> str:
    return proc.stdout + proc.stderr


def make_bare(folder: Path, repo: RecordsRepo) -> Path:
    """A bare repository whose pre-receive runs saiken with a handler's identity (for names)."""
    subprocess.run(["git", "init", "-q", "--bare", str(folder)], check=True, env=repo.env)
    hook = folder / "hooks" / "pre-receive"
    hook.write_text(f"#!/bin/sh\nSAIKEN_IDENTITY='{repo.identity}' exec '{VENV_BIN / 'saiken'}' hook pre-receive\n")
    hook.chmod(0o755)
    return folder


def hooked_repo(tmp: Path) -> RecordsRepo:
    """A records repository with saiken's policies (the records-repository allow-list), otsu-01
    designated, the pre-commit hooks installed, and its first commit pushed to tmp/designated.git,
    whose pre-receive holds otsu-01's key."""
    r = full_records_repo(tmp)
    root = r.root
    bare = make_bare(tmp / "designated.git", r)
    (root / "policies" / "remotes.yaml").write_text(
        f"# 指定された送信先（テスト用）\nremotes:\n  - url: \"{tmp}/designated*.git\"\n", encoding="utf-8")
    (root / "records").mkdir()
    (root / "records" / ".gitkeep").touch()
    proc = subprocess.run([str(VENV_BIN / "pre-commit"), "install", "--hook-type", "pre-commit",
                           "--hook-type", "commit-msg", "--hook-type", "pre-push"],
                          cwd=root, capture_output=True, text=True, env=r.env)
    assert proc.returncode == 0, out(proc)
    assert git(r, "add", "-A").returncode == 0
    first = git(r, "commit", "-q", "-m", "記録リポジトリを作成")
    assert first.returncode == 0, out(first)  # the hooks pass a compliant first commit
    assert git(r, "remote", "add", "origin", str(bare)).returncode == 0
    pushed = git(r, "push", "-q", "origin", "main")
    assert pushed.returncode == 0, out(pushed)  # the designated remote and a clean history pass
    return r


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> RecordsRepo:
    return hooked_repo(tmp_path_factory.mktemp("hooks"))


def back_at_head(repo: RecordsRepo):  # type: ignore[no-untyped-def]
    """For a fixture: the repository, then back at the commit it was at, with a clean tree."""
    head = git(repo, "rev-parse", "HEAD").stdout.strip()
    yield repo
    git(repo, "reset", "-q", "--hard", head)
    git(repo, "clean", "-fdq")


@pytest.fixture
def clean(repo: RecordsRepo):  # type: ignore[no-untyped-def]
    """Each test starts at the same commit with a clean tree and leaves it that way."""
    yield from back_at_head(repo)


def plaintext_record(repo: RecordsRepo, case_id: str) -> str:
    rel = record_rel(case_id)
    (repo.root / rel).parent.mkdir(parents=True, exist_ok=True)
    (repo.root / rel).write_text(case_yaml(case_id), encoding="utf-8")
    return rel


def bare_has(bare: Path, oid: str) -> bool:
    return subprocess.run(["git", "cat-file", "-e", oid], cwd=bare, capture_output=True).returncode == 0


def designated(repo: RecordsRepo) -> Path:
    return repo.root.parent / "designated.git"


def test_a_plaintext_record_is_refused_by_pre_commit(clean: RecordsRepo) -> None:
    rel = plaintext_record(clean, "C-HOOK0001")
    git(clean, "add", rel)
    proc = git(clean, "commit", "-m", "事案を登録")
    assert proc.returncode == 1
    assert "saiken-pre-commit" in out(proc)
    assert f"[plaintext] 特記事項2・8 {rel} – records/ に暗号化されていないファイルがあります" in out(proc)
    assert git(clean, "rev-list", "--count", "HEAD").stdout.strip() == "1"


def test_a_compliant_record_commit_passes(clean: RecordsRepo) -> None:
    clean.saiken("case", "new", "--from", "-", input=case_yaml("C-HOOK0002"), check=True)
    git(clean, "add", "-A")
    proc = git(clean, "commit", "-m", "事案 C-HOOK0002 を登録")
    assert proc.returncode == 0, out(proc)
    assert "Passed" in out(proc)


def test_a_debtors_name_in_the_message_is_refused_by_commit_msg(clean: RecordsRepo) -> None:
    clean.saiken("case", "new", "--from", "-", input=case_yaml("C-HOOK0003"), check=True)
    git(clean, "add", "-A")
    proc = git(clean, "commit", "-m", f"{FAMILY}{GIVEN}さんの事案を登録")
    assert proc.returncode == 1
    assert "saiken-commit-msg" in out(proc)
    assert "[pii_outside]" in out(proc) and "(コミットメッセージ):1行目" in out(proc)
    # nothing was committed: the advice is to commit again, not to amend the commit before
    assert "もう一度 `git commit`" in out(proc) and "--amend" not in out(proc)
    assert FAMILY not in proc.stderr.replace(f"{FAMILY}{GIVEN}さんの事案を登録", "")  # never echoed back
    # git leaves a refused message in .git/COMMIT_EDITMSG: the hook does not leave the name there
    left = (clean.root / ".git" / "COMMIT_EDITMSG").read_text(encoding="utf-8")
    assert FAMILY not in left and GIVEN not in left and "消去しました" in left
    assert "から消去しました" in out(proc)
    ok = git(clean, "commit", "-m", "事案 C-HOOK0003 を登録")  # written again without the name, it passes
    assert ok.returncode == 0, out(ok)


def test_a_debtors_name_as_the_author_is_refused_by_commit_msg(clean: RecordsRepo) -> None:
    """The author and committer names are stored in the commit in the clear, like its message."""
    clean.saiken("case", "new", "--from", "-", input=case_yaml("C-HOOK0013"), check=True)
    git(clean, "add", "-A")
    for who in ("AUTHOR", "COMMITTER"):
        proc = git(clean, "commit", "-m", "事案 C-HOOK0013 を登録", env={f"GIT_{who}_NAME": f"{FAMILY} {GIVEN}"})
        assert proc.returncode == 1, out(proc)
        assert "[pii_outside]" in out(proc) and "コミットの作成者・コミッター" in out(proc), out(proc)
        assert "もう一度 `git commit`" in out(proc)
    ok = git(clean, "commit", "-m", "事案 C-HOOK0013 を登録")
    assert ok.returncode == 0, out(ok)


def test_the_quick_hook_entry_says_what_the_cli_says(clean: RecordsRepo, tmp_path: Path) -> None:
    """`saiken hook pre-commit|commit-msg FILE` skip click (saiken.entry); with any option the
    same hook goes through the CLI. Both must print the same findings and exit alike."""
    clean.saiken("case", "new", "--from", "-", input=case_yaml("C-HOOK0007"), check=True)
    git(clean, "add", "-A", "records/")
    rel = plaintext_record(clean, "C-HOOK0008")
    git(clean, "add", rel)
    message = tmp_path / "msg.txt"
    message.write_text(f"{FAMILY}{GIVEN}さんの事案を登録\n", encoding="utf-8")
    for args in (["hook", "pre-commit"], ["hook", "commit-msg", str(message)]):
        quick, full = clean.saiken(*args), clean.saiken("-C", str(clean.root), *args)
        assert quick.returncode == full.returncode == 1
        assert quick.stderr == full.stderr and quick.stdout == full.stdout
        assert "エラー: コミット: 特記事項に反する箇所が" in quick.stderr
    assert "[plaintext]" in clean.saiken("hook", "pre-commit").stderr
    assert "(コミットメッセージ):1行目" in clean.saiken("hook", "commit-msg", str(message)).stderr
    assert FAMILY in message.read_text(encoding="utf-8")  # a file of the user's, outside .git, is left alone
    assert clean.saiken("hook", "commit-msg", str(tmp_path / "none.txt")).returncode == 2  # click's usage error


def test_a_commit_by_someone_not_designated_is_refused(clean: RecordsRepo) -> None:
    clean.saiken("case", "new", "--from", "-", input=case_yaml("C-HOOK0004"), check=True)
    git(clean, "add", "-A")
    stranger = {"GIT_AUTHOR_EMAIL": "stranger@example.invalid", "GIT_AUTHOR_NAME": "架空 部外者"}
    proc = git(clean, "commit", "-m", "事案を登録", env=stranger)
    assert proc.returncode == 1
    assert "[author] 特記事項13" in out(proc) and "<stranger@example.invalid>" in out(proc)
    # the same change by the designated handler is fine
    assert git(clean, "commit", "-q", "-m", "事案を登録").returncode == 0


def test_pre_receive_refuses_a_plaintext_record_committed_with_no_verify(clean: RecordsRepo) -> None:
    rel = plaintext_record(clean, "C-HOOK0005")
    git(clean, "add", rel)
    assert git(clean, "commit", "-q", "--no-verify", "-m", "事案を登録").returncode == 0
    blob = git(clean, "rev-parse", f"HEAD:{rel}").stdout.strip()
    commit = git(clean, "rev-parse", "HEAD").stdout.strip()
    proc = git(clean, "push", "--no-verify", "origin", "main")
    assert proc.returncode != 0
    assert "remote:" in proc.stderr and "[plaintext]" in proc.stderr
    assert "pre-receive hook declined" in proc.stderr
    assert not bare_has(designated(clean), blob)
    assert not bare_has(designated(clean), commit)


def test_pre_receive_refuses_a_debtors_name_in_a_message(clean: RecordsRepo) -> None:
    clean.saiken("case", "new", "--from", "-", input=case_yaml("C-HOOK0006"), check=True)
    git(clean, "add", "-A")
    assert git(clean, "commit", "-q", "--no-verify", "-m", f"{FAMILY}{GIVEN}さんに架電").returncode == 0
    commit = git(clean, "rev-parse", "HEAD").stdout.strip()
    proc = git(clean, "push", "--no-verify", "origin", "main")
    assert proc.returncode != 0
    assert "[pii_outside]" in proc.stderr and "(コミットメッセージ)" in proc.stderr
    assert "git commit --amend" in proc.stderr and "git rebase -i" in proc.stderr  # the commit exists
    assert not bare_has(designated(clean), commit)


def test_pre_receive_output_names_each_finding_but_never_quotes_the_record(clean: RecordsRepo) -> None:
    """What pre-receive prints reaches the pusher's terminal (`remote:`) and the server's logs: the
    record's bad values, its prohibited word and the name in a file name are hidden there, while
    the same check on the pusher's own machine quotes them."""
    add_leaks(clean)
    local = clean.saiken("check", "--all")
    assert "（1990-02-30）" in local.stdout and "【前科】" in local.stdout
    git(clean, "add", "-A")
    assert git(clean, "commit", "-q", "--no-verify", "-m", "事案 C-LEAK0001 を登録").returncode == 0
    commit = git(clean, "rev-parse", "HEAD").stdout.strip()
    proc = git(clean, "push", "--no-verify", "origin", "main")
    assert proc.returncode != 0 and "pre-receive hook declined" in proc.stderr
    assert f"remote: コミット {commit[:10]}: エラー [schema]" in proc.stderr
    assert_redacted(out(proc))
    assert not bare_has(designated(clean), commit)


def test_pre_push_refuses_a_remote_not_designated(clean: RecordsRepo, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere.git"
    subprocess.run(["git", "init", "-q", "--bare", str(other)], check=True, env=clean.env)
    proc = git(clean, "push", str(other), "main")
    assert proc.returncode != 0
    assert "saiken-pre-push" in out(proc)
    assert f"[remote] 特記事項6 policies/remotes.yaml – push 先 {other} は指定された送信先ではありません" in out(proc)
    assert git(clean, "ls-remote", str(other)).stdout == ""


def test_pre_push_checks_every_new_commit(clean: RecordsRepo) -> None:
    rel = plaintext_record(clean, "C-HOOK0007")
    git(clean, "add", rel)
    assert git(clean, "commit", "-q", "--no-verify", "-m", "追加").returncode == 0
    git(clean, "rm", "-q", rel)
    assert git(clean, "commit", "-q", "--no-verify", "-m", "削除").returncode == 0
    proc = git(clean, "push", "origin", "main")
    assert proc.returncode != 0
    assert "saiken-pre-push" in out(proc) and f"[plaintext] 特記事項2・8 {rel}" in out(proc)


def test_check_range_catches_a_file_added_and_removed_inside_the_range(clean: RecordsRepo) -> None:
    start = git(clean, "rev-parse", "HEAD").stdout.strip()
    rel = plaintext_record(clean, "C-HOOK0008")
    git(clean, "add", rel)
    assert git(clean, "commit", "-q", "--no-verify", "-m", "追加").returncode == 0
    added = git(clean, "rev-parse", "HEAD").stdout.strip()
    git(clean, "rm", "-q", rel)
    assert git(clean, "commit", "-q", "--no-verify", "-m", "削除").returncode == 0
    assert not (clean.root / rel).exists()
    r = clean.saiken("check", "--range", f"{start}..HEAD")
    assert r.returncode == 1
    assert f"コミット {added[:10]}: エラー [plaintext] 特記事項2・8 {rel}" in r.stdout
    assert "検査したコミット 2 件: エラー 1 件" in r.stdout
    assert "特記事項に反する箇所が 1 件あります" in r.stderr
    # the work tree alone no longer shows it; the range before it is clean
    assert clean.saiken("check", "--all", "--only", "plaintext").returncode == 0
    ok = clean.saiken("check", "--range", f"{start}..{start}")
    assert ok.returncode == 0 and "検査したコミット 0 件: エラー 0 件" in ok.stdout


def test_pre_receive_accepts_a_compliant_push(clean: RecordsRepo) -> None:
    clean.saiken("case", "new", "--from", "-", input=case_yaml("C-HOOK0009"), check=True)
    git(clean, "add", "-A")
    assert git(clean, "commit", "-q", "-m", "事案 C-HOOK0009 を登録").returncode == 0
    proc = git(clean, "push", "origin", "main")
    assert proc.returncode == 0, out(proc)
    commit = git(clean, "rev-parse", "HEAD").stdout.strip()
    assert bare_has(designated(clean), commit)


def test_a_repository_made_by_saiken_init_has_the_hooks(tmp_path: Path) -> None:
    env = _base_env(tmp_path)
    proc = subprocess.run([str(VENV_BIN / "saiken"), "init", "made"], cwd=tmp_path, capture_output=True,
                          text=True, env=env)
    assert proc.returncode == 0, out(proc)  # its first commit passed the hooks it installed
    root = tmp_path / "made"
    for name in ("pre-commit", "commit-msg", "pre-push"):
        assert "pre-commit" in (root / ".git" / "hooks" / name).read_text(), name
    (root / record_rel("C-INIT0001")).parent.mkdir(parents=True, exist_ok=True)
    (root / record_rel("C-INIT0001")).write_text("status: 交渉中\n", encoding="utf-8")
    run = lambda *a: subprocess.run(["git", *a], cwd=root, capture_output=True, text=True, env=env)  # noqa: E731
    run("add", "-A")
    refused = run("commit", "-m", "事案を登録")
    assert refused.returncode == 1 and f"[plaintext] 特記事項2・8 {record_rel('C-INIT0001')}" in out(refused)
    run("reset", "-q", "--hard")
    run("clean", "-fdq")
    elsewhere = tmp_path / "elsewhere.git"
    subprocess.run(["git", "init", "-q", "--bare", str(elsewhere)], check=True, env=env)
    pushed = run("push", str(elsewhere), "main")
    assert pushed.returncode != 0 and "[remote] 特記事項6" in out(pushed)


def test_pre_push_checks_every_ref_pushed_at_once(clean: RecordsRepo) -> None:
    """pre-commit tells a pre-push hook only the first ref that has new commits (it reads git's
    stdin itself): a violation on the second branch of `git push origin a b` must still stop it."""
    (clean.root / "docs").mkdir(exist_ok=True)
    (clean.root / "docs" / "memo.md").write_text("# 手順のメモ\n", encoding="utf-8")
    assert git(clean, "checkout", "-q", "-b", "a").returncode == 0
    git(clean, "add", "docs/memo.md")
    assert git(clean, "commit", "-q", "-m", "手順のメモ").returncode == 0
    assert git(clean, "checkout", "-q", "-b", "b", "main").returncode == 0
    rel = plaintext_record(clean, "C-HOOK0010")
    git(clean, "add", rel)
    assert git(clean, "commit", "-q", "--no-verify", "-m", "追加").returncode == 0
    bad = git(clean, "rev-parse", "HEAD").stdout.strip()
    git(clean, "checkout", "-q", "main")
    try:
        proc = git(clean, "push", "origin", "a", "b")
        assert proc.returncode != 0
        assert "saiken-pre-push" in out(proc) and f"[plaintext] 特記事項2・8 {rel}" in out(proc)
        assert "pre-receive hook declined" not in out(proc)  # refused on the client, before sending
        assert not bare_has(designated(clean), bad)
    finally:
        git(clean, "branch", "-q", "-D", "a", "b")
