"""What every saiken process does first: no core dump, and no plaintext left by an earlier one.

Any saiken process may hold decrypted records in memory (a command, a commit hook, git's textconv
driver, a forked worker). A crash would write that memory to a core file – by default in the
current folder, which is the work tree – so each process sets
  - RLIMIT_CORE to 0, soft and hard: no core file, and none from a child that inherits the limit
    (the editor, which holds the record too, cannot raise it again);
  - PR_SET_DUMPABLE to 0 (Linux, prctl through ctypes): no core even where a core handler ignores
    the limit, and no ptrace or /proc/PID/mem reading by other processes of the same user.
A child's exec makes it dumpable again, which is why the hard limit matters.

Then it removes the plaintext folders (core.plaintext.Scratch) of saiken processes that are gone:
a SIGKILL, a crash or a power cut on disk leaves one, and it should not wait for the next
`case edit` to be removed. Listing one or two memory-backed folders costs well under a millisecond.
"""

from __future__ import annotations

import os
import sys

PR_SET_DUMPABLE = 4
PR_GET_DUMPABLE = 3


def forbid_core_dumps() -> None:
    import resource

    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ValueError, OSError):
        pass  # cannot happen when lowering; never stop a command for it
    if sys.platform.startswith("linux"):
        _prctl(PR_SET_DUMPABLE, 0)


def dumpable() -> bool:
    """Whether this process may still dump core or be traced (for tests and `saiken check`)."""
    return bool(_prctl(PR_GET_DUMPABLE, 0)) if sys.platform.startswith("linux") else False


def _prctl(option: int, value: int) -> int:
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(option, value, 0, 0, 0))
    except (OSError, AttributeError):
        return -1


def _scratch_name(name: str) -> bool:
    parts = name.split("-", 2)
    return len(parts) == 3 and parts[0] == "saiken" and parts[1].isdigit()


def _any_scratch_folder() -> bool:
    """A first look, without importing core.plaintext (a tenth of the start-up of a commit hook):
    is there anything named saiken-<pid>-… where a plaintext folder may be (plaintext.candidate_bases)?"""
    names = (os.environ.get("SAIKEN_TMPDIR"), os.environ.get("XDG_RUNTIME_DIR"), "/dev/shm", "/run/shm",
             os.environ.get("TMPDIR") or os.environ.get("TEMP") or os.environ.get("TMP") or "/tmp")
    for base in dict.fromkeys(n for n in names if n):
        try:
            if any(_scratch_name(name) for name in os.listdir(base)):
                return True
        except OSError:
            continue
    return False


def start() -> None:
    """Called once at the start of every saiken process (saiken.entry)."""
    forbid_core_dumps()
    # git must show saiken every object as it is: a refs/replace/ entry would swap one commit for
    # another – the trusted base whose rules judge a push, a record's history – in every git read
    os.environ["GIT_NO_REPLACE_OBJECTS"] = "1"
    if _any_scratch_folder():
        from saiken.core import plaintext

        plaintext.sweep_everywhere()
    os.umask(0o077)
