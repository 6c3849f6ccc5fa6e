"""`saiken case edit` and `case new` in an editor: real saiken processes, editors that are small
scripts written here (and one real vim in tmux), plaintext only on memory-backed storage."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import VENV_BIN, RecordsRepo
from saiken.core import plaintext
from saiken.core.layout import manifest_rel, record_rel

CASE = "C-TEST0001"


@pytest.fixture
def shm() -> Iterator[Path]:
    """A private folder on /dev/shm used as SAIKEN_TMPDIR, so a test sees every file saiken leaves."""
    folder = Path(tempfile.mkdtemp(prefix="saiken-test-", dir="/dev/shm"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def repo(records_repo: RecordsRepo, fictional_case_text: str, shm: Path) -> RecordsRepo:
    records_repo.saiken("case", "new", "--from", "-", input=fictional_case_text, check=True)
    records_repo.env["SAIKEN_TMPDIR"] = str(shm)
    return records_repo


def make_editor(folder: Path, name: str, body: str) -> str:
    """Write an executable Python 'editor'; it gets the file to edit as its last argument."""
    path = folder / name
    path.write_text(f"#!{sys.executable}\nimport json, os, sys, time\nfrom pathlib import Path\n"
                    f"target = Path(sys.argv[-1])\nlog = Path({str(folder / (name + '.log'))!r})\n"
                    + textwrap.dedent(body), encoding="utf-8")
    path.chmod(0o755)
    return str(path)


def calls(editor_path: str) -> list[dict]:
    log = Path(editor_path + ".log")
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def record_path(repo: RecordsRepo, case_id: str = CASE) -> Path:
    return repo.root / record_rel(case_id)


def leftovers(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


# --- the happy path ------------------------------------------------------------------------------

def test_edit_changes_a_field_and_removes_the_plaintext(repo: RecordsRepo, shm: Path, tmp_path: Path) -> None:
    ed = make_editor(tmp_path, "edit_status.py", """
        text = target.read_text()
        info = {"path": str(target), "mode": target.stat().st_mode & 0o777,
                "dir_mode": target.parent.stat().st_mode & 0o777, "first_line": text.splitlines()[0]}
        log.open("a").write(json.dumps(info) + "\\n")
        target.write_text(text.replace("status: 督促中", "status: 交渉中"))
    """)
    before = record_path(repo).read_bytes()
    r = repo.saiken("case", "edit", CASE, env={"EDITOR": ed})
    assert r.returncode == 0, r.stderr
    assert f"保存しました: {record_rel(CASE)}" in r.stderr
    assert record_path(repo).read_bytes() != before
    shown = repo.saiken("case", "show", CASE, check=True).stdout
    assert "status: 交渉中" in shown and "督促中" not in shown
    assert "架空の人物です" in shown  # the user's comments survive an edit
    [seen] = calls(ed)
    assert Path(seen["path"]).parent.parent == shm
    assert seen["mode"] == 0o600 and seen["dir_mode"] == 0o700
    assert leftovers(shm) == []


def test_default_scratch_is_dev_shm_private_and_removed(repo: RecordsRepo, tmp_path: Path) -> None:
    ed = make_editor(tmp_path, "inspect.py", """
        info = {"path": str(target), "mode": target.stat().st_mode & 0o777,
                "dir_mode": target.parent.stat().st_mode & 0o777, "uid": target.stat().st_uid}
        log.open("a").write(json.dumps(info) + "\\n")
    """)
    env = {k: v for k, v in repo.env.items() if k not in ("SAIKEN_TMPDIR", "XDG_RUNTIME_DIR")}
    proc = subprocess.run([str(VENV_BIN / "saiken"), "case", "edit", CASE], cwd=repo.root, env={**env, "EDITOR": ed},
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    [seen] = calls(ed)
    path = Path(seen["path"])
    assert path.parent.parent == Path("/dev/shm") and path.parent.name.startswith("saiken-")
    assert path.parent.name.split("-")[1].isdigit()  # the owner's pid, so a later run can sweep it
    assert plaintext.filesystem_type(Path("/dev/shm")) == "tmpfs"
    assert seen["mode"] == 0o600 and seen["dir_mode"] == 0o700 and seen["uid"] == os.getuid()
    assert path.name == f"{CASE}.yaml"
    assert not path.parent.exists()


def test_unchanged_edit_leaves_the_record_byte_identical(repo: RecordsRepo, tmp_path: Path) -> None:
    # The editor rewrites the file with the same text; then with full-width digits, which normalise
    # to the stored value: neither is a change.
    ed = make_editor(tmp_path, "same.py", """
        text = target.read_text()
        target.unlink()
        target.write_text(text.replace("principal: 1080000", os.environ.get("PRINCIPAL", "principal: 1080000")))
    """)
    path = record_path(repo)
    os.utime(path, (1_600_000_000, 1_600_000_000))
    before, mtime = path.read_bytes(), path.stat().st_mtime_ns
    for principal in ("principal: 1080000", "principal: １０８００００"):
        r = repo.saiken("case", "edit", CASE, env={"EDITOR": ed, "PRINCIPAL": principal})
        assert r.returncode == 0, r.stderr
        assert "変更はありません" in r.stderr
        assert path.read_bytes() == before
        assert path.stat().st_mtime_ns == mtime


# --- errors re-open the editor, the user's text kept ------------------------------------------------

def test_invalid_yaml_reopens_with_the_message_and_the_users_text(repo: RecordsRepo, shm: Path,
                                                                   tmp_path: Path) -> None:
    ed = make_editor(tmp_path, "twice.py", """
        text = target.read_text()
        n = len(log.read_text().splitlines()) if log.exists() else 0
        log.open("a").write(json.dumps({"text": text}) + "\\n")
        if n == 0:
            target.write_text(text.replace("status: 督促中", "status: [交渉中\\nmemo: 架空のメモ"))
        else:
            target.write_text(text.replace("status: [交渉中", "status: 交渉中").replace("memo: 架空のメモ\\n", ""))
    """)
    r = repo.saiken("case", "edit", CASE, env={"EDITOR": ed})
    assert r.returncode == 0, r.stderr
    assert "YAML として読めません" in r.stderr  # also told on stderr
    first, second = calls(ed)
    header = [line for line in second["text"].splitlines() if line.startswith("#!")]
    assert second["text"].startswith("#! ")
    assert any("YAML として読めません" in line and record_rel(CASE) in line for line in header)
    body = "".join(line + "\n" for line in second["text"].splitlines() if not line.startswith("#!"))
    assert "status: [交渉中\nmemo: 架空のメモ\n" in body  # the user's broken edit is kept as they wrote it
    assert body.replace("status: [交渉中\nmemo: 架空のメモ", "status: 督促中") == first["text"]
    shown = repo.saiken("case", "show", CASE, check=True).stdout
    assert "status: 交渉中" in shown and "#!" not in shown and "memo" not in shown
    assert leftovers(shm) == []


def test_yaml_error_line_numbers_match_what_the_user_sees(repo: RecordsRepo, tmp_path: Path) -> None:
    ed = make_editor(tmp_path, "lines.py", """
        text = target.read_text()
        log.open("a").write(json.dumps({"text": text}) + "\\n")
        if not text.startswith("#!"):
            target.write_text(text.replace("status: 督促中", "status: [交渉中"))
    """)
    r = repo.saiken("case", "edit", CASE, env={"EDITOR": ed})
    assert r.returncode == 1
    second = calls(ed)[1]["text"].splitlines()
    line_no = int(re.search(r"(\d+) 行", "\n".join(second)).group(1))
    # PyYAML reports a flow sequence left open where the next token shows up: at or after the bad line
    bad = next(i for i, line in enumerate(second, 1) if line.startswith("status: [交渉中"))
    assert bad <= line_no <= bad + 2, (bad, line_no)


@pytest.mark.parametrize(("change", "message"), [
    ('"case_id: C-TEST0001", "case_id: C-OTHER001"', "事案番号（case_id）は変更できません（元は C-TEST0001、編集後は C-OTHER001）"),
    ('"status: 督促中", "status: 督促中\\nreligion: 架空"', "religion: 情報項目の定義にない項目です"),
    ('"birth_date: 1995-04-02", "birth_date: 2021-02-30"', "parties[0].birth_date: 日付として正しくありません"),
])
def test_schema_error_then_giving_up_writes_nothing(repo: RecordsRepo, shm: Path, tmp_path: Path,
                                                   change: str, message: str) -> None:
    ed = make_editor(tmp_path, "giveup.py", f"""
        text = target.read_text()
        log.open("a").write(json.dumps({{"text": text}}) + "\\n")
        if not text.startswith("#!"):
            target.write_text(text.replace({change}))
        # second call: the user reads the message and quits without saving (vim :q!)
    """)
    before = record_path(repo).read_bytes()
    r = repo.saiken("case", "edit", CASE, env={"EDITOR": ed})
    assert r.returncode == 1
    assert "誤りが直されなかったため、中止しました。記録は書き換えていません。" in r.stderr
    assert message in r.stderr
    assert message in calls(ed)[1]["text"]
    assert record_path(repo).read_bytes() == before
    assert leftovers(shm) == []


@pytest.mark.parametrize(("body", "expected"), [
    ("target.write_text('')", "内容が空（またはコメントだけ）のため、中止しました。"),
    ("target.write_text('# 架空のコメントだけ\\n\\n')", "内容が空（またはコメントだけ）のため、中止しました。"),
    ("target.unlink()", "内容が空（またはコメントだけ）のため、中止しました。"),
    ("sys.exit(1)", "エディタが終了コード 1 で終了したため、中止しました。"),
])
def test_empty_file_or_failing_editor_aborts(repo: RecordsRepo, shm: Path, tmp_path: Path,
                                             body: str, expected: str) -> None:
    ed = make_editor(tmp_path, "abort.py", body + "\n")
    before = record_path(repo).read_bytes()
    r = repo.saiken("case", "edit", CASE, env={"EDITOR": ed})
    assert r.returncode == 1
    assert expected in r.stderr
    assert record_path(repo).read_bytes() == before
    assert leftovers(shm) == []


# --- where the plaintext may go ----------------------------------------------------------------------

def test_disk_is_refused_unless_unsafe_tmp(repo: RecordsRepo, tmp_path: Path) -> None:
    disk = tmp_path / "disk-tmp"
    disk.mkdir()
    assert plaintext.filesystem_type(disk) not in plaintext.MEMORY_FILESYSTEMS  # the premise of this test
    ed = make_editor(tmp_path, "where.py", """
        log.open("a").write(json.dumps({"path": str(target)}) + "\\n")
        target.write_text(target.read_text().replace("status: 督促中", "status: 交渉中"))
    """)
    env = {"EDITOR": ed, "SAIKEN_TMPDIR": str(disk)}
    r = repo.saiken("case", "edit", CASE, env=env)
    assert r.returncode == 1
    assert "メモリ上の一時領域（tmpfs）が見つからないため、復号した記録を書き出せません" in r.stderr
    assert "--unsafe-tmp" in r.stderr and str(disk) in r.stderr
    assert calls(ed) == []  # the editor never ran
    r = repo.saiken("case", "new", env=env)
    assert r.returncode == 1 and "tmpfs" in r.stderr
    r = repo.saiken("case", "edit", CASE, "--unsafe-tmp", env=env)
    assert r.returncode == 0, r.stderr
    assert "警告: --unsafe-tmp" in r.stderr
    assert Path(calls(ed)[0]["path"]).is_relative_to(disk)
    assert leftovers(disk) == []


@pytest.mark.parametrize("runtime_on", ["tmpfs", "disk"])
def test_xdg_runtime_dir_is_used_only_when_memory_backed(repo: RecordsRepo, shm: Path, tmp_path: Path,
                                                         runtime_on: str) -> None:
    runtime = shm if runtime_on == "tmpfs" else tmp_path
    ed = make_editor(tmp_path, "where.py", """
        log.open("a").write(json.dumps({"path": str(target)}) + "\\n")
    """)
    env = {k: v for k, v in repo.env.items() if k != "SAIKEN_TMPDIR"}
    proc = subprocess.run([str(VENV_BIN / "saiken"), "case", "edit", CASE], cwd=repo.root, capture_output=True,
                          text=True, timeout=60, check=False, env={**env, "EDITOR": ed, "XDG_RUNTIME_DIR": str(runtime)})
    assert proc.returncode == 0, proc.stderr
    folder = Path(calls(ed)[0]["path"]).parent.parent
    assert folder == (shm if runtime_on == "tmpfs" else Path("/dev/shm"))
    assert "警告" not in proc.stderr


def test_mount_table_parsing(tmp_path: Path) -> None:
    mounts = tmp_path / "mounts"
    mounts.write_text("overlay / overlay rw 0 0\ntmpfs /run/user/1000 tmpfs rw 0 0\n"
                      "ramfs /mnt/my\\040ram ramfs rw 0 0\n/dev/sda1 /mnt/my disk ext4 rw 0 0\n")
    assert plaintext.filesystem_type(Path("/run/user/1000/x"), mounts) == "tmpfs"
    assert plaintext.filesystem_type(Path("/run/user/10000"), mounts) == "overlay"
    assert plaintext.filesystem_type(Path("/mnt/my ram/a"), mounts) == "ramfs"


def test_folder_left_by_a_killed_saiken_is_swept(repo: RecordsRepo, shm: Path, tmp_path: Path) -> None:
    stale = shm / "saiken-999999999-abcdefgh"  # a pid that cannot be running
    stale.mkdir(mode=0o700)
    (stale / f"{CASE}.yaml").write_text("架空の平文\n")
    alive = shm / f"saiken-{os.getpid()}-abcdefgh"  # a running process's folder is left alone
    alive.mkdir(mode=0o700)
    ed = make_editor(tmp_path, "noop.py", "pass\n")
    r = repo.saiken("case", "edit", CASE, env={"EDITOR": ed})
    assert r.returncode == 0, r.stderr
    assert f"前回強制終了された saiken の一時フォルダを削除しました: {stale}" in r.stderr
    assert leftovers(shm) == [alive.name]


# --- signals --------------------------------------------------------------------------------------

SLEEPER = """
    log.open("a").write(json.dumps({"path": str(target), "pid": os.getpid()}) + "\\n")
    go = Path(str(log) + ".go")
    for _ in range(600):
        if go.exists():
            target.write_text(target.read_text().replace("status: 督促中", "status: 交渉中"))
            break
        time.sleep(0.1)
