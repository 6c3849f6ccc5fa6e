#!/usr/bin/env bash
# One command from a fresh Debian machine to a working demo: setup (Debian packages and a venv with
# saiken), a demo records repository with fictional handlers and 20 fictional cases, the case list,
# the worklist, the full check, and the policy site (site/).  Running it again reuses the demo.
# At the end, one block of lines to paste into the same shell to go on.
#   bash scripts/quickstart.sh [--no-setup] [DIR]   (default DIR: ./saiken-demo; --no-setup: setup.sh
#                                                   has run already, skip it)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
start=$SECONDS
if [ "${1:-}" = "--no-setup" ]; then
  shift
else
  bash "$here/scripts/setup.sh"
fi
export PATH="$here/.venv/bin:$PATH"

dir="${1:-$PWD/saiken-demo}"
mkdir -p "$(dirname "$dir")"
dir="$(cd "$(dirname "$dir")" && pwd)/$(basename "$dir")"
if [ -f "$dir/.identities/otsu-01.txt" ] && [ -d "$dir/records" ]; then
  echo "既にあるデモ用リポジトリを使います: $dir（作り直すには削除してから再実行してください）"
  plan="$(cd "$dir" && saiken records migrate --dry-run 2>/dev/null || true)"   # whole, then grep: no SIGPIPE
  if grep -q '^\(移します\|分けます\)' <<<"$plan"; then
    echo "以前の配置のデモです。記録を新しい配置に移してコミットします（saiken records migrate）"
    moved="$(cd "$dir" && saiken records migrate 2>&1)" || { echo "$moved" >&2; exit 1; }
    (cd "$dir" && git commit -q -m "記録をフォルダ別の配置に移す（saiken records migrate）")
  fi
else
  saiken demo --no-next-steps "$dir"
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

first="$(saiken case list --format tsv | awk -F '\t' 'NR == 1 { print $1 }')"   # awk reads it all: no broken pipe
q() { printf '%q' "$1"; }
echo
echo "完了しました（$((SECONDS - start)) 秒）。次に試すこと（このシェルに貼り付けて、乙の取扱責任者 otsu-01 として）:"
echo "  export PATH=$(q "$here/.venv/bin"):\"\$PATH\""
echo "  cd $(q "$dir")"
echo "  export SAIKEN_IDENTITY=$(q "$SAIKEN_IDENTITY")"
echo "  saiken case list                # 事案の一覧（氏名は出ません）"
echo "  saiken case show $first     # 1 件を復号して表示"
echo "  saiken case edit $first     # メモリ上で編集し、暗号化して保存"
echo "  saiken case limitation $first  # 消滅時効の完成日"
echo "  git log -p records/             # 記録の変更履歴"
