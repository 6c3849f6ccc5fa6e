"""Attacks by someone who can push, against a bare repository with the documented pre-receive hook.

Each attack weakens the rules in the same push it wants judged by them – a wider allow-list of
paths (a PDF nobody reads, a folder for data files), a thinner lexicon, one more handler, a consent 甲 never gave, an alias bomb,
another hook configuration – and pushes with `--no-verify`. The server judges every commit by the
rules of its trusted base and lets a rule change in only with the signature (git's SSH signing)
of an active 甲 handler of those rules: each attack is refused, naming the path, the commit and
who may sign, and the same change is accepted once kou-01 signs it. Every person is fictional (架空).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from test_checks import FAMILY, GIVEN, case_yaml

from conftest import VENV_BIN, RecordsRepo, _base_env, full_records_repo
from saiken.checks.paths import RECORDS_LIST
from saiken.core.layout import manifest_rel, record_rel

KOU_EMAIL = "kou-01@example.invalid"
BOMB = "public: []\n" + "a0: &a0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 10))


@dataclass
class Ward:
    repo: RecordsRepo
    bare: Path
    keys: dict[str, Path]  # ssh signing keys: kou-01, kou-02 (deactivated), otsu-01, stranger

    def git(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", *args], cwd=self.repo.root, capture_output=True, text=True,
                              env={**self.repo.env, **(env or {})}, timeout=120)

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").stdout.strip()

    def commit(self, message: str, *, signer: str | None = None) -> str:
        """Commit everything as it stands, client hooks skipped; signed with `signer`'s key."""
        assert self.git("add", "-A").returncode == 0
        sign = ["-c", "gpg.format=ssh", "-c", f"user.signingkey={self.keys[signer]}"] if signer else []
        proc = self.git(*sign, "commit", "-q", "--no-verify", *(["-S"] if signer else []), "-m", message)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return self.head()

    def push(self, *refs: str) -> subprocess.CompletedProcess[str]:
        return self.git("push", "--no-verify", "origin", *(refs or ("HEAD:main",)))

    def server_has(self, oid: str) -> bool:
        return subprocess.run(["git", "cat-file", "-e", oid], cwd=self.bare, capture_output=True).returncode == 0

    def edit(self, rel: str, old: str, new: str) -> None:
        path = self.repo.root / rel
        text = path.read_text(encoding="utf-8")
        assert old in text, (rel, old)
        path.write_text(text.replace(old, new), encoding="utf-8")

    def write(self, rel: str, text: str) -> None:
        (self.repo.root / rel).parent.mkdir(parents=True, exist_ok=True)
        (self.repo.root / rel).write_text(text, encoding="utf-8")


def ssh_key(folder: Path, name: str) -> Path:
    key = folder / f"{name}-signing"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"{name}（架空）", "-f", str(key)], check=True)
    return key


def public(key: Path) -> str:
    return key.with_name(key.name + ".pub").read_text().strip()


def documented_hook(bare: Path, identity: Path | None) -> None:
    """hooks/pre-receive as docs/procedures/server-hook.md writes it (saiken and the key at test paths)."""
    hook = bare / "hooks" / "pre-receive"
    key = f"export SAIKEN_IDENTITY={identity}\n" if identity else ""
    hook.write_text("#!/bin/sh\n# saiken: push されたすべてのコミットを特記事項に照らして検査する\n"
                    f"{key}exec {VENV_BIN / 'saiken'} hook pre-receive\n")
    hook.chmod(0o755)


@pytest.fixture(scope="module")
def ward(tmp_path_factory: pytest.TempPathFactory) -> Ward:
    tmp = tmp_path_factory.mktemp("trust")
    repo = full_records_repo(tmp)
    keys = {name: ssh_key(tmp, name) for name in ("kou-01", "kou-02", "otsu-01", "stranger")}
    repo.add_handler("kou-01", org="甲", role="取扱責任者")
    repo.add_handler("kou-02", org="甲", role="取扱者")
    for name in ("kou-01", "kou-02", "otsu-01"):
        repo.saiken("handler", "signing-key", name, "--key", public(keys[name]), check=True)
    repo.saiken("handler", "deactivate", "kou-02", check=True)
    bare = tmp / "server.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True, env=repo.env)
    documented_hook(bare, repo.identity)
    ward = Ward(repo, bare, keys)
    ward.write("policies/remotes.yaml", f"remotes:\n  - url: \"{bare}\"\n")
    repo.saiken("case", "new", "--from", "-", input=case_yaml("C-TRUST001"), check=True)
    ward.commit("記録リポジトリを作成")
    assert ward.git("remote", "add", "origin", str(bare)).returncode == 0
    first = ward.push()
    assert first.returncode == 0, first.stderr  # the first push is trusted as it comes
    return ward


