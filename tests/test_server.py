"""The records server for real: Debian's gitolite3 behind OpenSSH's sshd on a loopback port.

The test sets everything up itself, in temp folders: gitolite's home (its rc, rules, keydir and
repositories), an sshd with its own config, host key and pid file that logs in the current user
with gitolite's forced `command=` keys (HOME pointed at that temp home with SetEnv), and three
handlers with their own age identities and SSH keys – kou-01 (甲), otsu-01 and otsu-02 (乙) – plus
an outsider's key. They clone, commit and push over SSH exactly as staff would. Every person here
is fictional (架空). The tests in this file run in order and share the server.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from test_checks import case_yaml

import loopback_sshd
from saiken.core.layout import manifest_rel, record_rel
from conftest import VENV_BIN, RecordsRepo, make_records_repo
from loopback_sshd import ssh_keygen

SAIKEN = str(VENV_BIN / "saiken")


def run(args: list[str], cwd: Path, env: dict[str, str], input: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, input=input, capture_output=True, text=True, timeout=120)


def ok(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 0, f"{proc.args}:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


@dataclass
class Person:
    """A handler (or an outsider) with an SSH key, an age identity and a clone of their own."""

    id: str
    ssh_key: Path
    env: dict[str, str]
    clone: Path

    def git(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return run(["git", *args], cwd or self.clone, self.env)

    def saiken(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        return run([SAIKEN, *args], self.clone, self.env, input)

    def commit_case(self, case_id: str) -> None:
        """A new fictional record, written by saiken (encrypted) and committed."""
        ok(self.saiken("case", "new", "--from", "-", input=case_yaml(case_id)))
        ok(self.git("add", "-A"))
        ok(self.git("commit", "-q", "-m", f"事案 {case_id} を登録"))


@dataclass
class Server:
    tmp: Path
    home: Path          # the gitolite user's home
    url: str
    mirror: Path
    sshd: loopback_sshd.Sshd
    repo: RecordsRepo   # the first handler's work tree, where the records repository was made
    people: dict[str, Person]

    def env(self) -> dict[str, str]:
        return {**self.repo.env, "HOME": str(self.home)}

    def saiken(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run([SAIKEN, *args], self.home, self.env())

    def refs(self, bare: Path) -> str:
        return ok(run(["git", "for-each-ref", "--format=%(objectname) %(refname)"], bare, self.env()))


def _person(tmp: Path, repo: RecordsRepo, hid: str, sshd: loopback_sshd.Sshd) -> Person:
    key = tmp / "keys" / hid
    ssh_keygen(key)
    env = {**repo.env, "GIT_AUTHOR_NAME": f"架空 {hid}", "GIT_AUTHOR_EMAIL": f"{hid}@example.invalid",
           "GIT_COMMITTER_NAME": f"架空 {hid}", "GIT_COMMITTER_EMAIL": f"{hid}@example.invalid",
           "GIT_SSH_COMMAND": sshd.ssh_command(key)}
    if hid in repo.handlers:
        env["SAIKEN_IDENTITY"] = str(repo.handlers[hid][0])
    if hid == "kou-01":  # 甲 signs changes to the rules with git's SSH signing (the login key serves here)
        env.update({"GIT_CONFIG_COUNT": "2", "GIT_CONFIG_KEY_0": "gpg.format", "GIT_CONFIG_VALUE_0": "ssh",
                    "GIT_CONFIG_KEY_1": "user.signingkey", "GIT_CONFIG_VALUE_1": str(key)})
    return Person(hid, key, env, tmp / "clones" / hid)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    assert shutil.which("gitolite"), "gitolite3 is missing: bash scripts/setup.sh --test installs it"
    tmp = tmp_path_factory.mktemp("server")
    home = tmp / "gitolite"
    home.mkdir()
    sshd = loopback_sshd.start(tmp / "sshd", home)
    try:
        # the records repository, made by its handlers before the server has it
        repo = make_records_repo(tmp)                            # otsu-01, 乙 取扱責任者
        repo.add_handler("kou-01", org="甲", role="取扱責任者")
        repo.add_handler("otsu-02")
        people = {hid: _person(tmp, repo, hid, sshd) for hid in ("kou-01", "otsu-01", "otsu-02", "outsider")}
        for hid in ("kou-01", "otsu-01", "otsu-02"):
            repo.saiken("handler", "ssh-key", hid, "--key", people[hid].ssh_key.with_suffix(".pub").read_text(),
                        check=True)
        repo.saiken("handler", "signing-key", "kou-01", "--key",
                    people["kou-01"].ssh_key.with_suffix(".pub").read_text(), check=True)
        (repo.root / "records").mkdir()
        (repo.root / "records" / ".gitkeep").touch()
        ok(run(["git", "add", "-A"], repo.root, people["kou-01"].env))
        ok(run(["git", "commit", "-q", "-m", "記録リポジトリを作成"], repo.root, people["kou-01"].env))
        bundle = tmp / "records.bundle"
        ok(run(["git", "bundle", "create", "-q", str(bundle), "--all"], repo.root, repo.env))
        # the ward's server, from nothing, with a mirror
        mirror = tmp / "mirror.git"
        ok(run(["git", "init", "-q", "--bare", str(mirror)], tmp, repo.env))
        ok(run([SAIKEN, "server", "setup", "--import", str(bundle), "--mirror", str(mirror)], tmp,
               {**repo.env, "HOME": str(home)}))
        yield Server(tmp, home, sshd.url("records"), mirror, sshd, repo, people)
    finally:
        sshd.stop()


def clone(server: Server, who: str) -> subprocess.CompletedProcess[str]:
    person = server.people[who]
    shutil.rmtree(person.clone, ignore_errors=True)
    person.clone.parent.mkdir(exist_ok=True)
    return person.git("clone", "-q", server.url, str(person.clone), cwd=person.clone.parent)


# --- setup -----------------------------------------------------------------------------------------

def test_setup_generates_rules_and_keys_from_the_active_handlers(server: Server) -> None:
    conf = (server.home / ".gitolite" / "conf" / "saiken" / "records.conf").read_text()
    groups = {line.split("=")[0].strip(): set(line.split("=")[1].split()) for line in conf.splitlines()
              if line.startswith("@")}
    assert groups == {"@saiken-handlers": {"kou-01", "otsu-01", "otsu-02"}, "@saiken-kou": {"kou-01"}}
    keys = sorted(p.name for p in (server.home / ".gitolite" / "keydir" / "saiken").iterdir())
    assert keys == ["kou-01.pub", "otsu-01.pub", "otsu-02.pub"]
    authorized = (server.home / ".ssh" / "authorized_keys").read_text()
    assert authorized.count("gitolite-shell") == 3 and "gitolite-shell otsu-02\"" in authorized
    # gitolite itself agrees: the three handlers and nobody else (its own admin included) may read
    audit = server.saiken("server", "access", "--home", str(server.home))
    assert audit.returncode == 0, audit.stderr
    assert "saiken-admin\t読めない\t取扱者でない" in audit.stdout and "kou-01\t読める\t取扱者" in audit.stdout


# --- handlers over SSH ----------------------------------------------------------------------------

def test_three_handlers_clone_commit_and_push_a_record(server: Server) -> None:
    for who in ("kou-01", "otsu-01", "otsu-02"):
        ok(clone(server, who))
    otsu2 = server.people["otsu-02"]
    otsu2.commit_case("C-SRV00001")
    pushed = otsu2.git("push", "origin", "main")
    assert pushed.returncode == 0, pushed.stderr
    assert "検査したコミット 1 件: エラー 0 件" in pushed.stderr       # the hook ran, over SSH
    kou = server.people["kou-01"]
    ok(kou.git("pull", "-q", "--ff-only"))
    shown = kou.saiken("case", "show", "C-SRV00001")
    assert shown.returncode == 0 and "試験谷" in shown.stdout           # another handler decrypts it


def test_an_outsiders_key_is_refused(server: Server) -> None:
    refused = clone(server, "outsider")
    assert refused.returncode != 0 and "Permission denied (publickey)" in refused.stderr


def test_a_policy_push_by_an_otsu_handler_is_refused_with_the_reason(server: Server) -> None:
    otsu1 = server.people["otsu-01"]
    ok(otsu1.git("pull", "-q", "--ff-only"))
    before = otsu1.git("rev-parse", "origin/main").stdout
    path = otsu1.clone / "policies" / "prohibited-categories.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "# 乙が書き加えた行\n", encoding="utf-8")
    ok(otsu1.git("commit", "-q", "-am", "収集禁止の語を変更"))
    refused = otsu1.git("push", "origin", "main")     # unsigned: the hook refuses it (the trusted base's rules)
    assert refused.returncode != 0
    assert "エラー [rules]" in refused.stderr and "policies/prohibited-categories.yaml" in refused.stderr
    assert "甲の有効な取扱者（kou-01）" in refused.stderr
    # the same change signed by 甲 but pushed by 乙: gitolite's rule lets only 甲 handlers touch policies/
    kou = server.people["kou-01"]
    ok(kou.git("pull", "-q", "--ff-only"))
    kou_path = kou.clone / "policies" / "prohibited-categories.yaml"
    kou_path.write_text(kou_path.read_text(encoding="utf-8") + "# 甲が署名した行\n", encoding="utf-8")
    ok(kou.git("commit", "-q", "-S", "-am", "収集禁止の語を変更（甲の署名）"))
    ok(otsu1.git("reset", "-q", "--hard", "origin/main"))
    ok(otsu1.git("pull", "-q", "--ff-only", str(kou.clone), "main"))
    refused = otsu1.git("push", "origin", "main")
    assert refused.returncode != 0
    assert "乙の取扱者は policies/ を変更できません" in refused.stderr
    assert "VREF/SAIKEN-POLICY/policies/prohibited-categories.yaml" in refused.stderr
    # on a new branch of their own too: the branch brings a policy change the server does not have
    refused = otsu1.git("push", "origin", "HEAD:refs/heads/otsu-01-work")
    assert refused.returncode != 0 and "乙の取扱者は policies/ を変更できません" in refused.stderr
    ok(otsu1.git("reset", "-q", "--hard", "origin/main"))
    ok(kou.git("reset", "-q", "--hard", "origin/main"))
    assert ok(otsu1.git("ls-remote", "origin", "refs/heads/main")).split()[0] == before.strip()


def test_an_otsu_handler_may_push_a_new_branch_without_policy_changes(server: Server) -> None:
    """gitolite's own VREF/NAME would count every file of a new branch as changed; ours does not."""
    otsu1 = server.people["otsu-01"]
    otsu1.commit_case("C-SRV00002")
    pushed = otsu1.git("push", "origin", "HEAD:refs/heads/otsu-01-work")
    assert pushed.returncode == 0, pushed.stderr
    ok(otsu1.git("push", "-q", "origin", "HEAD:refs/heads/main"))