"""


@pytest.fixture(autouse=True)
def _no_stray_processes() -> Iterator[None]:
    yield
    for proc in _STARTED:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    _STARTED.clear()


_STARTED: list[subprocess.Popen[str]] = []


def _start(repo: RecordsRepo, ed: str) -> subprocess.Popen[str]:
    _STARTED.append(subprocess.Popen([str(VENV_BIN / "saiken"), "case", "edit", CASE], cwd=repo.root, text=True,
                            env={**repo.env, "EDITOR": ed}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True))
    return _STARTED[-1]


def _wait_for_editor(ed: str) -> dict:
    for _ in range(300):
        if calls(ed):
            return calls(ed)[0]
        time.sleep(0.05)
    raise AssertionError("the editor never started")


def _gone(pid: int) -> bool:
    for _ in range(100):
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state == "Z":
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_sigterm_while_editing_removes_the_plaintext(repo: RecordsRepo, shm: Path, tmp_path: Path,
                                                     sig: signal.Signals, code: int) -> None:
    ed = make_editor(tmp_path, "sleeper.py", SLEEPER)
    before = record_path(repo).read_bytes()
    proc = _start(repo, ed)
    seen = _wait_for_editor(ed)
    assert Path(seen["path"]).exists()
    proc.send_signal(sig)
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == code, err
    assert "中断しました。復号した一時ファイルは削除しました" in err
    assert leftovers(shm) == []
    assert _gone(seen["pid"])  # the editor was stopped too, so it cannot write the file back
    assert record_path(repo).read_bytes() == before


def test_ctrl_c_on_the_terminal_removes_the_plaintext(repo: RecordsRepo, shm: Path, tmp_path: Path) -> None:
    # Ctrl-C signals the whole foreground process group: saiken leaves it to the editor; this
    # editor dies of it, and saiken cleans up and exits 130.
    ed = make_editor(tmp_path, "sleeper.py", SLEEPER)
    proc = _start(repo, ed)
    _wait_for_editor(ed)
    os.killpg(proc.pid, signal.SIGINT)
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert leftovers(shm) == []


def test_sigint_to_saiken_alone_leaves_the_editor_running(repo: RecordsRepo, shm: Path, tmp_path: Path) -> None:
    ed = make_editor(tmp_path, "sleeper.py", SLEEPER)
    proc = _start(repo, ed)
    _wait_for_editor(ed)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.5)
    assert proc.poll() is None  # the edit is not lost: the editor still has it
    Path(ed + ".log.go").touch()
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "status: 交渉中" in repo.saiken("case", "show", CASE, check=True).stdout
    assert leftovers(shm) == []


# --- vim and nvim are started without traces ------------------------------------------------------

@pytest.mark.parametrize(("name", "history"), [("vim", "viminfo="), ("nvim", "shada="), ("vi", "viminfo=")])
def test_vim_family_gets_no_trace_options(repo: RecordsRepo, tmp_path: Path, name: str, history: str) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    ed = make_editor(bin_dir, name, """
        log.open("a").write(json.dumps({"argv": sys.argv[1:]}) + "\\n")
    """)
    r = repo.saiken("case", "edit", CASE, env={"EDITOR": ed})
    assert r.returncode == 0, r.stderr
    argv = calls(ed)[0]["argv"]
    assert argv[:3] == ["-n", "-i", "NONE"]
    assert f"set noswapfile noundofile nobackup nowritebackup {history}" in argv
    assert argv[argv.index("-c") + 1].endswith(history)  # again after the user's vimrc
    assert argv[-1].endswith(f"{CASE}.yaml")


def test_other_editors_get_their_own_arguments_only(repo: RecordsRepo, tmp_path: Path) -> None:
    ed = make_editor(tmp_path, "nano", """
        log.open("a").write(json.dumps({"argv": sys.argv[1:]}) + "\\n")
    """)
    r = repo.saiken("case", "edit", CASE, env={"EDITOR": "", "VISUAL": f"{ed} --wait"})
    assert r.returncode == 0, r.stderr
    argv = calls(ed)[0]["argv"]
    assert argv[0] == "--wait" and len(argv) == 2


def test_help_documents_the_editing_rules(repo: RecordsRepo) -> None:
    text = repo.saiken("case", "edit", "--help", check=True).stdout
    for needle in ("/dev/shm", "--unsafe-tmp", "再編集しますか? [Y/n]", ":q!", ":cq", "SIGTERM", "#!",
                   "case_id", "例:"):
        assert needle in text, needle
    assert "#|" in repo.saiken("case", "new", "--help", check=True).stdout


def test_missing_editor_is_a_clear_error(repo: RecordsRepo) -> None:
    r = repo.saiken("case", "edit", CASE, env={"EDITOR": "no-such-editor-xyz"})
    assert r.returncode == 1
    assert "エディタ「no-such-editor-xyz」が見つかりません" in r.stderr and "EDITOR=nano" in r.stderr


# --- case new without --from ---------------------------------------------------------------------

FILL_TEMPLATE = """
    text = target.read_text()
    log.open("a").write(json.dumps({"text": text}) + "\\n")
    for old, new in [("      family:\\n", "      family: 架空\\n"), ("  contract_date:\\n", "  contract_date: 2012-03-15\\n"),
                     ("  principal:\\n", "  principal: ５０００００\\n"), ("    method:\\n", "    method: 月賦\\n"),
                     ("    first_due:\\n", "    first_due: 2016-04-27\\n"), ("    count:\\n", "    count: 120\\n")]:
        assert old in text, old
        text = text.replace(old, new, 1)
    target.write_text(text)