@pytest.fixture
def w(ward: Ward) -> Ward:
    """Each test starts from the server's main, with a clean work tree."""
    ward.git("fetch", "-q", "origin")
    ward.git("reset", "-q", "--hard", "origin/main")
    ward.git("clean", "-fdq")
    return ward


def refused(w: Ward, proc: subprocess.CompletedProcess[str], commit: str, path: str) -> str:
    """The push was refused for `commit`'s change of `path`, in Japanese, naming who may sign."""
    assert proc.returncode != 0, proc.stderr
    assert "pre-receive hook declined" in proc.stderr
    assert f"remote: コミット {commit[:10]}: エラー [rules] 特記事項4・5・6・13 {path} –" in proc.stderr
    assert "甲の有効な取扱者（kou-01）" in proc.stderr
    assert not w.server_has(commit)
    return proc.stderr


def accepted(w: Ward, proc: subprocess.CompletedProcess[str]) -> None:
    assert proc.returncode == 0, proc.stderr
    assert w.server_has(w.head())


# --- the attacks, each refused, and the same change accepted once 甲 signs it ---------------------

def _allow(w: Ward, line: str) -> None:
    """policies/paths.yaml: the records list `saiken init` writes, plus `line`."""
    w.write("policies/paths.yaml", RECORDS_LIST.read_text(encoding="utf-8") + line)


def test_a_widened_allow_list_is_refused_and_accepted_once_signed(w: Ward) -> None:
    # PDFs are not read: allowing them anywhere lets a name through unread
    _allow(w, '  "exports/*.pdf": pdf\n')
    weaken = w.commit("書き出しの置き場所")
    w.write("exports/memo.pdf", f"%PDF-1.4\n{FAMILY}{GIVEN}\n")
    leak = w.commit("引継ぎのメモ")
    out = refused(w, w.push(), weaken, "policies/paths.yaml")
    assert "署名がありません" in out
    # the PDF is judged by the allow-list of the trusted base, not by the widened one
    assert f"remote: コミット {leak[:10]}: エラー [paths] 特記事項2・8 exports/memo.pdf" in out
    w.git("reset", "-q", "--hard", "origin/main")
    _allow(w, '  "exports/*.pdf": pdf\n')
    w.commit("書き出しの置き場所（甲の承認）", signer="kou-01")
    accepted(w, w.push())


def test_a_weakened_lexicon_is_refused_and_accepted_once_signed(w: Ward) -> None:
    lexicon = "policies/prohibited-categories.yaml"
    w.edit(lexicon, "逮捕, 服役, 起訴", "逮捕, 起訴")
    weaken = w.commit("語彙の整理")
    w.repo.saiken("case", "new", "--from", "-", input=case_yaml("C-TRUST002", "服役していた"), check=True)
    record = w.commit("事案 C-TRUST002 を登録")
    out = refused(w, w.push(), weaken, lexicon)
    assert f"remote: コミット {record[:10]}: エラー [prohibited] 特記事項5 {record_rel('C-TRUST002')}" in out
    w.git("reset", "-q", "--hard", "origin/main")
    w.edit(lexicon, "逮捕, 服役, 起訴", "逮捕, 起訴")
    w.commit("語彙の整理（甲の承認）", signer="kou-01")
    accepted(w, w.push())


def test_an_added_handler_is_refused_and_accepted_once_signed(w: Ward) -> None:
    _, key = w.repo.add_handler("otsu-99")
    said = w.repo.saiken("handler", "list")
    assert "otsu-99" in said.stdout
    added = w.commit("取扱者を追加")
    refused(w, w.push(), added, "policies/handlers.yaml")
    w.git("reset", "-q", "--soft", "HEAD~1")
    w.commit("取扱者 otsu-99 を指定（甲の承認）", signer="kou-01")
    accepted(w, w.push())
    w.repo.handlers.pop("otsu-99")


