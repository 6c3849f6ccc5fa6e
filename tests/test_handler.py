"""`saiken handler add|deactivate|list`: policies/handlers.yaml edited in place, comments kept,
bad input refused with the file left as it was."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import RecordsRepo
from saiken.core import crypto

COMMENT_TOP = "# 令和3年度の指定（架空・テスト用のコメント）"
COMMENT_ENTRY = "# 区の担当者は年度ごとに見直す"


def _handlers(repo: RecordsRepo) -> Path:
    return repo.root / "policies" / "handlers.yaml"


def _annotate(repo: RecordsRepo) -> None:
    """Comments a ward would write by hand: above the list and after an entry's field."""
    path = _handlers(repo)
    text = path.read_text(encoding="utf-8")
    text = text.replace("handlers:\n", f"{COMMENT_TOP}\nhandlers:\n", 1)
    text = text.replace("    role: 取扱責任者\n", f"    role: 取扱責任者  {COMMENT_ENTRY}\n", 1)
    path.write_text(text, encoding="utf-8")


def _add(repo: RecordsRepo, handler_id: str, key: str, *extra: str):  # type: ignore[no-untyped-def]
    return repo.saiken("handler", "add", "--id", handler_id, "--name", f"架空 {handler_id}", "--org", "甲",
                       "--role", "取扱者", "--key", key, *extra)


def test_add_deactivate_round_trip_keeps_comments(records_repo: RecordsRepo) -> None:
    _annotate(records_repo)
    original_header = _handlers(records_repo).read_text(encoding="utf-8").split("handlers:")[0]
    _, public = crypto.generate_identity()
    r = _add(records_repo, "kou-01", public, "--email", "kou-01@example.invalid", "--designated", "2021-04-01")
    assert r.returncode == 0, r.stderr
    assert "kou-01" in r.stdout and "saiken rekey" in r.stdout
    r = records_repo.saiken("handler", "deactivate", "kou-01", "--on", "2022-03-31")
    assert r.returncode == 0, r.stderr
    text = _handlers(records_repo).read_text(encoding="utf-8")
    assert text.startswith(original_header)  # the explanatory header is untouched
    assert COMMENT_TOP in text and COMMENT_ENTRY in text
    assert "deactivated: 2022-03-31" in text and "designated: 2021-04-01" in text
    listed = records_repo.saiken("handler", "list", check=True).stdout.splitlines()
    assert [line.split("\t")[:4] for line in listed] == [["otsu-01", "乙", "取扱責任者", "有効"],
                                                         ["kou-01", "甲", "取扱者", "解除"]]
    active = records_repo.saiken("handler", "list", "--active", check=True).stdout
    assert "kou-01" not in active and "otsu-01" in active


def _ssh_pub(folder: Path, comment: str) -> str:
    key = folder / "ssh-k"
    if not key.exists():
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(key)], check=True)
    return " ".join(key.with_name("ssh-k.pub").read_text().split()[:2]) + f" {comment}"


@pytest.mark.parametrize(("args", "message"), [
    (("--id", "otsu-01"), "既に登録されています"),
    (("--id", "kou-09", "--key", "SAME"), "登録済みです"),
    (("--id", "kou-09", "--key", "age1notakey"), "age 公開鍵として読めません"),
    (("--id", "kou-09", "--key", "AGE-SECRET-KEY-" + "1QQQ"), "秘密鍵が渡されています"),
    (("--id", "kou-09", "--key", "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ"), "ssh-rsa の SSH 鍵には対応していません"),
    (("--id", "kou-09", "--key", "ssh-ed25519 AAAAC3NzaC1yc2EAAAADAQABAAABAQ=="), "ssh-ed25519 公開鍵として読めません"),
    (("--id", "Kou/../x"), "使えません"),
    (("--id", "kou-09", "--name", "   "), "氏名が空です"),
    (("--id", "kou-09", "--email", "not-an-address"), "メールアドレスの形式"),
    (("--id", "kou-09", "--email", "OTSU-01@example.invalid"), "取扱者「otsu-01」が使っています"),
])
def test_add_refuses_bad_input_and_writes_nothing(records_repo: RecordsRepo, args: tuple[str, ...],
                                                  message: str) -> None:
    before = _handlers(records_repo).read_bytes()
    _, fresh = crypto.generate_identity()
    opts = {"--id": "kou-09", "--name": "架空 花子", "--org": "甲", "--role": "取扱者", "--key": fresh}
    opts.update(dict(zip(args[::2], args[1::2], strict=True)))
    if opts["--key"] == "SAME":
        opts["--key"] = records_repo.public
    flat = [x for kv in opts.items() for x in kv]
    r = records_repo.saiken("handler", "add", *flat)
    assert r.returncode == 1
    assert message in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    assert _handlers(records_repo).read_bytes() == before


def test_same_ssh_key_with_another_comment_is_a_duplicate(records_repo: RecordsRepo) -> None:
    first = _ssh_pub(records_repo.root.parent, "fictional@pc1")
    assert _add(records_repo, "kou-01", first).returncode == 0
    before = _handlers(records_repo).read_bytes()
    r = _add(records_repo, "kou-02", first.rsplit(" ", 1)[0] + " other-comment@pc2")
    assert r.returncode == 1 and "「kou-01」として登録済みです" in r.stderr
    assert _handlers(records_repo).read_bytes() == before
    # the comment is not part of the stored key
    assert "fictional@pc1" not in before.decode()


def test_deactivate_refusals(records_repo: RecordsRepo) -> None:
    before = _handlers(records_repo).read_bytes()
    r = records_repo.saiken("handler", "deactivate", "otsu-01")
    assert r.returncode == 1 and "有効な取扱者がいなくなるため解除できません" in r.stderr
    r = records_repo.saiken("handler", "deactivate", "nobody")
    assert r.returncode == 1 and "「nobody」は登録されていません" in r.stderr and "otsu-01" in r.stderr
    assert _handlers(records_repo).read_bytes() == before
    _, public = crypto.generate_identity()
    _add(records_repo, "kou-01", public, "--designated", "2021-04-01")
    r = records_repo.saiken("handler", "deactivate", "kou-01", "--on", "2020-01-01")
    assert r.returncode == 1 and "指定日" in r.stderr
    records_repo.saiken("handler", "deactivate", "kou-01", check=True)
    r = records_repo.saiken("handler", "deactivate", "kou-01")
    assert r.returncode == 1 and "既に解除されています" in r.stderr


def test_deactivating_the_last_chief_warns(records_repo: RecordsRepo) -> None:
    _, public = crypto.generate_identity()
    records_repo.saiken("handler", "add", "--id", "otsu-02", "--name", "架空 乙二", "--org", "乙",
                        "--role", "取扱者", "--key", public, check=True)
    r = records_repo.saiken("handler", "deactivate", "otsu-01")
    assert r.returncode == 0
    assert "乙 の有効な取扱責任者がいなくなりました" in r.stderr


def test_broken_handlers_file_is_a_clear_error(records_repo: RecordsRepo) -> None:
    _handlers(records_repo).write_text("handlers: {id: x}\n", encoding="utf-8")
    _, public = crypto.generate_identity()
    r = _add(records_repo, "kou-01", public)
    assert r.returncode == 1 and "policies/handlers.yaml" in r.stderr and "Traceback" not in r.stderr
    _handlers(records_repo).write_text("handlers: [\n", encoding="utf-8")
    r = _add(records_repo, "kou-01", public)
    assert r.returncode == 1 and "YAML として読めません" in r.stderr
