"""Run a real program on a pseudo-terminal and answer its prompts, as a person at a terminal would.

Passphrase prompts (saiken's and the age CLI's) read /dev/tty, not standard input, so a test can
only reach them through a terminal. Python's own `pty` module provides one; no pexpect needed.
"""

from __future__ import annotations

import os
import pty
import select
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class PtyResult:
    returncode: int
    output: str  # everything the program wrote to the terminal (stdout and stderr together)


def run(argv: list[str], *, env: dict[str, str], cwd: Path,
        answers: list[tuple[str, str]] = (), timeout: float = 60) -> PtyResult:  # type: ignore[assignment]
    """Run `argv`; each time the output shows the next prompt text, type the answer and Enter."""
    pid, fd = pty.fork()
    if pid == 0:  # child: its controlling terminal is the pty
        try:
            os.chdir(cwd)
            os.execve(argv[0], argv, env)
        finally:
            os._exit(127)
    pending = list(answers)
    seen = b""
    consumed = 0
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        if pending:
            prompt = pending[0][0].encode()
            at = seen.find(prompt, consumed)
            if at >= 0:
                time.sleep(0.1)  # let the program turn echo off before typing
                os.write(fd, pending.pop(0)[1].encode() + b"\n")
                consumed = at + len(prompt)
    else:
        os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return PtyResult(os.waitstatus_to_exitcode(status), seen.decode("utf-8", errors="replace"))