def test_a_widened_folder_for_data_files_is_refused_and_accepted_once_signed(w: Ward) -> None:
    _allow(w, '  "exports/*.yaml": text\n')
    widen = w.commit("テスト用データの置き場所")
    w.write("exports/C-TRUST003.yaml", case_yaml("C-TRUST003"))
    dump = w.commit("書き出し")
    out = refused(w, w.push(), widen, "policies/paths.yaml")
    assert f"remote: コミット {dump[:10]}: エラー [paths] 特記事項2・8 exports/C-TRUST003.yaml" in out
    w.git("reset", "-q", "--hard", "origin/main")
    _allow(w, '  "exports/*.yaml": text\n')
    w.commit("テスト用データの置き場所（甲の承認）", signer="kou-01")
    accepted(w, w.push())


def test_a_forged_consent_is_refused_and_a_signed_one_lifts_the_finding(w: Ward) -> None:
    w.write("ledger/consents.yaml", "consents:\n  - {id: A-2021-001, case_id: C-TRUST004, category: 犯罪, "
            "term: 5, date: 2021-06-01, by: kou-01}\n")
    forged = w.commit("承諾を記録")
    w.repo.saiken("case", "new", "--from", "-", input=case_yaml("C-TRUST004", "前科あり"), check=True)
    record = w.commit("事案 C-TRUST004 を登録")
    out = refused(w, w.push(), forged, "ledger/consents.yaml")
    assert f"remote: コミット {record[:10]}: エラー [prohibited] 特記事項5" in out  # the forged consent lifts nothing
    w.git("reset", "-q", "--hard", "origin/main")
    # kou-01 records the consent on the ward's machine: saiken makes the signed commit itself
    w.git("config", "gpg.format", "ssh")
    w.git("config", "user.signingkey", str(w.keys["kou-01"]))
    try:
        said = w.repo.saiken("ledger", "consent", "--case", "C-TRUST004", "--category", "犯罪", "--term", "5",
                             "--by", "kou-01", "--date", "2021-06-01", check=True)
    finally:
        w.git("config", "--unset", "user.signingkey")
    assert "甲の取扱者 kou-01 の署名付きコミット" in said.stdout
    assert "gpgsig -----BEGIN SSH SIGNATURE-----" in w.git("cat-file", "-p", "HEAD").stdout
    w.repo.saiken("case", "new", "--from", "-", input=case_yaml("C-TRUST004", "前科あり"), check=True)
    w.commit("事案 C-TRUST004 を登録")
    accepted(w, w.push())  # the consent, accepted in the commit before, lifts the finding


def test_a_consent_signed_in_the_same_commit_as_the_record_lifts_nothing_yet(w: Ward) -> None:
    """A rule change takes effect from the next commit: 甲's consent signed together with the
    record it is for does not lift that record's finding (the consent comes first, on its own)."""
    w.write("ledger/consents.yaml", "consents:\n  - {id: A-2021-009, case_id: C-TRUST009, category: 犯罪, "
            "term: 5, date: 2021-06-01, by: kou-01}\n")
    w.repo.saiken("case", "new", "--from", "-", input=case_yaml("C-TRUST009", "前科あり"), check=True)
    both = w.commit("承諾と事案 C-TRUST009", signer="kou-01")
    proc = w.push()
    assert proc.returncode != 0 and not w.server_has(both)
    assert f"remote: コミット {both[:10]}: エラー [prohibited] 特記事項5 {record_rel('C-TRUST009')}" in proc.stderr
    assert "[rules]" not in proc.stderr  # the signature itself is good


def test_an_alias_bomb_is_refused_with_its_line_even_when_signed(w: Ward) -> None:
    w.write("policies/personal-data.yaml", BOMB)
    bomb = w.commit("設定を短く")
    out = refused(w, w.push(), bomb, "policies/personal-data.yaml")
    assert "YAML のエイリアス（& や *）はポリシー・台帳のファイルでは使えません（2 行目）" in out
    w.git("reset", "-q", "--hard", "origin/main")
    w.write("policies/personal-data.yaml", BOMB)
    signed = w.commit("設定を短く（甲の承認）", signer="kou-01")
    proc = w.push()
    assert proc.returncode != 0 and not w.server_has(signed)
    assert f"remote: コミット {signed[:10]}: エラー [rules]" in proc.stderr
    assert "このコミットの規則を読めないため、受け付けません（policies/personal-data.yaml: YAML のエイリアス" in proc.stderr
    w.git("reset", "-q", "--hard", "origin/main")
    w.write("policies/personal-data.yaml", "public: []\n")
    w.commit("設定を短く（甲の承認）", signer="kou-01")
    accepted(w, w.push())