def test_a_push_with_plaintext_is_refused_with_the_japanese_message(server: Server) -> None:
    otsu2 = server.people["otsu-02"]
    ok(otsu2.git("pull", "-q", "--ff-only"))
    (otsu2.clone / record_rel("C-SRV00009")).parent.mkdir(parents=True, exist_ok=True)
    (otsu2.clone / record_rel("C-SRV00009")).write_text(case_yaml("C-SRV00009"), encoding="utf-8")
    ok(otsu2.git("add", "-A"))
    ok(otsu2.git("commit", "-q", "-m", "事案 C-SRV00009 を登録"))
    blob = otsu2.git("rev-parse", f"HEAD:{record_rel('C-SRV00009')}").stdout.strip()
    refused = otsu2.git("push", "origin", "main")
    assert refused.returncode != 0
    assert "remote:" in refused.stderr and "[plaintext]" in refused.stderr
    assert "暗号化されていない" in refused.stderr and "pre-receive hook declined" in refused.stderr
    assert "試験谷" not in refused.stderr                               # the record's text stays out of logs
    bare = server.home / "repositories" / "records.git"
    assert run(["git", "cat-file", "-e", blob], bare, server.env()).returncode != 0
    ok(otsu2.git("reset", "-q", "--hard", "origin/main"))