"""


def test_case_new_opens_a_commented_template(repo: RecordsRepo, shm: Path, tmp_path: Path) -> None:
    ed = make_editor(tmp_path, "fill.py", FILL_TEMPLATE)
    r = repo.saiken("case", "new", env={"EDITOR": ed})
    assert r.returncode == 0, r.stderr
    case_id = r.stdout.strip()
    assert case_id.startswith("C-") and record_path(repo, case_id).exists()
    template = calls(ed)[0]["text"]
    assert f"case_id: {case_id}\n" in template
    assert "#| 処理状況: 受任前 / 督促中" in template and "#| 性別: 男 / 女 / 不明" in template
    shown = repo.saiken("case", "show", case_id, check=True).stdout
    assert "principal: 500000" in shown and "family: 架空" in shown
    assert "#|" not in shown and "#!" not in shown
    assert leftovers(shm) == []


def test_case_new_template_unchanged_or_existing_id_writes_nothing(repo: RecordsRepo, tmp_path: Path) -> None:
    ed = make_editor(tmp_path, "noop.py", """
        log.open("a").write(json.dumps({"seen": True}) + "\\n")
    """)
    before = sorted(p.name for p in (repo.root / "records").iterdir())
    r = repo.saiken("case", "new", env={"EDITOR": ed})
    assert r.returncode == 1 and "ひな形から変更がないため、中止しました。" in r.stderr
    r = repo.saiken("case", "new", "--id", CASE, env={"EDITOR": ed})
    assert r.returncode == 1 and f"事案「{CASE}」は既にあります" in r.stderr
    assert f"saiken case edit {CASE}" in r.stderr
    assert len(calls(ed)) == 1  # not opened for an existing id
    assert sorted(p.name for p in (repo.root / "records").iterdir()) == before


def test_case_new_template_needs_the_required_fields(repo: RecordsRepo, tmp_path: Path) -> None:
    ed = make_editor(tmp_path, "partial.py", """
        text = target.read_text()
        log.open("a").write(json.dumps({"text": text}) + "\\n")
        if not text.startswith("#!"):
            target.write_text(text.replace("      family:\\n", "      family: 架空\\n", 1))
    """)
    r = repo.saiken("case", "new", "--id", "C-NEW00001", env={"EDITOR": ed})
    assert r.returncode == 1
    second = calls(ed)[1]["text"]
    assert "#!   - claim.principal: 必須の項目が空です" in second
    assert "family: 架空" in second and "#| 処理状況" in second  # user's text and the guidance kept
    assert not record_path(repo, "C-NEW00001").exists()


# --- a real vim in tmux ------------------------------------------------------------------------------

VIMRC = """\
silent! set swapfile undofile backup writebackup
silent! set directory={home}/.vim/swap// undodir={home}/.vim/undo// backupdir={home}/.vim/backup//
silent! set viminfo='100,<50 viminfofile={home}/.viminfo
"""


class Tmux:
    def __init__(self, socket: Path, env: dict[str, str]) -> None:
        self.socket, self.env = socket, env

    def __call__(self, *args: str) -> str:
        return subprocess.run(["tmux", "-S", str(self.socket), *args], env=self.env, capture_output=True,
                              text=True, check=True, timeout=30).stdout

    def wait_for(self, needle: str, timeout: float = 20) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            screen = self("capture-pane", "-p", "-t", "t")
            if needle in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{needle!r} never appeared:\n{screen}")


def _traces(*folders: Path) -> list[str]:
    bad = (".swp", ".swo", ".swx", ".un~", "~", ".viminfo", ".viminfo.tmp")
    return [str(p) for folder in folders for p in folder.rglob("*")
            if p.is_file() and (p.name.endswith(bad) or p.parent.name in ("swap", "undo", "backup"))]


@pytest.fixture(params=["vim", "vim.tiny"])
def vim_session(request: pytest.FixtureRequest, repo: RecordsRepo, shm: Path,
                tmp_path: Path) -> Iterator[tuple[Tmux, Path]]:
    vim = request.param  # full vim (scripts/setup.sh --test) and vim-tiny, Debian's default vi
    assert shutil.which(vim) and shutil.which("tmux")
    home = Path(repo.env["HOME"])
    for sub in ("swap", "undo", "backup"):
        (home / ".vim" / sub).mkdir(parents=True)
    (home / ".vimrc").write_text(VIMRC.format(home=home))  # a vimrc that asks for every trace
    rc = tmp_path / "rc"
    script = tmp_path / "run.sh"
    script.write_text(f"cd {repo.root}\n{VENV_BIN / 'saiken'} case edit {CASE}\necho $? > {rc}\nsleep 60\n")
    tmux = Tmux(tmp_path / "tmux.sock", {**repo.env, "EDITOR": vim, "TERM": "xterm-256color"})
    tmux("new-session", "-d", "-s", "t", "-x", "160", "-y", "50", f"sh {script}")
    try:
        yield tmux, rc
    finally:
        subprocess.run(["tmux", "-S", str(tmux.socket), "kill-server"], capture_output=True, check=False)


def _exit_code(rc: Path) -> int:
    for _ in range(200):
        if rc.exists() and rc.read_text().strip():
            return int(rc.read_text())
        time.sleep(0.1)
    raise AssertionError("saiken did not finish")


def test_real_vim_in_tmux_edits_without_swap_undo_or_viminfo(vim_session: tuple[Tmux, Path], repo: RecordsRepo,
                                                              shm: Path) -> None:
    tmux, rc = vim_session
    home = Path(repo.env["HOME"])
    tmux.wait_for("case_id: C-TEST0001")
    files = leftovers(shm)  # the folder, saiken's owner mark, the record: no swap file while vim runs
    assert len(files) == 3 and files[1].endswith("/.owner") and files[2].endswith(f"/{CASE}.yaml"), files
    assert _traces(home, shm) == []
    tmux("send-keys", "-t", "t", ":%s/03-0000-0001/03-0000-0009/", "Enter")
    tmux("send-keys", "-t", "t", ":wq", "Enter")
    assert _exit_code(rc) == 0, tmux("capture-pane", "-p", "-t", "t")
    assert '"03-0000-0009"' in repo.saiken("case", "show", CASE, check=True).stdout
    assert leftovers(shm) == []
    assert _traces(home, shm) == []
    assert not (home / ".viminfo").exists()


def test_real_vim_error_prompt_declined_writes_nothing(vim_session: tuple[Tmux, Path], repo: RecordsRepo,
                                                       shm: Path) -> None:
    tmux, rc = vim_session
    before = record_path(repo).read_bytes()
    tmux.wait_for("case_id: C-TEST0001")
    tmux("send-keys", "-t", "t", "ggOsecret_note: x", "Escape", ":wq", "Enter")
    screen = tmux.wait_for("再編集しますか? [Y/n]")
    assert "secret_note: 情報項目の定義にない項目です" in screen
    tmux("send-keys", "-t", "t", "n", "Enter")
    assert _exit_code(rc) == 1
    assert "再編集しないため、中止しました。記録は書き換えていません。" in tmux("capture-pane", "-p", "-t", "t")
    assert record_path(repo).read_bytes() == before
    assert leftovers(shm) == []
    assert _traces(Path(repo.env["HOME"]), shm) == []


def test_real_vim_error_prompt_accepted_reopens_and_saves(vim_session: tuple[Tmux, Path], repo: RecordsRepo,
                                                          shm: Path) -> None:
    tmux, rc = vim_session
    tmux.wait_for("case_id: C-TEST0001")
    tmux("send-keys", "-t", "t", "ggOsecret_note: x", "Escape", ":wq", "Enter")
    tmux.wait_for("再編集しますか? [Y/n]")
    tmux("send-keys", "-t", "t", "Enter")  # the default: yes
    screen = tmux.wait_for("#! 保存できませんでした。")
    assert "secret_note: x" in screen  # the user's text is back, under the message
    tmux("send-keys", "-t", "t", ":g/^secret_note/d", "Enter", ":%s/03-0000-0001/03-0000-0009/", "Enter", ":wq", "Enter")
    assert _exit_code(rc) == 0, tmux("capture-pane", "-p", "-t", "t")
    shown = repo.saiken("case", "show", CASE, check=True).stdout
    assert '"03-0000-0009"' in shown and "#!" not in shown and "secret_note" not in shown
    assert leftovers(shm) == []
    assert _traces(Path(repo.env["HOME"]), shm) == []