def test_a_changed_hook_configuration_is_refused_and_accepted_once_signed(w: Ward) -> None:
    w.write(".pre-commit-config.yaml", "repos: []\n")
    off = w.commit("フックを整理")
    refused(w, w.push(), off, ".pre-commit-config.yaml")
    w.git("reset", "-q", "--hard", "origin/main")
    w.write(".gitattributes", "*.pdf binary\n")
    w.commit("属性を追加（甲の承認）", signer="kou-01")
    accepted(w, w.push())


@pytest.mark.parametrize(("signer", "why"), [
    ("otsu-01", "署名は乙の取扱者 otsu-01 の鍵によるものです。"),
    ("kou-02", "署名は指定を解除された取扱者 kou-02 の鍵によるものです。"),
    ("stranger", "policies/handlers.yaml のどの取扱者の署名鍵（signing_key）でもありません。"),
])
def test_a_signature_by_anyone_but_an_active_ward_handler_is_refused(w: Ward, signer: str, why: str) -> None:
    w.edit("policies/prohibited-categories.yaml", "[犯罪, 前科, 前歴,", "[犯罪, 前歴,")
    commit = w.commit("語彙の整理", signer=signer)
    out = refused(w, w.push(), commit, "policies/prohibited-categories.yaml")
    assert why in out


# --- where the trusted base is ---------------------------------------------------------------------------

def test_another_branch_is_judged_from_its_merge_base_with_main(w: Ward) -> None:
    w.git("checkout", "-q", "-b", "work")
    try:
        w.edit("policies/prohibited-categories.yaml", "[犯罪, 前科, 前歴,", "[犯罪, 前歴,")
        commit = w.commit("語彙の整理")
        refused(w, w.push("work"), commit, "policies/prohibited-categories.yaml")
    finally:
        w.git("checkout", "-q", "main")
        w.git("branch", "-q", "-D", "work")


def test_a_branch_from_before_a_deactivation_is_judged_by_the_rules_of_today(w: Ward) -> None:
    """The merge base says where the branch's new commits begin, not which rules judge them: the
    rules of main's tip do. Otherwise a branch started before 甲 deactivated a handler could still
    store records encrypted to that handler – an outsider now – on the server."""
    w.repo.add_handler("otsu-98")  # a designation is in force from the commit after the signed one
    w.commit("取扱者 otsu-98 を指定（甲の承認）", signer="kou-01")
    w.repo.saiken("rekey", check=True)
    before = w.commit("otsu-98 の指定に合わせて暗号化し直す")
    accepted(w, w.push())
    w.repo.saiken("handler", "deactivate", "otsu-98", check=True)
    w.commit("取扱者 otsu-98 の指定を解除（甲の承認）", signer="kou-01")
    w.repo.saiken("rekey", check=True)
    w.commit("解除に合わせて暗号化し直す")
    accepted(w, w.push())
    w.repo.handlers.pop("otsu-98")
    w.git("checkout", "-q", "-b", "old-rules", before)
    try:  # in that tree otsu-98 is still designated: the new record is encrypted to it too
        w.repo.saiken("case", "new", "--from", "-", input=case_yaml("C-TRUST098"), check=True)
        commit = w.commit("C-TRUST098 を登録")
        proc = w.push("old-rules")
        assert proc.returncode != 0 and not w.server_has(commit), proc.stderr
        assert record_rel("C-TRUST098") in proc.stderr and "エラー" in proc.stderr
        # the same record written on today's main (to today's handlers), on a branch, is accepted
        w.git("checkout", "-q", "-B", "old-rules", "origin/main")
        w.repo.saiken("case", "new", "--from", "-", input=case_yaml("C-TRUST098"), check=True)
        w.commit("C-TRUST098 を登録")
        proc = w.push("--force", "old-rules")
        assert proc.returncode == 0, proc.stderr
    finally:
        w.git("checkout", "-q", "main")
        w.git("branch", "-q", "-D", "old-rules")
        w.push(":old-rules")


