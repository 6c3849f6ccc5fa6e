"""An OpenSSH sshd of its own on a loopback port, for a gitolite in a temp home (tests and benchmarks).

Nothing global is touched: the config, host key, pid file and log are in the given folder; the
user is the current one, logged in only with the keys gitolite writes (forced `command=`), and
HOME is pointed at gitolite's temp home with SetEnv. Run as root, sshd insists on its privilege
separation folder /run/sshd: made here when missing, and removed again by `stop`.
"""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

PRIVSEP_DIR = Path("/run/sshd")


def ssh_keygen(path: Path) -> str:
    """A new ed25519 key pair at `path` (no passphrase); the public key line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", path.stem, "-f", str(path)], check=True)
    return path.with_suffix(".pub").read_text().strip()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Sshd:
    folder: Path
    home: Path                  # gitolite's home: its authorized_keys decides who gets in
    port: int
    proc: subprocess.Popen[bytes]
    made_privsep: bool

    @property
    def log(self) -> Path:
        return self.folder / "sshd.log"

    def url(self, repo: str) -> str:
        return f"ssh://{getpass.getuser()}@127.0.0.1:{self.port}/{repo}"

    def ssh_command(self, key: Path) -> str:
        """GIT_SSH_COMMAND for a client holding `key`, trusting only this sshd's host key."""
        return (f"ssh -F /dev/null -i {key} -o IdentitiesOnly=yes -o BatchMode=yes "
                f"-o UserKnownHostsFile={self.folder / 'known_hosts'} -o StrictHostKeyChecking=yes -p {self.port}")

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=10)
        if self.made_privsep:
            PRIVSEP_DIR.rmdir()


def start(folder: Path, home: Path) -> Sshd:
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    host_key = folder / "host_ed25519"
    (folder / "known_hosts").write_text(f"[127.0.0.1]:{port} {ssh_keygen(host_key)}\n")
    config = folder / "sshd_config"
    config.write_text(f"""# a test's own sshd: nothing here touches the machine's sshd or its users
Port {port}
ListenAddress 127.0.0.1
HostKey {host_key}
PidFile {folder / 'sshd.pid'}
AuthorizedKeysFile {home / '.ssh' / 'authorized_keys'}
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowUsers {getpass.getuser()}
SetEnv HOME={home}
LogLevel VERBOSE
""")
    made_privsep = os.geteuid() == 0 and not PRIVSEP_DIR.exists()
    if made_privsep:
        PRIVSEP_DIR.mkdir(mode=0o755)
    sshd = shutil.which("sshd") or "/usr/sbin/sshd"
    log = folder / "sshd.log"
    proc = subprocess.Popen([sshd, "-D", "-e", "-f", str(config)], stderr=log.open("wb"), start_new_session=True)
    server = Sshd(folder, home, port, proc, made_privsep)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            server.stop()
            raise RuntimeError("sshd stopped:\n" + log.read_text())
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return server
        time.sleep(0.05)
    server.stop()
    raise RuntimeError("sshd did not start:\n" + log.read_text())
