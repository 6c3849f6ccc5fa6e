"""The `saiken` console script: the two commit hooks start straight away, everything else goes
through the click CLI (saiken.cli).

A commit runs `saiken hook pre-commit` and `saiken hook commit-msg FILE` once each; importing
click and building the command group would cost each of them about a tenth of a second, a tenth
of the time a one-record commit may take. The same functions serve both ways in (saiken.checks.hooks),
and anything unusual (options, --help, a missing file) takes the CLI path and its messages.

Either way every process first forbids core dumps and sweeps stale plaintext (core.process_guard),
and at its end writes one access-log line for the records it opened (core.reads, ledger.accesslog).
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    from saiken.core import process_guard

    process_guard.start()  # no core dumps; plaintext of dead saiken processes removed
    args = sys.argv[1:] if argv is None else argv
    try:
        if _plain_hook(args):
            return _hook(args[1], args[2:])
        from saiken.cli import main as cli_main

        return cli_main(argv)
    finally:
        _log_access(args)


def _log_access(args: list[str]) -> None:
    """One access-log line for every record this command opened or wrote (saiken.core.reads)."""
    from saiken.core import reads

    if not reads.pending():
        return
    from saiken.ledger import accesslog

    if _plain_hook(args):
        label = " ".join(args[:2])
    else:
        from saiken.cli import command_label

        label = command_label(args)
    accesslog.flush(label)


def _plain_hook(args: list[str]) -> bool:
    if len(args) < 2 or args[0] != "hook" or any(a.startswith("-") for a in args[1:]):
        return False
    if args[1] == "pre-commit":
        return len(args) == 2
    return args[1] == "commit-msg" and len(args) == 3 and os.path.isfile(args[2])


def _hook(name: str, rest: list[str]) -> int:
    from saiken.checks import hooks
    from saiken.errors import DEBUG_ENV, SaikenError, render_internal_error, render_os_error

    os.umask(0o077)
    try:
        if name == "pre-commit":
            hooks.run_pre_commit(_print_err)
        else:
            hooks.run_commit_msg(rest[0], _print_err)
    except SaikenError as exc:
        _print_err(exc.render())
        return exc.exit_code
    except KeyboardInterrupt:
        _print_err("中断しました。")
        return 130
    except Exception as exc:  # noqa: BLE001 - as cli.main: never a traceback for staff
        if os.environ.get(DEBUG_ENV):
            raise
        _print_err(render_os_error(exc) if isinstance(exc, OSError) else render_internal_error(exc))
        return 1
    return 0


def _print_err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)