def test_a_receipt_is_pushed_by_its_receiver_only(server: Server) -> None:
    """乙 cannot write 甲's acknowledgement of a handover, even in 甲's name as committer: gitolite
    names the key that pushes, and a receipt entry must come from the receiver's own key."""
    otsu1, kou = server.people["otsu-01"], server.people["kou-01"]
    ok(otsu1.git("pull", "-q", "--ff-only"))
    otsu1.commit_case("C-SRV00020")
    ok(otsu1.git("push", "-q", "origin", "main"))
    handover = ok(otsu1.git("rev-parse", "HEAD")).strip()
    receipts = otsu1.clone / "ledger" / "receipts.yaml"
    text = receipts.read_text(encoding="utf-8") if receipts.exists() else "receipts:\n"
    receipts.parent.mkdir(exist_ok=True)
    receipts.write_text(text.rstrip("\n").replace("receipts: []", "receipts:") +
                        f"\n  - commit: {handover}\n    receiver: kou-01\n    date: 2026-12-04\n    method: git\n",
                        encoding="utf-8")
    ok(otsu1.git("add", "-A"))
    as_kou = {**otsu1.env, "GIT_AUTHOR_EMAIL": "kou-01@example.invalid", "GIT_COMMITTER_EMAIL": "kou-01@example.invalid"}
    ok(run(["git", "commit", "-q", "-m", f"受領確認: {handover[:12]}"], otsu1.clone, as_kou))
    refused = otsu1.git("push", "origin", "main")
    assert refused.returncode != 0 and "pre-receive hook declined" in refused.stderr
    assert "[receipts]" in refused.stderr
    assert "取扱者 kou-01 の受領確認を、otsu-01 の鍵で push しています" in refused.stderr
    ok(otsu1.git("reset", "-q", "--hard", "origin/main"))
    # the receiver records it and pushes it with their own key
    ok(kou.git("pull", "-q", "--ff-only"))
    ok(kou.saiken("ledger", "receive", handover[:12]))
    pushed = kou.git("push", "origin", "main")
    assert pushed.returncode == 0, pushed.stderr
    rows = ok(kou.saiken("ledger", "handovers", "--format", "csv"))
    assert f"受領済（kou-01" in next(line for line in rows.splitlines() if handover[:12] in line)


