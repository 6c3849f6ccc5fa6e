#!/usr/bin/env bash
# One command from a fresh Debian machine to a working demo: setup (Debian packages and a venv with
# saiken), a demo records repository with fictional handlers and 20 fictional cases, the case list,
# the worklist, the full check, and the policy site (site/).  Running it again reuses the demo.
#   bash scripts/quickstart.sh [DIR]        (default DIR: ./saiken-demo)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
start=$SECONDS
bash "$here/scripts/setup.sh"
export PATH="$here/.venv/bin:$PATH"

dir="${1:-$PWD/saiken-demo}"
mkdir -p "$(dirname "$dir")"
dir="$(cd "$(dirname "$dir")" && pwd)/$(basename "$dir")"
if [ -f "$dir/.identities/otsu-01.txt" ] && [ -d "$dir/records" ]; then
  echo "既にあるデモ用リポジトリを使います: $dir（作り直すには削除してから再実行してください）"
else
  saiken demo "$dir"
fi

cd "$dir"
export SAIKEN_IDENTITY="$dir/.identities/otsu-01.txt"
echo
echo "== saiken case list（乙の取扱責任者 otsu-01 として） =="
saiken case list
echo
echo "== saiken worklist（次にすべきこと、先頭 12 行） =="
saiken worklist | head -n 12 || true   # head closes the pipe early: not an error
if saiken check --help >/dev/null 2>&1; then
  echo
  echo "== saiken check --all（特記事項の検査） =="
  saiken check --all
fi
echo
echo "== saiken site build（方針サイト: 審議会報告・特記事項と遵守状況。個人情報は載りません） =="
saiken site build

echo
echo "完了しました（$((SECONDS - start)) 秒）。このシェルで続けて試すには:"
echo "  export PATH=\"$here/.venv/bin:\$PATH\""
echo "  cd \"$dir\""
echo "  export SAIKEN_IDENTITY=\"$SAIKEN_IDENTITY\""
echo "  saiken case list"
