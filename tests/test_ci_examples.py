"""The CI job examples of docs/ci/ run for real: their shell steps, as GitLab CI and Forgejo Actions
would run them, in a clone of a records repository, with the variables those systems set.

What a real runner adds (the image, apt-get, installing saiken with pip, the checkout action) is
left out; saiken comes from this venv. The range logic, the exit codes and the key handling are
the examples' own. Every person here is fictional (架空).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml
from saiken.core.layout import manifest_rel, record_rel
from test_checks import case_yaml
from test_redaction import SECRETS, add_leaks, assert_redacted

from conftest import ROOT, RecordsRepo

ZERO = "0" * 40


def _git(cwd: Path, env: dict[str, str], *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


@pytest.fixture
def pushed(records_repo: RecordsRepo, tmp_path: Path) -> tuple[RecordsRepo, Path]:
    """A records repository with one encrypted record, pushed to a bare 'origin' (no hooks)."""
    records_repo.saiken("case", "new", "--from", "-", input=case_yaml("C-CI000001"), check=True)
    records_repo.git("add", "-A")
    records_repo.git("commit", "-q", "-m", "事案 C-CI000001 を登録")
    bare = tmp_path / "origin.git"
    _git(tmp_path, records_repo.env, "init", "-q", "--bare", str(bare))
    records_repo.git("remote", "add", "origin", str(bare))
    records_repo.git("push", "-q", "origin", "main")
    return records_repo, bare


def _plaintext_added_and_removed(repo: RecordsRepo) -> None:
    """A plaintext record committed with hooks skipped, then removed again in the next commit."""
    path = repo.root / record_rel("C-CI000002")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(case_yaml("C-CI000002"), encoding="utf-8")
    repo.git("add", "-A")
    repo.git("commit", "-q", "--no-verify", "-m", "事案を登録")
    path.unlink()
    repo.git("add", "-A")
    repo.git("commit", "-q", "--no-verify", "-m", "事案を削除")


def _push_violation(repo: RecordsRepo, bare: Path, folder: Path, branch: str = "main") -> tuple[str, str, Path]:
    """Push a plaintext record added and removed again; (commit before, pushed commit, the runner's checkout)."""
    before = repo.git("rev-parse", "HEAD").strip()
    _plaintext_added_and_removed(repo)
    repo.git("push", "-q", "origin", branch)
    sha = repo.git("rev-parse", "HEAD").strip()
    return before, sha, _checkout(bare, sha, folder, repo.env)


def _checkout(bare: Path, sha: str, folder: Path, env: dict[str, str]) -> Path:
    """What the runner does before the job: a full clone, the pushed commit checked out."""
    _git(folder.parent, env, "clone", "-q", str(bare), str(folder))
    _git(folder, env, "checkout", "-q", "--detach", sha)
    return folder


def _gitlab(work: Path, env: dict[str, str], before: str, sha: str, branch: str = "main") -> subprocess.CompletedProcess[str]:
    job = yaml.safe_load((ROOT / "docs" / "ci" / "gitlab-ci.yml").read_text(encoding="utf-8"))["saiken-check"]
    setup = [line for line in job["before_script"] if not line.startswith(("apt-get", "python3 -m venv", "/opt/saiken/bin/pip"))]
    assert len(setup) == len(job["before_script"]) - 3  # only the installation is left out
    variables = {"CI": "true", "GITLAB_CI": "true", "CI_COMMIT_BEFORE_SHA": before, "CI_COMMIT_SHA": sha,
                 "CI_COMMIT_BRANCH": branch, "CI_DEFAULT_BRANCH": "main", "CI_PIPELINE_SOURCE": "push",
                 "SAIKEN_IDENTITY_FILE": env["SAIKEN_IDENTITY"]}
    return _step("\n".join([*setup, *job["script"]]), work, env, variables)


def _forgejo(work: Path, env: dict[str, str], before: str, after: str, ref: str = "refs/heads/main") -> subprocess.CompletedProcess[str]:
    flow = yaml.safe_load((ROOT / "docs" / "ci" / "forgejo-actions.yml").read_text(encoding="utf-8"))
    step = next(s for s in flow["jobs"]["saiken-check"]["steps"] if "BEFORE" in (s.get("env") or {}))
    variables = {"CI": "true", "GITHUB_ACTIONS": "true",
                 "SAIKEN_IDENTITY_KEY": Path(env["SAIKEN_IDENTITY"]).read_text(encoding="utf-8"),
                 "BEFORE": before, "AFTER": after, "REF": ref, "PROTECTED": "main"}
    return _step(step["run"], work, env, variables)


def _step(script: str, work: Path, env: dict[str, str], variables: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A job's shell step as the runner runs it (bash -e), with the CI system's variables and the
    key only as the job provides it (not the developer's SAIKEN_IDENTITY)."""
    return subprocess.run(["bash", "-e", "-c", script], cwd=work, capture_output=True, text=True,
                          env={**{k: v for k, v in env.items() if k != "SAIKEN_IDENTITY"}, **variables})


def test_gitlab_job_refuses_a_push_that_added_and_removed_a_plaintext_record(pushed: tuple[RecordsRepo, Path],
                                                                            tmp_path: Path) -> None:
    repo, bare = pushed
    before, sha, work = _push_violation(repo, bare, tmp_path / "ci")
    proc = _gitlab(work, repo.env, before, sha)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "[plaintext]" in proc.stdout and record_rel("C-CI000002") in proc.stdout
    # the next push, clean, passes
    repo.saiken("case", "new", "--from", "-", input=case_yaml("C-CI000003"), check=True)
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "事案 C-CI000003 を登録")
    repo.git("push", "-q", "origin", "main")
    work = _checkout(bare, repo.git("rev-parse", "HEAD").strip(), tmp_path / "ci2", repo.env)
    ok = _gitlab(work, repo.env, sha, repo.git("rev-parse", "HEAD").strip())
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "検査したコミット 1 件: エラー 0 件" in ok.stdout


def test_gitlab_job_on_a_new_branch_checks_what_the_default_branch_lacks(pushed: tuple[RecordsRepo, Path],
                                                                        tmp_path: Path) -> None:
    repo, bare = pushed
    repo.git("switch", "-q", "-c", "topic")
    _, sha, work = _push_violation(repo, bare, tmp_path / "ci", "topic")
    proc = _gitlab(work, repo.env, ZERO, sha, "topic")
    assert proc.returncode == 1 and "[plaintext]" in proc.stdout, proc.stdout + proc.stderr
    assert "検査したコミット 2 件" in proc.stdout  # not the whole history: only what main lacks


def test_forgejo_job_refuses_the_same_push_and_leaves_no_key_behind(pushed: tuple[RecordsRepo, Path],
                                                                    tmp_path: Path) -> None:
    repo, bare = pushed
    before, after, work = _push_violation(repo, bare, tmp_path / "ci")
    proc = _forgejo(work, repo.env, before, after)
    assert proc.returncode == 1 and "[plaintext]" in proc.stdout, proc.stdout + proc.stderr
    assert not Path("/dev/shm/saiken.key").exists()
    first = _forgejo(work, repo.env, ZERO, repo.git("rev-parse", "HEAD~2").strip(), "refs/heads/topic")
    assert first.returncode == 0, first.stdout + first.stderr  # a new branch: from its merge base with main


def _commit_push_and_run(repo: RecordsRepo, bare: Path, tmp_path: Path, job, before: str,  # type: ignore[no-untyped-def]
                         message: str) -> tuple[str, subprocess.CompletedProcess[str]]:
    """Commit everything with the hooks skipped, push it to main, and run the CI job on it."""
    repo.git("add", "-A")
    repo.git("commit", "-q", "--no-verify", "-m", message)
    repo.git("push", "-q", "origin", "main")
    sha = repo.git("rev-parse", "HEAD").strip()
    return sha, job(_checkout(bare, sha, tmp_path / "ci", repo.env), repo.env, before, sha)


@pytest.mark.parametrize("job", [_gitlab, _forgejo], ids=["gitlab", "forgejo"])
def test_ci_job_log_names_each_finding_but_never_quotes_the_record(pushed: tuple[RecordsRepo, Path],
                                                                    tmp_path: Path, job) -> None:  # type: ignore[no-untyped-def]
    """The job holds a handler's key and finds bad values and a prohibited word in a record pushed
    with the hooks skipped; its output is the job log: no fictional plaintext in it, while every
    finding still names its check, file and field."""
    repo, bare = pushed
    before = repo.git("rev-parse", "HEAD").strip()
    add_leaks(repo)
    local = repo.saiken("check", "--all")
    assert "（1990-02-30）" in local.stdout  # the handler's terminal quotes: the secrets are there to leak
    sha, proc = _commit_push_and_run(repo, bare, tmp_path, job, before, "事案 C-LEAK0001 を登録")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    log = proc.stdout + proc.stderr
    assert_redacted(log)
    assert "コミット " + sha[:10] + ": エラー [schema]" in log  # the --range step, commit by commit
    if job is _forgejo:  # its step runs --all after a failed --range; GitLab stops at the first failing line
        assert "検査したファイル" in log
    assert not any(s in log for s in SECRETS)


@pytest.mark.parametrize("job", [_gitlab, _forgejo], ids=["gitlab", "forgejo"])
def test_ci_job_judges_a_push_by_the_rules_before_it(pushed: tuple[RecordsRepo, Path], tmp_path: Path,
                                                       job) -> None:  # type: ignore[no-untyped-def]
    """A push that weakens the lexicon and then adds a record the weaker lexicon lets through: the
    job judges the record by the rules the push started from, and refuses the unsigned change."""
    repo, bare = pushed
    key = tmp_path / "kou-01-signing"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    repo.add_handler("kou-01", org="甲", role="取扱責任者")
    repo.saiken("handler", "signing-key", "kou-01", "--key", key.with_name(key.name + ".pub").read_text(), check=True)
    repo.git("commit", "-q", "-am", "甲の取扱責任者を指定")  # no ward signer before it: let in unsigned
    repo.saiken("rekey", check=True)
    repo.git("commit", "-q", "-am", "宛先の更新")
    repo.git("push", "-q", "origin", "main")
    before = repo.git("rev-parse", "HEAD").strip()
    lexicon = repo.root / "policies" / "prohibited-categories.yaml"
    lexicon.write_text(lexicon.read_text(encoding="utf-8").replace("前科, ", ""), encoding="utf-8")
    repo.git("commit", "-q", "--no-verify", "-am", "語彙の整理")
    repo.saiken("case", "new", "--from", "-", input=case_yaml("C-CI000009", "前科あり"), check=True)
    sha, proc = _commit_push_and_run(repo, bare, tmp_path, job, before, "事案 C-CI000009 を登録")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "エラー [rules] 特記事項4・5・6・13 policies/prohibited-categories.yaml" in proc.stdout
    assert f"コミット {sha[:10]}: エラー [prohibited] 特記事項5 {record_rel('C-CI000009')}" in proc.stdout
