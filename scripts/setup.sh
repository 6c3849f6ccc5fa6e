#!/usr/bin/env bash
# Sets up saiken on a fresh Debian machine: Debian packages (when missing, as root), then a venv
# in .venv with saiken installed from this checkout.  `scripts/setup.sh --test` adds what the
# test suite needs.  Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# fonts-ipaexfont-mincho: the 明朝 font embedded in documents (saiken doc); IPAex Gothic comes with pip.
# openssh-client: ssh-keygen, which git runs to make and verify the signatures on changes to the rules.
debs=(age git python3-venv vim-tiny openssh-client fonts-ipaexfont-mincho)
# poppler-utils: pdftoppm renders document pages to PNG; chromium: screenshots of the policy site;
# libreoffice-writer-nogui: opens the council report's DOCX; fonts-ipaexfont-gothic: glyphs for both.
# gitolite3, openssh-server: tests/test_server.py runs a records server (its own sshd on a loopback port,
# gitolite in a temp home). Installed without an admin key, gitolite3 sets nothing up (no debconf question
# is asked with DEBIAN_FRONTEND=noninteractive); the test and `saiken server setup` do the rest.
[ "${1:-}" = "--test" ] && debs+=(tmux vim poppler-utils chromium libreoffice-writer-nogui fonts-ipaexfont-gothic
                                 gitolite3 openssh-server)

missing=()
for pkg in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "次の Debian パッケージが必要です（root で実行してください）: ${missing[*]}" >&2
    exit 1
  fi
  echo "Debian パッケージをインストールします: ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
extras=""
[ "${1:-}" = "--test" ] && extras="[test]"
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".${extras}" 2>&1 \
  | grep -v '^WARNING: Location' || true
.venv/bin/saiken --version >/dev/null
