"""Refs and messages are text git keeps and sends: branch and tag names, annotated tag messages,
notes and commit messages are judged like files by pre-push (the real pre-commit framework),
pre-receive (a bare repository with and without a key) and `saiken check --range`. Text is folded
before matching, so a name split by an invisible character is the name.

One records repository per module; every test leaves it as it found it. Every person is fictional (架空).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from test_checks import FAMILY, GIVEN, case_yaml
from test_hooks import bare_has, git, hooked_repo, out
from test_init_demo import all_git_bytes, leaks

from conftest import VENV_BIN, RecordsRepo

NAME = FAMILY + GIVEN
SECRETS = {NAME, f"{FAMILY} {GIVEN}", "東京都新宿区試験町9-8-7"}
INVISIBLE = {"U+200B": "\u200b", "U+2060": "\u2060", "U+00AD": "\u00ad", "U+200C": "\u200c", "U+FE0F": "\ufe0f",
             "U+E0101": "\U000e0101"}


def make_keyless_bare(folder: Path, env: dict[str, str]) -> Path:
    """A server that holds no key: it sees ciphertext only."""
    subprocess.run(["git", "init", "-q", "--bare", str(folder)], check=True, env=env)
    hook = folder / "hooks" / "pre-receive"
    hook.write_text(f"#!/bin/sh\nunset SAIKEN_IDENTITY\nexec '{VENV_BIN / 'saiken'}' hook pre-receive\n")
    hook.chmod(0o755)
    return folder


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> RecordsRepo:
    """test_hooks' repository with a record, pushed to a server with otsu-01's key (designated) and
    to one without any key (designated-nokey)."""
    tmp = tmp_path_factory.mktemp("refs")
    r = hooked_repo(tmp)
    git(r, "remote", "rename", "origin", "designated")
    r.saiken("case", "new", "--from", "-", input=case_yaml("C-REFS0001"), check=True)
    git(r, "add", "-A")
    assert git(r, "commit", "-q", "-m", "事案 C-REFS0001 を登録").returncode == 0
    make_keyless_bare(tmp / "designated-nokey.git", r.env)
    assert git(r, "remote", "add", "designated-nokey", str(tmp / "designated-nokey.git")).returncode == 0
    for remote in ("designated", "designated-nokey"):
        pushed = git(r, "push", "-q", remote, "main")
        assert pushed.returncode == 0, out(pushed)
    return r


@pytest.fixture
def clean(repo: RecordsRepo):  # type: ignore[no-untyped-def]
    head = git(repo, "rev-parse", "HEAD").stdout.strip()
    refs = set(git(repo, "for-each-ref", "--format=%(refname)").stdout.split())
    yield repo
    git(repo, "checkout", "-q", "-f", "main")
    git(repo, "reset", "-q", "--hard", head)
    git(repo, "clean", "-fdq")
    for ref in set(git(repo, "for-each-ref", "--format=%(refname)").stdout.split()) - refs:
        git(repo, "update-ref", "-d", ref)


def server(repo: RecordsRepo, keyless: bool = False) -> Path:
    return repo.root.parent / ("designated-nokey.git" if keyless else "designated.git")


def push(repo: RecordsRepo, *refspecs: str, keyless: bool = False, verify: bool = False) -> subprocess.CompletedProcess[str]:
    remote = "designated-nokey" if keyless else "designated"
    return git(repo, "push", *([] if verify else ["--no-verify"]), remote, *refspecs)


def assert_refused_by_server(proc: subprocess.CompletedProcess[str], repo: RecordsRepo, keyless: bool = False) -> None:
    assert proc.returncode != 0 and "pre-receive hook declined" in proc.stderr, out(proc)
    remote = "\n".join(line for line in proc.stderr.splitlines() if line.startswith("remote:"))
    for secret in SECRETS:
        assert secret not in remote  # the server's output is a log (git's own lines are the pusher's)
    assert leaks(all_git_bytes(server(repo, keyless)), SECRETS) == []


def empty_commit(repo: RecordsRepo, message: str) -> str:
    assert git(repo, "commit", "-q", "--allow-empty", "--no-verify", "-m", message).returncode == 0
    return git(repo, "rev-parse", "HEAD").stdout.strip()


# --- commit messages: folded before matching ---------------------------------------------------------

@pytest.mark.parametrize("mark", INVISIBLE.values(), ids=INVISIBLE.keys())
def test_a_name_split_by_an_invisible_character_is_the_name(clean: RecordsRepo, mark: str) -> None:
    message = f"{FAMILY}{mark}{GIVEN}さんに架電（事案 C-REFS0001）"
    refused = git(clean, "commit", "--allow-empty", "-m", message)
    assert refused.returncode == 1 and "[pii_outside]" in out(refused) and "(コミットメッセージ):1行目" in out(refused)
    commit = empty_commit(clean, message)
    proc = push(clean, "main")
    assert_refused_by_server(proc, clean)
    assert "(コミットメッセージ):1行目" in proc.stderr
    assert not bare_has(server(clean), commit)


def test_kana_and_width_variants_of_a_kana_name_are_the_name(clean: RecordsRepo) -> None:
    commit = empty_commit(clean, "ｼｹﾝﾀﾞﾆ\u200bﾎｼｺ 様に送付")  # the record's kana: シケンダニ ホシコ
    r = clean.saiken("check", "--range", f"{commit}~1..{commit}")
    assert r.returncode == 1 and "氏名（カナ）" in r.stdout


# --- branch and tag names, tag messages, notes ----------------------------------------------------------

def test_pre_receive_refuses_a_branch_named_after_a_debtor(clean: RecordsRepo) -> None:
    git(clean, "branch", f"{NAME}さんの件")
    proc = push(clean, f"{NAME}さんの件")
    assert_refused_by_server(proc, clean)
    assert "[pii_outside]" in proc.stderr and "refs/heads/〔省略〕さんの件" in proc.stderr
    assert "git branch -m" in proc.stderr
    assert git(clean, "ls-remote", str(server(clean))).stdout.count("refs/heads/") == 1


def test_pre_receive_refuses_a_tag_message_with_a_name(clean: RecordsRepo) -> None:
    assert git(clean, "tag", "-a", "v1", "-m", f"受渡し\n\n{FAMILY} {GIVEN}さんの分を含む").returncode == 0
    proc = push(clean, "v1")
    assert_refused_by_server(proc, clean)
    assert "refs/tags/v1:タグのメッセージ 3行目" in proc.stderr and "git tag -d v1" in proc.stderr


def test_pre_receive_refuses_a_tagger_with_a_name(clean: RecordsRepo) -> None:
    """An annotated tag stores its tagger's name in the clear, like its message."""
    tagged = git(clean, "tag", "-a", "v2", "-m", "受渡し", env={"GIT_COMMITTER_NAME": f"{FAMILY} {GIVEN}"})
    assert tagged.returncode == 0, tagged.stderr
    proc = push(clean, "v2")
    assert_refused_by_server(proc, clean)
    assert "refs/tags/v2:タグの作成者" in proc.stderr and "git tag -d v2" in proc.stderr