@pytest.mark.parametrize("who", ["AUTHOR", "COMMITTER"])
def test_a_debtors_name_in_the_author_or_committer_is_refused(w: Ward, who: str) -> None:
    """The e-mail address is a handler's (the author check passes); the name is a debtor's."""
    w.write("docs/note.md", "# メモ\n")
    assert w.git("add", "-A").returncode == 0
    named = w.git("commit", "-q", "--no-verify", "-m", "メモ", env={f"GIT_{who}_NAME": f"{FAMILY}{GIVEN}"})
    assert named.returncode == 0, named.stderr
    commit = w.head()
    proc = w.push()
    assert proc.returncode != 0 and not w.server_has(commit), proc.stderr
    assert f"コミット {commit[:10]}: エラー [pii_outside]" in proc.stderr and "コミットの作成者・コミッター" in proc.stderr
    assert FAMILY not in proc.stderr  # the log never quotes it
    assert "--reset-author" in proc.stderr


def test_a_header_git_never_writes_is_refused(w: Ward) -> None:
    """A commit object made by hand can carry a header `git log` never shows: refused unread."""
    head = w.git("cat-file", "commit", "HEAD").stdout.partition("\n\n")[0].splitlines()
    kept = [line for line in head if line.startswith(("tree ", "author ", "committer "))]
    forged = "\n".join([kept[0], f"parent {w.head()}", *kept[1:], f"x-memo {FAMILY}{GIVEN} 03-0000-9999"]) + "\n\nメモ\n"
    made = subprocess.run(["git", "hash-object", "-t", "commit", "-w", "--literally", "--stdin"], cwd=w.repo.root,
                          input=forged, capture_output=True, text=True, env=w.repo.env)
    assert made.returncode == 0, made.stderr
    oid = made.stdout.strip()
    assert "x-memo" not in w.git("log", "-1", "--format=%B%an%cn", oid).stdout  # git log shows none of it
    proc = w.push(f"{oid}:refs/heads/main")
    assert proc.returncode != 0 and not w.server_has(oid), proc.stderr
    assert f"コミット {oid[:10]}: エラー [pii_outside]" in proc.stderr and "git が書かない見出し「x-memo」" in proc.stderr
    assert FAMILY not in proc.stderr


def test_a_name_in_a_message_in_another_encoding_is_read_as_git_log_shows_it(w: Ward) -> None:
    """A message in Shift_JIS (i18n.commitEncoding) is shown by git log in UTF-8: read as such, the
    name is found; bytes that do not read in the commit's encoding are refused unread."""
    message = w.repo.root.parent / "sjis-message.txt"
    message.write_bytes(f"{FAMILY}{GIVEN}さんの分\n".encode("shift_jis"))
    w.write("docs/note.md", "# メモ（SJIS）\n")
    assert w.git("add", "-A").returncode == 0
    made = w.git("-c", "i18n.commitEncoding=SHIFT_JIS", "commit", "-q", "--no-verify", "-F", str(message))
    assert made.returncode == 0, made.stderr
    assert f"{FAMILY}{GIVEN}" in w.git("log", "-1", "--format=%B").stdout   # git log shows the name
    commit = w.head()
    proc = w.push()
    assert proc.returncode != 0 and not w.server_has(commit), proc.stderr
    assert f"コミット {commit[:10]}: エラー [pii_outside]" in proc.stderr and "(コミットメッセージ)" in proc.stderr
    assert w.git("reset", "-q", "--hard", "HEAD~1").returncode == 0
    # git commit itself would turn such bytes into UTF-8: a commit made by hand keeps them
    head = w.git("cat-file", "commit", "HEAD").stdout.partition("\n\n")[0].splitlines()
    kept = [line for line in head if line.startswith(("tree ", "author ", "committer "))]
    raw = ("\n".join([kept[0], f"parent {w.head()}", *kept[1:]]) + "\n\nmemo ").encode() \
        + f"{FAMILY}{GIVEN}".encode("shift_jis") + b"\n"  # not UTF-8, and no encoding header says otherwise
    made = subprocess.run(["git", "hash-object", "-t", "commit", "-w", "--stdin"], cwd=w.repo.root, input=raw,
                          capture_output=True, env=w.repo.env)
    assert made.returncode == 0, made.stderr
    commit = made.stdout.decode().strip()
    proc = w.push(f"{commit}:refs/heads/main")
    assert proc.returncode != 0 and not w.server_has(commit), proc.stderr
    assert "メッセージが、そのコミット（タグ）の文字コード（既定は UTF-8）で読めません" in proc.stderr