def test_the_mirror_has_every_accepted_push_and_nothing_else(server: Server) -> None:
    bare = server.home / "repositories" / "records.git"
    assert server.refs(server.mirror) == server.refs(bare)
    assert "refs/heads/otsu-01-work" in server.refs(server.mirror)


def test_nobody_rewinds_the_protected_branch(server: Server) -> None:
    """The accepted history is the trusted base of every later push: not even a 甲 handler rewrites it."""
    kou = server.people["kou-01"]
    ok(kou.git("pull", "-q", "--ff-only"))
    tip = ok(kou.git("rev-parse", "HEAD")).strip()
    refused = kou.git("push", "--force", "origin", "HEAD~1:refs/heads/main")
    # the hook refuses first (the rules' history), gitolite's rule would too (no RW+ for anyone)
    assert refused.returncode != 0 and "巻き戻せません" in refused.stderr
    refused = kou.git("push", "origin", ":refs/heads/otsu-01-work")
    assert refused.returncode != 0 and "DENIED" in refused.stderr
    assert ok(kou.git("ls-remote", "origin", "refs/heads/main")).split()[0] == tip


# --- taking access away ---------------------------------------------------------------------------

def test_deactivating_a_handler_removes_access_in_the_same_push(server: Server) -> None:
    kou = server.people["kou-01"]
    ok(kou.git("pull", "-q", "--ff-only"))
    said = ok(kou.saiken("handler", "deactivate", "otsu-02"))   # a change to the rules: kou-01 signs it
    assert "kou-01 の署名付きコミット" in said
    ok(kou.saiken("rekey"))                                       # the new key set counts from the next commit
    ok(kou.git("add", "-A"))
    ok(kou.git("commit", "-q", "-m", "全記録を暗号化し直す"))
    pushed = kou.git("push", "origin", "main")
    assert pushed.returncode == 0, pushed.stderr
    assert "接続できなくなった取扱者: otsu-02" in pushed.stderr
    otsu2 = server.people["otsu-02"]
    refused = otsu2.git("push", "origin", "main")        # from the clone they still have
    assert refused.returncode != 0 and "Permission denied (publickey)" in refused.stderr
    refused = otsu2.git("clone", "-q", server.url, str(otsu2.clone.with_name("again")), cwd=otsu2.clone.parent)
    assert refused.returncode != 0 and "Permission denied (publickey)" in refused.stderr
    conf = (server.home / ".gitolite" / "conf" / "saiken" / "records.conf").read_text()
    assert "otsu-02" not in conf
    assert ok(server.saiken("server", "access", "--home", str(server.home))).count("\t読める\t") == 2
    ok(server.people["otsu-01"].git("pull", "-q", "--ff-only"))     # the others go on as before


