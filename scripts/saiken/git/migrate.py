"""`saiken records migrate`: move a repository from an older layout to the bucket folders.

Every record at `records/<case-id>.yaml.age` (flat), `records/<xx>/<case-id>.yaml.age` (one level)
or in a bucket folder that is not its own moves to `records/<xx>/<y>/<case-id>.yaml.age` as `git mv`
would, so `git log --follow` finds its history; the older manifests (`records/manifest.yaml`,
`records/<xx>/manifest.yaml`) are split into the manifests of the buckets (the lines of each
bucket's records; lines of records that are gone are dropped) and removed. Everything is staged,
nothing is committed: the user commits it, and the hooks check that commit like any other.
Nothing is read from inside a record. Running it again finds nothing to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from saiken.core import layout, manifest, schema
from saiken.errors import SaikenError
from saiken.git import gitio


@dataclass
class Plan:
    moves: list[tuple[str, str]] = field(default_factory=list)  # (from, to), relative to the root
    legacy_manifests: list[str] = field(default_factory=list)   # older manifests, relative to the root

    @property
    def empty(self) -> bool:
        return not self.moves and not self.legacy_manifests


def plan(root: Path) -> Plan:
    """What would move. Refuses (before anything is written) a file whose name is no case id and
    a record whose place in the new layout is taken already."""
    out = Plan(legacy_manifests=[p.relative_to(root).as_posix() for p in layout.old_manifest_files(root)])
    folder = root / layout.RECORDS_DIR
    if not folder.is_dir():
        return out
    found = [p for p in folder.glob(f"*{layout.SUFFIX}")]
    found += [p for p in folder.glob(f"*/*{layout.SUFFIX}")]  # one folder level: never a bucket
    found += [p for p in folder.glob(f"*/*/*{layout.SUFFIX}")
              if layout.folder_bucket(p.parent) != layout.bucket(p.name[: -len(layout.SUFFIX)])]
    bad = []
    for path in sorted(found):
        case_id = path.name[: -len(layout.SUFFIX)]
        rel = path.relative_to(root).as_posix()
        if not schema.CASE_ID.match(case_id):
            bad.append(rel)
            continue
        out.moves.append((rel, layout.record_rel(case_id)))
    if bad:
        raise SaikenError(f"ファイル名が「事案番号{layout.SUFFIX}」の形でないファイルがあるため、何も移していません: "
                          + "、".join(bad[:5]) + ("ほか" if len(bad) > 5 else "") + "。",
                          where=layout.RECORDS_DIR + "/",
                          hint="`saiken check --all` で確かめ、そのファイルを records/ の外に移すか削除してから、"
                               f"もう一度 `{layout.MIGRATE_COMMAND}` を実行してください。")
    taken = [(a, b) for a, b in out.moves if (root / b).exists()]
    if taken:
        a, b = taken[0]
        raise SaikenError(f"移す先に既に記録があるため、何も移していません: {a} → {b}"
                          + (f"（ほか {len(taken) - 1} 件）" if len(taken) > 1 else "") + "。",
                          where=b, hint=f"`git log -- {a} {b}` でどちらが新しいかを確かめ、古い方を `git rm` で"
                                        f"削除してから、もう一度 `{layout.MIGRATE_COMMAND}` を実行してください。")
    return out


def run(root: Path, todo: Plan) -> int:
    """Carry out `todo`; returns how many bucket manifests were written."""
    tracked = set(gitio.text(["ls-files", "-z", "--", layout.RECORDS_DIR], root).split("\0"))
    moved: list[tuple[str, str]] = []
    for src, dst in todo.moves:
        (root / dst).parent.mkdir(parents=True, exist_ok=True)
        (root / src).rename(root / dst)
        if src in tracked:
            moved.append((src, dst))
    # as `git mv` stages it (the same blob, removed here, added there: git log --follow finds it), in
    # batches – nearly every record has a folder of its own, and one `git mv` per folder would start
    # a git process per record
    for n in range(0, len(moved), 500):
        part = moved[n:n + 500]
        gitio.run(["rm", "-q", "--cached", "--", *(s for s, _ in part)], root)
        gitio.run(["add", "--", *(d for _, d in part)], root)
    return _split_manifest(root, todo, tracked)


def _split_manifest(root: Path, todo: Plan, tracked: set[str]) -> int:
    """The legacy manifest's lines and every bucket manifest's, written per bucket for the records
    that are there; the legacy file removed."""
    merged = manifest.load(root)  # the bucket manifests already there
    for rel in todo.legacy_manifests:
        old = manifest.parse((root / rel).read_text(encoding="utf-8"))
        for case_id, entries in old.entries.items():
            merged.entries.setdefault(case_id, []).extend(e for e in entries if e not in merged.entries.get(case_id, []))
    ids = [cid for cid, _ in layout.record_files(root)]
    buckets = {layout.bucket(cid) for cid in ids}
    for b in buckets:  # a bucket with records gets a manifest even if no line survives
        path = layout.manifest_path(root, of_bucket=b)
        if not path.exists():
            path.write_text(manifest.HEADER, encoding="utf-8")
    manifest.save(root, merged, keep=ids)
    for rel in todo.legacy_manifests:
        if rel in tracked:
            gitio.run(["rm", "-q", "--cached", "--", rel], root)
        (root / rel).unlink(missing_ok=True)
    written = [layout.manifest_rel(of_bucket=b) for b in sorted(buckets)]
    for n in range(0, len(written), 200):
        gitio.run(["add", "--", *written[n:n + 200]], root)
    return len(written)
