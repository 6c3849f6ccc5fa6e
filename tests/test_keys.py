"""Keys: `saiken keygen`, passphrase-protected and ssh-ed25519 identities, and identity errors.

Everything runs the real `saiken` console script, the real `age` and `ssh-keygen` programs, and a
real pseudo-terminal where a person would type a passphrase.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

import ptyrun
from conftest import VENV_BIN, RecordsRepo
from saiken.core import crypto
from saiken.core.layout import manifest_rel, record_rel

CASE = "C-TEST0001"
PASSPHRASE = "架空の合言葉 correct horse"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _new_case(repo: RecordsRepo, text: str) -> None:
    src = repo.root.parent / "case-src.yaml"
    src.write_text(text, encoding="utf-8")
    repo.saiken("case", "new", "--from", str(src), check=True)
    src.unlink()


def _passphrase_file(repo: RecordsRepo, secret: str, name: str = "pass.txt") -> Path:
    path = repo.root.parent / name
    path.write_text(secret + "\n", encoding="utf-8")
    path.chmod(0o600)
    return path


def _keygen_protected(repo: RecordsRepo, path: Path) -> str:
    pf = _passphrase_file(repo, PASSPHRASE)
    r = repo.saiken("keygen", "--passphrase", "-o", str(path), env={"SAIKEN_PASSPHRASE_FILE": str(pf)}, check=True)
    return r.stdout.strip()


def _ssh_keygen(folder: Path, name: str = "k") -> Path:
    key = folder / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "fictional@example.invalid",
                    "-f", str(key)], check=True)
    return key


# --- keygen ----------------------------------------------------------------------------------------

def test_keygen_default_path_mode_0600_and_prints_public_key(records_repo: RecordsRepo) -> None:
    env = {k: v for k, v in records_repo.env.items() if k != "SAIKEN_IDENTITY"}
    proc = subprocess.run([str(VENV_BIN / "saiken"), "keygen"], cwd=records_repo.root, env=env,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    path = Path(env["XDG_CONFIG_HOME"]) / "saiken" / "identity.txt"
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700
    public = proc.stdout.strip()
    assert public.startswith("age1") and "\n" not in public
    assert [i.public for i in crypto.load_identity_file(path)] == [public]
    assert "AGE-SECRET-KEY" not in proc.stdout + proc.stderr  # the secret is never printed
    # the age CLI reads the same file
    assert subprocess.run(["age-keygen", "-y", str(path)], capture_output=True, text=True,
                          check=True).stdout.strip() == public


def test_keygen_refuses_to_overwrite(records_repo: RecordsRepo) -> None:
    path = records_repo.root.parent / "mine.txt"
    records_repo.saiken("keygen", "-o", str(path), check=True)
    before = path.read_bytes()
    r = records_repo.saiken("keygen", "-o", str(path))
    assert r.returncode != 0
    assert "既にあります" in r.stderr and "上書きはしません" in r.stderr
    assert path.read_bytes() == before
    # nor through a symlink, even a dangling one
    link = records_repo.root.parent / "link.txt"
    link.symlink_to(records_repo.root.parent / "nowhere.txt")
    r = records_repo.saiken("keygen", "-o", str(link))
    assert r.returncode != 0 and "既にあります" in r.stderr
    assert not (records_repo.root.parent / "nowhere.txt").exists()


def test_keygen_passphrase_round_trip_with_passphrase_file(records_repo: RecordsRepo,
                                                          fictional_case_text: str) -> None:
    key = records_repo.root.parent / "protected.txt"
    public = _keygen_protected(records_repo, key)
    assert _mode(key) == 0o600
    data = key.read_bytes()
    assert data.startswith(b"-----BEGIN AGE ENCRYPTED FILE-----")
    assert b"AGE-SECRET-KEY" not in data
    records_repo.saiken("handler", "add", "--id", "kou-01", "--name", "架空 甲野", "--org", "甲",
                        "--role", "取扱者", "--key", public, check=True)
    _new_case(records_repo, fictional_case_text)
    pf = _passphrase_file(records_repo, PASSPHRASE, "again.txt")
    env = {"SAIKEN_IDENTITY": str(key), "SAIKEN_PASSPHRASE_FILE": str(pf)}
    r = records_repo.saiken("case", "show", CASE, env=env)
    assert r.returncode == 0, r.stderr
    assert f"case_id: {CASE}" in r.stdout
    r = records_repo.saiken("keygen", "-y", str(key), env={"SAIKEN_PASSPHRASE_FILE": str(pf)})
    assert r.stdout.strip() == public


def test_wrong_passphrase_is_a_clear_error(records_repo: RecordsRepo, fictional_case_text: str) -> None:
    key = records_repo.root.parent / "protected.txt"
    public = _keygen_protected(records_repo, key)
    records_repo.saiken("handler", "add", "--id", "kou-01", "--name", "架空 甲野", "--org", "甲",
                        "--role", "取扱者", "--key", public, check=True)
    _new_case(records_repo, fictional_case_text)
    wrong = _passphrase_file(records_repo, "まちがい wrong horse", "wrong.txt")
    env = {"SAIKEN_IDENTITY": str(key), "SAIKEN_PASSPHRASE_FILE": str(wrong)}
    r = records_repo.saiken("case", "show", CASE, env=env)
    assert r.returncode != 0
    assert "パスフレーズが違います" in r.stderr and str(key) in r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""


def test_passphrase_prompt_on_the_terminal(records_repo: RecordsRepo, fictional_case_text: str) -> None:
    key = records_repo.root.parent / "protected.txt"
    env = {k: v for k, v in records_repo.env.items() if k != "SAIKEN_IDENTITY"}
    saiken = str(VENV_BIN / "saiken")
    made = ptyrun.run([saiken, "keygen", "--passphrase", "-o", str(key)], env=env, cwd=records_repo.root,
                      answers=[("パスフレーズ: ", PASSPHRASE), ("もう一度", PASSPHRASE)])
    assert made.returncode == 0, made.output
    assert PASSPHRASE not in made.output  # typed with the echo off
    public = made.output.strip().splitlines()[-1].strip()
    assert public.startswith("age1")
    records_repo.saiken("handler", "add", "--id", "kou-01", "--name", "架空 甲野", "--org", "甲",
                        "--role", "取扱者", "--key", public, check=True)
    _new_case(records_repo, fictional_case_text)
    env["SAIKEN_IDENTITY"] = str(key)
    shown = ptyrun.run([saiken, "case", "show", CASE], env=env, cwd=records_repo.root,
                       answers=[("のパスフレーズ: ", PASSPHRASE)])
    assert shown.returncode == 0, shown.output
    assert f"case_id: {CASE}" in shown.output
    wrong = ptyrun.run([saiken, "case", "show", CASE], env=env, cwd=records_repo.root,
                       answers=[("のパスフレーズ: ", "wrong horse battery")])
    assert wrong.returncode != 0
    assert "パスフレーズが違います" in wrong.output and "case_id" not in wrong.output


def test_keygen_mismatched_passphrase_writes_nothing(records_repo: RecordsRepo) -> None:
    key = records_repo.root.parent / "protected.txt"
    r = ptyrun.run([str(VENV_BIN / "saiken"), "keygen", "--passphrase", "-o", str(key)], env=records_repo.env,
                   cwd=records_repo.root, answers=[("パスフレーズ: ", PASSPHRASE), ("もう一度", PASSPHRASE + "x")])
    assert r.returncode != 0
    assert "パスフレーズが一致しません" in r.output
    assert not key.exists()
    short = _passphrase_file(records_repo, "short")
    r2 = records_repo.saiken("keygen", "--passphrase", "-o", str(key), env={"SAIKEN_PASSPHRASE_FILE": str(short)})
    assert r2.returncode != 0 and "短すぎます" in r2.stderr
    assert not key.exists()


def test_no_terminal_and_no_passphrase_file(records_repo: RecordsRepo) -> None:
    key = records_repo.root.parent / "protected.txt"
    _keygen_protected(records_repo, key)
    # a new session has no controlling terminal, as under cron or CI
    proc = subprocess.run([str(VENV_BIN / "saiken"), "keygen", "-y", str(key)], cwd=records_repo.root,
                          env=records_repo.env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          start_new_session=True, check=False)
    assert proc.returncode != 0
    assert "端末がありません" in proc.stderr and "SAIKEN_PASSPHRASE_FILE" in proc.stderr


def test_age_cli_uses_the_protected_identity(records_repo: RecordsRepo, fictional_case_text: str) -> None:
    """`age -d -i protected.txt` asks for the passphrase and opens a record saiken wrote."""
    key = records_repo.root.parent / "protected.txt"
    public = _keygen_protected(records_repo, key)
    records_repo.saiken("handler", "add", "--id", "kou-01", "--name", "架空 甲野", "--org", "甲",
                        "--role", "取扱者", "--key", public, check=True)
    _new_case(records_repo, fictional_case_text)
    record = records_repo.root / record_rel(CASE)
    record.parent.mkdir(parents=True, exist_ok=True)
    r = ptyrun.run([shutil.which("age") or "age", "-d", "-i", str(key), str(record)], env=records_repo.env,
                   cwd=records_repo.root, answers=[("passphrase", PASSPHRASE)])
    assert r.returncode == 0, r.output
    assert f"case_id: {CASE}" in r.output
    # and `age -d` alone opens the identity file itself with the passphrase
    r = ptyrun.run([shutil.which("age") or "age", "-d", str(key)], env=records_repo.env,
                   cwd=records_repo.root, answers=[("passphrase", PASSPHRASE)])
    assert r.returncode == 0 and f"# public key: {public}" in r.output


# --- ssh-ed25519 -----------------------------------------------------------------------------------

def test_ssh_ed25519_handler_and_identity(records_repo: RecordsRepo, fictional_case_text: str) -> None:
    key = _ssh_keygen(records_repo.root.parent)
    pub = key.with_name("k.pub").read_text().strip()
    r = records_repo.saiken("handler", "add", "--id", "kou-02", "--name", "架空 ssh", "--org", "甲",
                            "--role", "取扱者", "--key", pub)
    assert r.returncode == 0, r.stderr
    assert "ssh-ed25519" in records_repo.saiken("handler", "list").stdout
    _new_case(records_repo, fictional_case_text)
    key.with_name("k.pub").unlink()  # the public key is read from the private key file itself
    [loaded] = crypto.load_identities([key])
    assert loaded.public == " ".join(pub.split()[:2])
    r = records_repo.saiken("case", "show", CASE, env={"SAIKEN_IDENTITY": str(key)})
    assert r.returncode == 0, r.stderr
    assert f"case_id: {CASE}" in r.stdout
    assert records_repo.saiken("keygen", "-y", str(key)).stdout.strip() == loaded.public


def test_several_identity_paths(records_repo: RecordsRepo, fictional_case_text: str) -> None:
    _new_case(records_repo, fictional_case_text)
    stranger = records_repo.root.parent / "stranger.txt"
    records_repo.saiken("keygen", "-o", str(stranger), check=True)
    both = os.pathsep.join([str(stranger), str(records_repo.identity)])
    r = records_repo.saiken("case", "show", CASE, env={"SAIKEN_IDENTITY": both})
    assert r.returncode == 0, r.stderr
    r = records_repo.saiken("case", "show", CASE, env={"SAIKEN_IDENTITY": str(stranger)})
    assert r.returncode != 0 and "開けません" in r.stderr


# --- identity errors -------------------------------------------------------------------------------

def _bad_identity(repo: RecordsRepo, kind: str) -> Path:
    folder = repo.root.parent
    path = folder / f"bad-{kind}"
    if kind == "garbage":
        path.write_bytes(b"\x00\x01not a key at all\xff\n")
    elif kind == "empty":
        path.write_text("# nothing here\n")
    elif kind == "public":
        path.write_text(repo.public + "\n")
    elif kind == "ssh-public":
        path = _ssh_keygen(folder, "ssh").with_name("ssh.pub")
    elif kind == "ssh-protected":
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "架空pass", "-f", str(path)], check=True)
    elif kind == "ssh-rsa":
        subprocess.run(["ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", str(path)], check=True)
    elif kind == "folder":
        path.mkdir()
    elif kind == "group-readable":
        shutil.copy(repo.identity, path)
        path.chmod(0o640)
        return path
    if path.is_file():
        path.chmod(0o600)
    return path


@pytest.mark.parametrize(("kind", "message"), [
    ("missing", "鍵ファイルがありません"),
    ("garbage", "age の秘密鍵として読めない行があります"),
    ("empty", "鍵ファイルに秘密鍵がありません"),
    ("public", "公開鍵（age1…）が書かれています"),
    ("ssh-public", "SSH の公開鍵（.pub）が書かれています"),
    ("ssh-protected", "パスフレーズ付きの SSH 鍵には対応していません"),
    ("ssh-rsa", "ssh-rsa の SSH 鍵には対応していません"),
    ("folder", "フォルダが指定されています"),
    ("group-readable", "本人以外も読める設定"),
])
def test_bad_identity_is_a_clear_error(records_repo: RecordsRepo, fictional_case_text: str,
                                       kind: str, message: str) -> None:
    _new_case(records_repo, fictional_case_text)
    path = records_repo.root.parent / "bad-missing" if kind == "missing" else _bad_identity(records_repo, kind)
    r = records_repo.saiken("case", "show", CASE, env={"SAIKEN_IDENTITY": str(path)})
    assert r.returncode == 1
    assert message in r.stderr, r.stderr
    assert str(path) in r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""


def test_default_identity_missing(records_repo: RecordsRepo, fictional_case_text: str) -> None:
    _new_case(records_repo, fictional_case_text)
    env = {k: v for k, v in records_repo.env.items() if k != "SAIKEN_IDENTITY"}
    proc = subprocess.run([str(VENV_BIN / "saiken"), "case", "show", CASE], cwd=records_repo.root, env=env,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 1
    assert "鍵ファイルがありません" in proc.stderr
    assert str(Path(env["XDG_CONFIG_HOME"]) / "saiken" / "identity.txt") in proc.stderr
    assert "saiken keygen" in proc.stderr


@pytest.mark.parametrize("kind", ["age-keygen", "ssh-ed25519"])
def test_identity_protected_by_the_age_cli(records_repo: RecordsRepo, fictional_case_text: str, kind: str) -> None:
    """An identity file encrypted with `age -p` (binary, not armored) opens with SAIKEN_PASSPHRASE_FILE."""
    folder = records_repo.root.parent
    if kind == "ssh-ed25519":
        plain = _ssh_keygen(folder, "plain")
        public = plain.with_name("plain.pub").read_text().strip()
    else:
        plain = folder / "plain.txt"
        subprocess.run(["age-keygen", "-o", str(plain)], check=True, capture_output=True)
        public = subprocess.run(["age-keygen", "-y", str(plain)], capture_output=True, text=True,
                                check=True).stdout.strip()
    protected = folder / "protected.age"
    r = ptyrun.run([shutil.which("age") or "age", "-p", "-o", str(protected), str(plain)], env=records_repo.env,
                   cwd=folder, answers=[("Enter passphrase", PASSPHRASE), ("Confirm passphrase", PASSPHRASE)])
    assert r.returncode == 0, r.output
    plain.unlink()
    protected.chmod(0o600)
    assert protected.read_bytes().startswith(b"age-encryption.org/v1\n-> scrypt ")
    records_repo.saiken("handler", "add", "--id", "kou-01", "--name", "架空 甲野", "--org", "甲",
                        "--role", "取扱者", "--key", public, check=True)
    _new_case(records_repo, fictional_case_text)
    pf = _passphrase_file(records_repo, PASSPHRASE)
    r2 = records_repo.saiken("case", "show", CASE, env={"SAIKEN_IDENTITY": str(protected),
                                                        "SAIKEN_PASSPHRASE_FILE": str(pf)})
    assert r2.returncode == 0, r2.stderr
    assert f"case_id: {CASE}" in r2.stdout
    shown = records_repo.saiken("keygen", "-y", str(protected), env={"SAIKEN_PASSPHRASE_FILE": str(pf)})
    assert shown.stdout.strip() == " ".join(public.split()[:2])


def test_identity_file_with_bom_and_crlf(records_repo: RecordsRepo, fictional_case_text: str) -> None:
    _new_case(records_repo, fictional_case_text)
    edited = records_repo.root.parent / "edited.txt"
    edited.write_bytes(b"\xef\xbb\xbf" + records_repo.identity.read_bytes().replace(b"\n", b"\r\n"))
    edited.chmod(0o600)
    r = records_repo.saiken("case", "show", CASE, env={"SAIKEN_IDENTITY": str(edited)})
    assert r.returncode == 0, r.stderr


def test_keygen_inside_a_records_repo_warns(records_repo: RecordsRepo) -> None:
    r = records_repo.saiken("keygen", "-o", str(records_repo.root / "oops.txt"))
    assert r.returncode == 0
    assert "記録リポジトリの中に秘密鍵を作りました" in r.stderr


def test_passphrase_file_problems(records_repo: RecordsRepo) -> None:
    key = records_repo.root.parent / "protected.txt"
    public = _keygen_protected(records_repo, key)
    loose = _passphrase_file(records_repo, PASSPHRASE, "loose.txt")
    loose.chmod(0o644)
    empty = _passphrase_file(records_repo, "", "empty.txt")
    for path, message in ((loose, "本人以外も読める設定"), (empty, "パスフレーズのファイルが空です"),
                          (records_repo.root.parent / "absent.txt", "SAIKEN_PASSPHRASE_FILE のファイルがありません")):
        r = records_repo.saiken("keygen", "-y", str(key), env={"SAIKEN_PASSPHRASE_FILE": str(path)})
        assert r.returncode == 1 and message in r.stderr, r.stderr
        assert str(path) in r.stderr and r.stdout == ""
    # a pipe works: the passphrase need not be written to disk at all
    proc = subprocess.run(["bash", "-c", f'SAIKEN_PASSPHRASE_FILE=<(printf "%s\\n" "$PW") '
                                         f'"{VENV_BIN / "saiken"}" keygen -y "{key}"'],
                          env={**records_repo.env, "PW": PASSPHRASE}, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == public