def test_a_file_or_ref_name_in_another_encoding_is_refused(w: Ward) -> None:
    """git keeps file and ref names as bytes: a name in Shift_JIS cannot be read as a name, so it is
    refused unread (and said with its bytes as \\xNN), never let through as undecodable text."""
    sjis = f"{FAMILY}{GIVEN}".encode("shift_jis")
    escaped = sjis.decode("utf-8", "backslashreplace")
    (w.repo.root / "docs").mkdir(exist_ok=True)
    (w.repo.root / "docs" / (b"memo-" + sjis + b".md").decode("utf-8", "surrogateescape")).write_text("# メモ\n")
    commit = w.commit("メモ")
    proc = w.push()
    assert proc.returncode != 0 and not w.server_has(commit), proc.stderr
    assert f"docs/memo-{escaped}.md" in proc.stderr and "ファイル名が UTF-8 ではありません" in proc.stderr
    assert "内部エラー" not in proc.stderr
    w.git("reset", "-q", "--hard", "origin/main")
    ref = b"refs/heads/memo-" + sjis
    pushed = subprocess.run([b"git", b"push", b"--no-verify", b"origin", b"HEAD:" + ref], cwd=w.repo.root,
                            env=w.repo.env, capture_output=True)
    said = pushed.stderr.decode("utf-8", "replace")
    assert pushed.returncode != 0 and "参照名が UTF-8 ではありません" in said, said
    assert subprocess.run([b"git", b"rev-parse", b"--verify", b"-q", ref], cwd=w.bare).returncode != 0


def test_main_can_be_neither_deleted_nor_rewound(w: Ward) -> None:
    w.write("docs/note.md", "# メモ\n")
    w.commit("メモ")
    accepted(w, w.push())
    back = w.push("+HEAD~1:main")
    assert back.returncode != 0 and "保護するブランチ refs/heads/main は巻き戻せません" in back.stderr
    gone = w.push(":main")
    assert gone.returncode != 0 and "保護するブランチ refs/heads/main は削除できません" in gone.stderr
    assert subprocess.run(["git", "rev-parse", "main"], cwd=w.bare, capture_output=True, text=True).stdout.strip() \
        == w.head()


def test_a_replace_ref_cannot_swap_the_trusted_base(w: Ward) -> None:
    """git honours refs/replace/: a replacement of main's tip by an older accepted commit (no new
    commit to judge) would make every git read of the tip – the trusted base – see the older rules,
    and a push judged by them. Such refs are refused, and saiken's own reads ignore replacements."""
    _allow(w, '  "notes/*.md": text\n')
    older = w.commit("メモの置き場所（甲の承認）", signer="kou-01")
    accepted(w, w.push())
    _allow(w, "")
    tip = w.commit("メモの置き場所をやめる（甲の承認）", signer="kou-01")
    accepted(w, w.push())
    assert w.git("replace", tip, older).returncode == 0
    try:
        swap = w.push(f"refs/replace/{tip}:refs/replace/{tip}")
        assert swap.returncode != 0, swap.stderr
        assert f"refs/replace/{tip}" in swap.stderr and "置き換え" in swap.stderr
        listed = subprocess.run(["git", "for-each-ref", "refs/replace/"], cwd=w.bare, capture_output=True, text=True)
        assert listed.stdout == ""
        # were a replacement already in the server's repository, the tip is still read as it is
        subprocess.run(["git", "replace", "-f", tip, older], cwd=w.bare, check=True, capture_output=True)
        w.write("notes/引継ぎ.md", "# 引継ぎ\n")
        leak = w.commit("引継ぎのメモ")
        proc = w.push()
        assert proc.returncode != 0 and not w.server_has(leak), proc.stderr
        assert f"コミット {leak[:10]}: エラー [paths] 特記事項2・8 notes/引継ぎ.md" in proc.stderr
    finally:
        subprocess.run(["git", "replace", "-d", tip], cwd=w.bare, capture_output=True)
        w.git("replace", "-d", tip)