def test_pre_receive_refuses_a_note_with_a_name(clean: RecordsRepo) -> None:
    assert git(clean, "notes", "add", "-m", f"{NAME}さんから電話", "HEAD").returncode == 0
    proc = push(clean, "refs/notes/commits")
    assert_refused_by_server(proc, clean)
    assert "refs/notes/commits:ノート" in proc.stderr and "git notes" in proc.stderr


def test_a_ref_to_a_file_is_refused(clean: RecordsRepo) -> None:
    """A tag may point straight at a blob: its content reaches the server in no commit at all."""
    blob = subprocess.run(["git", "hash-object", "-w", "--stdin"], cwd=clean.root, env=clean.env, check=True,
                          input=f"{NAME}\n東京都新宿区試験町9-8-7\n", capture_output=True, text=True).stdout.strip()
    assert git(clean, "tag", "memo", blob).returncode == 0
    proc = push(clean, "memo", keyless=True)
    assert_refused_by_server(proc, clean, keyless=True)
    assert "refs/tags/memo:参照先" in proc.stderr and "git tag -d memo" in proc.stderr
    assert not bare_has(server(clean, keyless=True), blob)


def test_a_chain_of_tags_too_long_to_follow_is_refused(clean: RecordsRepo) -> None:
    """The server follows a tag of a tag … ten levels deep; an eleventh level hid what it ends at
    (here a file with a name and address) and was accepted."""
    target = subprocess.run(["git", "hash-object", "-w", "--stdin"], cwd=clean.root, env=clean.env, check=True,
                            input=f"{NAME}\n東京都新宿区試験町9-8-7\n", capture_output=True, text=True).stdout.strip()
    for n in range(11):
        assert git(clean, "tag", "-a", "-m", f"段 {n}", f"deep{n}", target).returncode == 0
        target = git(clean, "rev-parse", f"refs/tags/deep{n}").stdout.strip()
        if n < 10:
            git(clean, "tag", "-d", f"deep{n}")
    proc = push(clean, "deep10", keyless=True)
    assert_refused_by_server(proc, clean, keyless=True)
    assert "10 段を超えて" in proc.stderr


