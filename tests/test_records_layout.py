"""The bucket layout of records/ (saiken.core.layout): where records and manifests live, the hooks
that refuse the old and the misplaced, `saiken records migrate` / `records path`, history read across
both layouts, and two branches adding records to one bucket merging by union. Real git repositories
in temp folders, the real saiken CLI; every person is fictional (架空)."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest
from test_checks import case_yaml
from test_handovers import commit, edit_case, new_case, table_rows
from test_hooks import back_at_head, designated, git, hooked_repo, out

from conftest import RecordsRepo
from saiken.core import layout, manifest


def same_bucket(prefix: str, n: int = 2) -> list[str]:
    """`n` case ids (prefix + digits) whose records share one bucket folder."""
    seen: dict[str, list[str]] = {}
    for i in range(1, 100000):  # 4,096 buckets: three ids in one are found within a few hundred
        cid = f"{prefix}{i:05d}"
        found = seen.setdefault(layout.bucket(cid), [])
        found.append(cid)
        if len(found) == n:
            return found
    raise AssertionError("no bucket shared")


FLAT, ONE_LEVEL = "flat", "one level"  # the layouts of older saiken


def old_rel(cid: str, kind: str = FLAT) -> str:
    """Where older saiken put a record: records/<id>.yaml.age, or records/<xx>/<id>.yaml.age."""
    return layout.flat_rel(cid) if kind == FLAT else f"records/{layout.bucket(cid)[:2]}/{cid}{layout.SUFFIX}"


def old_manifest(cid: str, kind: str = FLAT) -> str:
    return layout.LEGACY_MANIFEST if kind == FLAT else f"records/{layout.bucket(cid)[:2]}/manifest.yaml"


def flatten(repo: RecordsRepo, kind: str = FLAT) -> None:
    """Put the work tree's records in a layout of older saiken: flat (records/<id>.yaml.age and one
    records/manifest.yaml) or one level (records/<xx>/<id>.yaml.age, records/<xx>/manifest.yaml),
    as those repositories hold them."""
    man = manifest.load(repo.root)
    ids = [cid for cid, _ in layout.record_files(repo.root)]
    for cid, path in layout.record_files(repo.root):
        path.rename(repo.root / old_rel(cid, kind))
    for path in layout.manifest_files(repo.root):
        path.unlink()
        for folder in (path.parent, path.parent.parent):
            if not any(folder.iterdir()):
                folder.rmdir()
    groups: dict[str, list[str]] = {}
    for cid in ids:
        groups.setdefault(old_manifest(cid, kind), []).append(cid)
    for rel, group in groups.items():
        (repo.root / rel).write_text(man.text(group), encoding="utf-8")


# --- the layout itself ----------------------------------------------------------------------------

def test_a_records_place_is_named_by_the_sha256_of_its_case_id() -> None:
    cid = "C-LAYOUT01"
    digest = hashlib.sha256(cid.encode("utf-8")).hexdigest()
    b = f"{digest[:2]}/{digest[2]}"
    assert layout.bucket(cid) == b and layout.is_bucket(b) and len(set(layout.buckets())) == 4096
    assert layout.record_rel(cid) == f"records/{b}/{cid}.yaml.age"
    assert layout.manifest_rel(cid) == layout.manifest_rel(of_bucket=b) == f"records/{b}/manifest.yaml"
    assert layout.case_id_of(layout.record_rel(cid)) == cid and layout.is_record(layout.record_rel(cid))
    wrong = "00/0" if b != "00/0" else "00/1"
    for path in (f"records/{cid}.yaml.age", f"records/{wrong}/{cid}.yaml.age", f"records/{b[:2]}/{cid}.yaml.age"):
        assert layout.case_id_of(path) is None and layout.any_case_id(path) == cid
        assert layout.misplaced(path) and layout.record_rel(cid) in layout.misplaced(path)
    assert layout.is_manifest(f"records/{b}/manifest.yaml") and not layout.is_manifest("records/manifest.yaml")
    assert layout.manifest_for(f"records/{cid}.yaml.age") == "records/manifest.yaml"
    assert layout.manifest_for(f"records/{b[:2]}/{cid}.yaml.age") == f"records/{b[:2]}/manifest.yaml"
    assert layout.is_any_manifest(f"records/{b[:2]}/manifest.yaml") and layout.is_old_layout(f"records/{b[:2]}/{cid}.yaml.age")
    assert "以前の配置" in layout.misplaced(f"records/{b[:2]}/{cid}.yaml.age")
    assert "以前の配置" in layout.misplaced(f"records/{b[:2]}/manifest.yaml")
    for bad in (f"records/{b[:2]}/{b[2]}0/{cid}.yaml.age", f"records/{b[:2]}/{b[2]}0/manifest.yaml",
                f"records/{b[:2]}/g/manifest.yaml", f"records/{b[:2]}/{b[2].upper()}/{cid}.yaml.age"):
        assert layout.misplaced(bad), bad  # a second level of one lower-case hex digit only
    assert layout.manifest_for(layout.record_rel(cid)) == layout.manifest_rel(cid)
    assert "saiken records migrate" in layout.misplaced("records/manifest.yaml")
    assert layout.misplaced("records/zz/manifest.yaml") and layout.misplaced(f"records/{b}/x/manifest.yaml")
    assert layout.misplaced(f"records/{b[:2]}/manifest.yaml")  # one level: the layout before two
    assert layout.misplaced(layout.record_rel(cid)) is None and layout.misplaced(layout.manifest_rel(cid)) is None


def test_new_records_land_in_their_bucket_with_their_own_manifest(records_repo: RecordsRepo) -> None:
    a, b = same_bucket("C-BKT")
    other = next(c for c in (f"C-OTH{i:04d}" for i in range(1, 999)) if layout.bucket(c) != layout.bucket(a))
    for cid in (a, b, other):
        records_repo.saiken("case", "new", "--from", "-", input=case_yaml(cid), check=True)
    root = records_repo.root
    assert sorted(p.relative_to(root).as_posix() for p in (root / "records").rglob("*.yaml.age")) == \
        sorted(layout.record_rel(c) for c in (a, b, other))
    assert not list((root / "records").glob("*.yaml"))  # nothing flat, no records/manifest.yaml
    shared = (root / layout.manifest_rel(a)).read_text(encoding="utf-8")
    assert [line.split(":")[0] for line in shared.splitlines() if not line.startswith("#")] == [a, b]
    alone = (root / layout.manifest_rel(other)).read_text(encoding="utf-8")
    assert other in alone and a not in alone
    listed = records_repo.saiken("case", "list", check=True).stdout
    assert all(c in listed for c in (a, b, other))
    assert records_repo.saiken("check", "--all").returncode == 0


def test_records_path_prints_where_a_record_lives(records_repo: RecordsRepo) -> None:
    records_repo.saiken("case", "new", "--from", "-", input=case_yaml("C-PATH0001"), check=True)
    r = records_repo.saiken("records", "path", "C-PATH0001", check=True)
    assert r.stdout == layout.record_rel("C-PATH0001") + "\n" and r.stderr == ""
    assert (records_repo.root / r.stdout.strip()).is_file()
    missing = records_repo.saiken("records", "path", "C-PATH0002", check=True)
    assert missing.stdout == layout.record_rel("C-PATH0002") + "\n" and "まだありません" in missing.stderr
    bad = records_repo.saiken("records", "path", "山田")
    assert bad.returncode != 0 and bad.stdout == "" and "事案番号「山田」は使えません" in bad.stderr


# --- the hooks refuse the old and the misplaced ----------------------------------------------------

@pytest.fixture(scope="module")
def hooked(tmp_path_factory: pytest.TempPathFactory) -> RecordsRepo:
    return hooked_repo(tmp_path_factory.mktemp("layout-hooks"))


@pytest.fixture
def clean(hooked: RecordsRepo):  # type: ignore[no-untyped-def]
    yield from back_at_head(hooked)


def _move(repo: RecordsRepo, cid: str, to: str) -> None:
    (repo.root / to).parent.mkdir(parents=True, exist_ok=True)
    (repo.root / layout.record_rel(cid)).rename(repo.root / to)


def _wrong_bucket(cid: str) -> str:
    return f"records/{'00/0' if layout.bucket(cid) != '00/0' else '00/1'}/{cid}{layout.SUFFIX}"


@pytest.mark.parametrize("where", ["flat", "wrong bucket"])
def test_a_flat_or_misplaced_record_is_refused_by_pre_commit_and_pre_receive(clean: RecordsRepo, where: str) -> None:
    cid = "C-PLACE001" if where == "flat" else "C-PLACE002"
    clean.saiken("case", "new", "--from", "-", input=case_yaml(cid), check=True)
    to = layout.flat_rel(cid) if where == "flat" else _wrong_bucket(cid)
    _move(clean, cid, to)
    git(clean, "add", "-A")
    proc = git(clean, "commit", "-m", f"事案 {cid} を登録")
    assert proc.returncode == 1, out(proc)
    assert f"[plaintext] 特記事項2・8 {to} – " in out(proc)
    assert ("saiken records migrate" if where == "flat" else f"git mv {to} {layout.record_rel(cid)}") in out(proc)
    assert git(clean, "rev-list", "--count", "HEAD").stdout.strip() == "1"
    # past the client's hooks, the server refuses the same
    assert git(clean, "commit", "-q", "--no-verify", "-m", f"事案 {cid} を登録").returncode == 0
    pushed = git(clean, "push", "--no-verify", "origin", "main")
    assert pushed.returncode != 0 and "pre-receive hook declined" in pushed.stderr
    assert f"[plaintext] 特記事項2・8 {to}" in pushed.stderr
    head = git(clean, "rev-parse", "HEAD").stdout.strip()
    assert subprocess.run(["git", "cat-file", "-e", head], cwd=designated(clean)).returncode != 0
    ranged = clean.saiken("check", "--range", "origin/main..HEAD")
    assert ranged.returncode == 1 and to in ranged.stdout


def test_a_manifest_anywhere_but_a_bucket_is_refused(clean: RecordsRepo) -> None:
    clean.saiken("case", "new", "--from", "-", input=case_yaml("C-PLACE003"), check=True)
    rel = layout.manifest_rel("C-PLACE003")
    text = (clean.root / rel).read_text(encoding="utf-8")
    (clean.root / layout.LEGACY_MANIFEST).write_text(text, encoding="utf-8")
    (clean.root / "records" / "zz").mkdir()
    (clean.root / "records" / "zz" / "manifest.yaml").write_text(text, encoding="utf-8")
    git(clean, "add", "-A")
    proc = git(clean, "commit", "-m", "事案 C-PLACE003 を登録")
    assert proc.returncode == 1
    assert f"[plaintext] 特記事項2・8 {layout.LEGACY_MANIFEST} – " in out(proc) and "saiken records migrate" in out(proc)
    assert "[plaintext] 特記事項2・8 records/zz/manifest.yaml – 宛先台帳 records/zz/manifest.yaml の場所が誤っています" in out(proc)
    assert f"{rel} –" not in out(proc)  # the bucket's own manifest is where it belongs


def test_check_all_refuses_a_flat_repository_and_case_list_says_how_to_migrate(records_repo: RecordsRepo) -> None:
    records_repo.saiken("case", "new", "--from", "-", input=case_yaml("C-FLAT0001"), check=True)
    flatten(records_repo)
    r = records_repo.saiken("check", "--all")
    assert r.returncode == 1
    assert f"[plaintext] 特記事項2・8 {layout.flat_rel('C-FLAT0001')} – " in r.stdout and "saiken records migrate" in r.stdout
    listed = records_repo.saiken("case", "list")
    assert listed.returncode != 0 and "saiken records migrate" in listed.stderr


# --- migration, and history across both layouts ------------------------------------------------------

def _flat_history(repo: RecordsRepo, text: str, kind: str = FLAT) -> list[str]:
    """Three commits as older saiken made them: records and manifests flat in records/ or in one
    level of folders."""
    repo.add_handler("kou-01", org="甲", role="取扱責任者")
    commit(repo, "otsu-01", "2021-03-31T09:00:00+09:00", "取扱者の指定")
    made = []
    for n, cid in enumerate(("C-FLAT0001", "C-FLAT0002"), 1):
        # written as saiken writes, then put where older saiken put it
        _into_buckets(repo)
        new_case(repo, text, cid)
        flatten(repo, kind)
        made.append(commit(repo, "otsu-01", f"2021-04-0{n}T10:00:00+09:00", f"事案 {cid} を追加"))
    _into_buckets(repo)
    edit_case(repo, text, "C-FLAT0001", "電話で分納を再確認")
    flatten(repo, kind)
    made.append(commit(repo, "kou-01", "2021-05-01T10:00:00+09:00", "事案 C-FLAT0001 の交渉記録"))
    return made


def _into_buckets(repo: RecordsRepo) -> None:
    """The work tree (not the index) back in buckets, so saiken can write; flatten() undoes it."""
    old = layout.old_manifest_files(repo.root)
    if not old:
        return
    man = manifest.Manifest({}, [])
    for legacy in old:
        man.entries.update(manifest.parse(legacy.read_text(encoding="utf-8")).entries)
        legacy.unlink()
    for path in layout.old_layout_files(repo.root):
        cid = path.name[: -len(layout.SUFFIX)]
        (repo.root / layout.record_rel(cid)).parent.mkdir(parents=True, exist_ok=True)
        path.rename(repo.root / layout.record_rel(cid))
    manifest.save(repo.root, man)


@pytest.mark.parametrize("kind", [FLAT, ONE_LEVEL])
def test_migrate_moves_an_older_repository_keeps_history_and_handover_rows(records_repo: RecordsRepo,
                                                                           fictional_case_text: str, kind: str) -> None:
    repo = records_repo
    flat = _flat_history(repo, fictional_case_text, kind)
    before = table_rows(repo.saiken("ledger", "handovers", "--no-cache", "--format", "csv", check=True).stdout)
    assert [r[3] for r in before] == ["C-FLAT0001", "C-FLAT0002", "C-FLAT0001"]
    assert all("宛先数は当時の有効な取扱者 2 名と一致" in r[2] and "kou-01（甲）" in r[2] for r in before)

    dry = repo.saiken("records", "migrate", "--dry-run", check=True)
    assert f"移します: {old_rel('C-FLAT0001', kind)} → {layout.record_rel('C-FLAT0001')}" in dry.stdout
    assert f"分けます: {old_manifest('C-FLAT0002', kind)}" in dry.stdout and repo.git("status", "--porcelain") == ""

    done = repo.saiken("records", "migrate", check=True)
    assert "2 件の記録を移しました" in done.stderr and "git commit -m" in done.stderr
    status = repo.git("status", "--porcelain")
    assert f"R  {old_rel('C-FLAT0002', kind)} -> {layout.record_rel('C-FLAT0002')}" in status
    assert layout.manifest_rel("C-FLAT0001") in status and layout.manifest_rel("C-FLAT0002") in status
    assert repo.git("ls-files", "records/").split() == sorted(
        [layout.record_rel("C-FLAT0001"), layout.record_rel("C-FLAT0002"),
         layout.manifest_rel("C-FLAT0001"), layout.manifest_rel("C-FLAT0002")])  # the old manifests are gone
    assert "merge=union" in (repo.root / ".git" / "info" / "attributes").read_text()
    assert repo.saiken("check", "--staged").returncode == 0
    moved = commit(repo, "otsu-01", "2021-06-01T10:00:00+09:00", "記録をフォルダ別の配置に移す")
    assert repo.saiken("check", "--all").returncode == 0
    assert repo.saiken("recipients", check=True).returncode == 0

    again = repo.saiken("records", "migrate", check=True)
    assert "移す記録はありません" in again.stdout and repo.git("status", "--porcelain") == ""

    follow = repo.git("log", "--follow", "--format=%H", "--", layout.record_rel("C-FLAT0001")).split()
    assert follow == [moved, flat[2], flat[0]]
    # the flat commits stay in history: refused by a check of a range that holds them, accepted
    # only when a server restores such a history (saiken server setup --import sets the variable)
    assert repo.saiken("check", "--range", f"{moved}..HEAD").returncode == 0
    old = repo.saiken("check", "--range", f"{flat[0]}^..HEAD")
    assert old.returncode == 1 and f"{old_rel('C-FLAT0001', kind)} – " in old.stdout
    restored = repo.saiken("check", "--range", f"{flat[0]}^..HEAD", env={layout.ACCEPT_FLAT_ENV: "1"})
    assert restored.returncode == 0, restored.stdout + restored.stderr

    edit_case(repo, fictional_case_text, "C-FLAT0002", "来所")
    later = commit(repo, "kou-01", "2021-07-01T10:00:00+09:00", "事案 C-FLAT0002 の交渉記録")
    for args in (("--no-cache",), (), ()):  # uncached, cache written, cache read
        after = table_rows(repo.saiken("ledger", "handovers", *args, "--format", "csv", check=True).stdout)
        assert after[:3] == before  # the flat part reads as it did; the move itself hands nothing over
        assert len(after) == 4 and after[3][0].endswith(later[:12]) and after[3][3] == "C-FLAT0002"
        assert after[3][4] == "更新" and "kou-01（甲）、otsu-01（乙）" in after[3][2]


def test_migrate_refuses_a_file_that_is_no_record_and_writes_nothing(records_repo: RecordsRepo) -> None:
    records_repo.saiken("case", "new", "--from", "-", input=case_yaml("C-FLAT0003"), check=True)
    flatten(records_repo)
    (records_repo.root / "records" / "山田.yaml.age").write_bytes(b"x")
    before = sorted(p.relative_to(records_repo.root).as_posix() for p in (records_repo.root / "records").rglob("*"))
    r = records_repo.saiken("records", "migrate")
    assert r.returncode != 0 and "records/山田.yaml.age" in r.stderr and "何も移していません" in r.stderr
    assert sorted(p.relative_to(records_repo.root).as_posix() for p in (records_repo.root / "records").rglob("*")) == before


# --- merging two branches ------------------------------------------------------------------------------

def test_two_branches_adding_records_to_one_bucket_merge_by_union(records_repo: RecordsRepo) -> None:
    repo = records_repo
    repo.saiken("git-setup", check=True)
    (repo.root / "records").mkdir(exist_ok=True)
    (repo.root / "records" / ".gitkeep").touch()
    ours, theirs, base = same_bucket("C-MRG", 3)
    repo.saiken("case", "new", "--from", "-", input=case_yaml(base), check=True)
    commit(repo, "otsu-01", "2021-04-01T10:00:00+09:00", f"事案 {base} を追加")
    repo.git("checkout", "-q", "-b", "other")
    repo.saiken("case", "new", "--from", "-", input=case_yaml(theirs), check=True)
    commit(repo, "otsu-01", "2021-04-02T10:00:00+09:00", f"事案 {theirs} を追加")
    repo.git("checkout", "-q", "main")
    repo.saiken("case", "new", "--from", "-", input=case_yaml(ours), check=True)
    commit(repo, "otsu-01", "2021-04-03T10:00:00+09:00", f"事案 {ours} を追加")
    merged = subprocess.run(["git", "merge", "--no-edit", "other"], cwd=repo.root, env=repo.env,
                            capture_output=True, text=True)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    lines = (repo.root / layout.manifest_rel(ours)).read_text(encoding="utf-8").splitlines()
    assert sorted(line.split(":")[0] for line in lines if not line.startswith("#")) == sorted([base, ours, theirs])
    assert repo.saiken("recipients", check=True).returncode == 0
    assert repo.saiken("check", "--all").returncode == 0