def test_the_client_side_checks_judge_by_the_same_base(w: Ward) -> None:
    w.edit("policies/prohibited-categories.yaml", "[犯罪, 前科, 前歴,", "[犯罪, 前歴,")
    commit = w.commit("語彙の整理")
    rng = w.repo.saiken("check", "--range", "origin/main..HEAD")
    assert rng.returncode == 1
    assert f"コミット {commit[:10]}: エラー [rules] 特記事項4・5・6・13 policies/prohibited-categories.yaml" in rng.stdout
    line = f"refs/heads/main {commit} refs/heads/main {w.git('rev-parse', 'origin/main').stdout.strip()}\n"
    push = w.repo.saiken("hook", "pre-push", "origin", str(w.bare), input=line)
    assert push.returncode == 1 and "エラー [rules]" in push.stderr and "kou-01" in push.stderr


# --- the bootstrap: a new repository ---------------------------------------------------------------------

def test_a_repository_made_by_saiken_init_sets_up_its_signers_then_needs_them(tmp_path: Path) -> None:
    env = _base_env(tmp_path)
    assert subprocess.run([str(VENV_BIN / "saiken"), "init", "made"], cwd=tmp_path, env=env,
                          capture_output=True).returncode == 0
    root, bare = tmp_path / "made", tmp_path / "server.git"
    repo = RecordsRepo(root, env, Path(), "")
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True, env=env)
    w = Ward(repo, bare, {"kou-01": ssh_key(tmp_path, "kou-01")})
    documented_hook(bare, None)  # a server without a key
    w.git("remote", "add", "origin", str(bare))
    early = w.push("HEAD:refs/heads/work")
    assert early.returncode != 0 and "保護するブランチ refs/heads/main がまだないため" in early.stderr
    assert w.push().returncode == 0  # the first push of main is trusted as it comes
    # no 甲 handler with a signing key yet: the rules may change unsigned, and the server says so
    repo.saiken("handler", "add", "--id", "kou-01", "--name", "架空 甲野", "--org", "甲", "--role", "取扱責任者",
                "--key", public(w.keys["kou-01"]), "--signing-key", public(w.keys["kou-01"]), check=True)
    w.commit("甲の取扱責任者を指定")
    first = w.push()
    assert first.returncode == 0, first.stderr
    assert "警告 [rules]" in first.stderr and "署名なしで受け付けました" in first.stderr
    # from now on, kou-01 signs
    w.edit("policies/trust.yaml", "protected_paths: []", "protected_paths: [docs/]")
    unsigned = w.commit("保護するパスを追加")
    refused(w, w.push(), unsigned, "policies/trust.yaml")
    w.git("reset", "-q", "--soft", "HEAD~1")
    w.commit("保護するパスを追加（甲の承認）", signer="kou-01")
    accepted(w, w.push())
    w.write("docs/index.md", "# 方針\n")  # docs/ is protected now: the signed change is in force
    heading = w.commit("方針の見出し")
    refused(w, w.push(), heading, "docs/index.md")


def test_handler_add_signs_when_the_key_is_a_ward_handlers_and_says_who_otherwise(w: Ward) -> None:
    said = w.repo.saiken("handler", "add", "--id", "otsu-05", "--name", "架空 五郎", "--org", "乙", "--role", "取扱者",
                         "--key", public(w.keys["stranger"]), check=True)
    assert "甲の有効な取扱者（kou-01）の署名付きコミットでなければ" in said.stdout
    assert "署名鍵（user.signingkey）が設定されていません" in said.stdout
    assert "git -c gpg.format=ssh commit -S" in said.stdout
    assert w.git("status", "--porcelain").stdout.strip() == "M policies/handlers.yaml"
    w.git("checkout", "-q", "--", "policies/handlers.yaml")
    w.git("config", "user.signingkey", str(w.keys["kou-01"]) + ".pub")
    try:
        said = w.repo.saiken("handler", "add", "--id", "otsu-05", "--name", "架空 五郎", "--org", "乙",
                             "--role", "取扱者", "--key", public(w.keys["stranger"]), check=True)
    finally:
        w.git("config", "--unset", "user.signingkey")
    assert "甲の取扱者 kou-01 の署名付きコミット" in said.stdout
    assert w.git("status", "--porcelain").stdout.strip() == ""
    accepted(w, w.push())
