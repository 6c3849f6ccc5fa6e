"""`saiken case edit` and `case new` run the commit hook's per-record checks before saving: a
prohibited category (term 5) re-opens the editor with the finding at the top and, if the user gives
up, writes nothing; a 要配慮 word is saved with a warning. Real saiken processes, editors that are
small scripts (tests/test_editor.py); `case log`/`case pay` are in tests/test_casework.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from saiken.core.layout import manifest_rel, record_rel

from conftest import FIXTURES, RecordsRepo
from test_editor import CASE, FILL_TEMPLATE, calls, leftovers, make_editor, record_path, repo, shm  # noqa: F401

NOTE_EDIT = """
    text = target.read_text()
    log.open("a").write(json.dumps({"text": text}) + "\\n")
    if not text.startswith("#!"):
        target.write_text(text.replace("note: 分納の相談あり", "note: " + os.environ["NOTE"]))
    elif os.environ.get("FIX"):
        target.write_text(text.replace(os.environ["NOTE"], os.environ["FIX"]))
"""


@pytest.mark.parametrize(("note", "category"), [("信仰する宗教の集会のため不在（架空）", "思想・信条・宗教"),
                                                ("前科があると話した（架空）", "犯罪")])
def test_prohibited_word_reopens_the_editor_and_giving_up_writes_nothing(repo: RecordsRepo, shm: Path, tmp_path: Path,
                                                                          note: str, category: str) -> None:
    ed = make_editor(tmp_path, "note.py", NOTE_EDIT)
    before = record_path(repo).read_bytes()
    r = repo.saiken("case", "edit", CASE, env={"EDITOR": ed, "NOTE": note})
    assert r.returncode == 1 and "保存しました" not in r.stderr
    assert "誤りが直されなかったため、中止しました。記録は書き換えていません。" in r.stderr
    first, second = calls(ed)
    header = [line for line in second["text"].splitlines() if line.startswith("#!")]
    assert header[0].startswith("#! 保存できませんでした")
    assert any("エラー [prohibited] 特記事項5" in line and f"「{category}」に当たる語" in line and "history[0].note" in line
               for line in header)
    assert note in second["text"]  # the user's text kept below the message
    assert record_path(repo).read_bytes() == before
    assert leftovers(shm) == []


def test_prohibited_word_taken_out_on_the_second_round_is_saved(repo: RecordsRepo, shm: Path, tmp_path: Path) -> None:
    ed = make_editor(tmp_path, "note.py", NOTE_EDIT)
    r = repo.saiken("case", "edit", CASE, env={"EDITOR": ed, "NOTE": "信仰の話をした（架空）", "FIX": "家計の話をした（架空）"})
    assert r.returncode == 0, r.stderr
    assert f"保存しました: {record_rel(CASE)}" in r.stderr and len(calls(ed)) == 2
    shown = repo.saiken("case", "show", CASE, check=True).stdout
    assert "家計の話をした" in shown and "信仰" not in shown and "#!" not in shown
    assert leftovers(shm) == []


def test_sensitive_word_is_saved_with_a_warning(repo: RecordsRepo, shm: Path, tmp_path: Path) -> None:
    ed = make_editor(tmp_path, "note.py", NOTE_EDIT)
    r = repo.saiken("case", "edit", CASE, env={"EDITOR": ed, "NOTE": "通院のため今月は払えない（架空）"})
    assert r.returncode == 0, r.stderr
    assert len(calls(ed)) == 1  # a warning does not re-open the editor
    warning = next(line for line in r.stderr.splitlines() if line.startswith("注意（保存はします）"))
    assert "警告 [prohibited]" in warning and "要配慮" in warning and "通院" in warning
    assert f"保存しました: {record_rel(CASE)}" in r.stderr
    assert "通院のため" in repo.saiken("case", "show", CASE, check=True).stdout


def test_case_new_with_a_prohibited_word_is_not_saved(repo: RecordsRepo, tmp_path: Path) -> None:
    fill = FILL_TEMPLATE.replace("\n    for old", "\n    if text.startswith('#!'):\n        sys.exit(0)\n    for old")
    ed = make_editor(tmp_path, "fill_bad.py", fill.replace(
        "target.write_text(text)", "target.write_text(text.replace('history: []', "
        "'history:\\n  - {at: 2021-05-10 10:00, kind: 電話, by: otsu-01, note: 逮捕されたと聞いた}'))"))
    r = repo.saiken("case", "new", "--id", "C-NEW00002", env={"EDITOR": ed})
    assert r.returncode == 1 and "[prohibited]" in r.stderr
    assert "#! " in calls(ed)[1]["text"] and "「犯罪」に当たる語「逮捕」" in calls(ed)[1]["text"]
    assert not record_path(repo, "C-NEW00002").exists()
    r = repo.saiken("case", "new", "--from", "-", input=(FIXTURES / "case-fictional.yaml").read_text(encoding="utf-8")
                    .replace("C-TEST0001", "C-NEW00003").replace("分納の相談あり", "宗教団体への献金（架空）"))
    assert r.returncode == 1 and "保存できません" in r.stderr and "「思想・信条・宗教」に当たる語「宗教」" in r.stderr
    assert not record_path(repo, "C-NEW00003").exists()


def test_the_editor_runs_every_check_that_looks_inside_a_record() -> None:
    """One code path per check: whatever check reads inside records (NEEDS_IDENTITY) runs before a save."""
    from saiken.checks import before_save, registry
    inside = {cid for cid, m in registry().items() if getattr(m, "NEEDS_IDENTITY", False)}
    assert {"schema", "prohibited"} <= inside and set(before_save.record_checks()) == inside