def test_a_keyless_server_refuses_a_record_in_a_note_and_a_my_number_in_a_tag(clean: RecordsRepo) -> None:
    assert git(clean, "notes", "add", "-m", case_yaml("C-REFS0002"), "HEAD").returncode == 0
    proc = push(clean, "refs/notes/commits", keyless=True)
    assert_refused_by_server(proc, clean, keyless=True)
    assert "[pii_outside]" in proc.stderr and "事案の記録のような" in proc.stderr
    assert git(clean, "tag", "-a", "v2", "-m", "個人番号 1234 5678 9018 を受領").returncode == 0
    proc = push(clean, "v2", keyless=True)
    assert_refused_by_server(proc, clean, keyless=True)
    assert "マイナンバーらしい値" in proc.stderr and "1234 5678" not in proc.stderr


def test_pre_push_judges_names_tag_messages_and_notes(clean: RecordsRepo) -> None:
    """pre-commit runs a pre-push hook only when the push has commits the remote lacks (a new tag on
    an old commit reaches the server's pre-receive alone): each push here brings one."""
    git(clean, "checkout", "-q", "-b", NAME)
    empty_commit(clean, "事案 C-REFS0001 の確認")
    proc = push(clean, NAME, verify=True)
    assert proc.returncode != 0 and "saiken-pre-push" in out(proc) and "pre-receive" not in out(proc), out(proc)
    assert "refs/heads/" in out(proc) and "の当事者の氏名" in out(proc)
    git(clean, "checkout", "-q", "main")
    git(clean, "branch", "-q", "-D", NAME)
    empty_commit(clean, "事案 C-REFS0001 の確認")
    assert git(clean, "tag", "-a", "v3", "-m", f"{NAME}さんの分").returncode == 0
    proc = push(clean, "v3", verify=True)
    assert proc.returncode != 0 and "refs/tags/v3:タグのメッセージ 1行目" in out(proc), out(proc)
    git(clean, "tag", "-d", "v3")
    assert git(clean, "notes", "add", "-m", f"{NAME}さん", "HEAD").returncode == 0
    proc = push(clean, "main", verify=True)  # notes not named in the push are judged all the same
    assert proc.returncode != 0 and "refs/notes/commits:ノート" in out(proc), out(proc)
    assert "pre-receive" not in out(proc)
    assert leaks(all_git_bytes(server(clean)), SECRETS) == []


def test_check_range_judges_refs_tag_messages_notes_and_messages(clean: RecordsRepo) -> None:
    start = git(clean, "rev-parse", "HEAD").stdout.strip()
    empty_commit(clean, "事案 C-REFS0001 の確認")
    git(clean, "branch", f"{FAMILY}-branch")
    git(clean, "tag", "-a", "v4", "-m", f"{NAME}さん")
    git(clean, "notes", "add", "-m", f"{NAME}さん", "HEAD")
    r = clean.saiken("check", "--range", f"{start}..HEAD")
    assert r.returncode == 1
    assert "refs/heads/" in r.stdout and "refs/tags/v4:タグのメッセージ 1行目" in r.stdout
    assert "refs/notes/commits:ノート" in r.stdout