def test_a_push_leaving_no_kou_handler_with_a_key_is_refused(server: Server) -> None:
    kou = server.people["kou-01"]
    assert "kou-01 の署名付きコミット" in ok(kou.saiken("handler", "ssh-key", "kou-01", "--remove"))
    refused = kou.git("push", "origin", "main")
    assert refused.returncode != 0 and "policies/ を変更できる甲の取扱者" in refused.stderr
    ok(kou.git("reset", "-q", "--hard", "origin/main"))
    assert ok(clone(server, "kou-01")) is not None


def test_setup_run_again_keeps_the_access_and_the_hooks(server: Server) -> None:
    before = (server.home / ".ssh" / "authorized_keys").read_text()
    again = server.saiken("server", "setup")
    assert again.returncode == 0, again.stderr
    assert "接続できる取扱者: otsu-01、kou-01" in again.stdout
    assert (server.home / ".ssh" / "authorized_keys").read_text() == before
    hooks = server.home / "repositories" / "records.git" / "hooks"
    assert (hooks / "pre-receive.h00-saiken-pre-receive").resolve().is_file()
    ok(server.people["otsu-01"].git("fetch", "-q"))


# --- backup and restore ----------------------------------------------------------------------------

def test_a_new_server_restored_from_the_mirror_gives_the_same_access(server: Server) -> None:
    home = server.tmp / "restored"
    home.mkdir()
    env = {**server.env(), "HOME": str(home)}
    ok(run([SAIKEN, "server", "setup", "--import", str(server.mirror)], server.tmp, env))
    audit = ok(run([SAIKEN, "server", "access", "--home", str(home)], server.tmp, env))
    assert "kou-01\t読める" in audit and "otsu-01\t読める" in audit and "otsu-02" not in audit
    assert server.refs(home / "repositories" / "records.git") == server.refs(server.mirror)


def test_setup_on_a_gitolite_without_the_include_line_says_what_to_add(server: Server) -> None:
    home = server.tmp / "existing"
    home.mkdir()
    env = {**server.env(), "HOME": str(home)}
    ok(run(["gitolite", "setup", "-a", "someone"], server.tmp, env))
    refused = run([SAIKEN, "server", "setup"], server.tmp, env)
    assert refused.returncode == 1 and 'include "saiken/*.conf"' in refused.stderr
    assert not (home / "repositories" / "records.git").exists()


# --- the ssh_key field -----------------------------------------------------------------------------

@pytest.mark.parametrize("bad,words", [
    ("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7", "SSH の公開鍵として読めません"),
    ('command="sh" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDC7vqDypdvCxFscIbbhQVJ9KoNlaE1gfrI2b+Sepo+1',
     "オプションを付けずに"),
    ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDC7vqDy", "SSH の公開鍵として読めません"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----", "秘密鍵"),
])
def test_a_bad_ssh_key_is_refused_and_nothing_is_written(tmp_path: Path, bad: str, words: str) -> None:
    repo = make_records_repo(tmp_path)
    before = (repo.root / "policies" / "handlers.yaml").read_bytes()
    refused = repo.saiken("handler", "ssh-key", "otsu-01", f"--key={bad}")
    assert refused.returncode == 1 and words in refused.stderr and "saiken handler ssh-key" in refused.stderr
    assert (repo.root / "policies" / "handlers.yaml").read_bytes() == before


def test_handler_add_takes_an_ssh_key_and_refuses_one_already_in_use(tmp_path: Path) -> None:
    repo = make_records_repo(tmp_path)
    key = ssh_keygen(tmp_path / "k")
    ok_add = repo.saiken("handler", "add", "--id", "kou-01", "--name", "架空 甲野", "--org", "甲", "--role", "取扱責任者",
                         "--key", _age_public(), "--ssh-key", key)
    assert ok_add.returncode == 0, ok_add.stderr
    assert f"ssh_key: {' '.join(key.split()[:2])}" in (repo.root / "policies" / "handlers.yaml").read_text()
    before = (repo.root / "policies" / "handlers.yaml").read_bytes()
    refused = repo.saiken("handler", "ssh-key", "otsu-01", "--key", key)
    assert refused.returncode == 1 and "ssh_key が同じです" in refused.stderr
    assert (repo.root / "policies" / "handlers.yaml").read_bytes() == before
    listed = repo.saiken("server", "access", check=True).stdout
    assert "kou-01\t甲\t取扱責任者\t接続できる\t読み書き・policies/ の変更" in listed
    assert "otsu-01\t乙\t取扱責任者\t接続できない\tssh_key なし" in listed


def _age_public() -> str:
    from saiken.core import crypto

    return crypto.generate_identity()[1]
