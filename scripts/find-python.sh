#!/usr/bin/env bash
# Prints the path of a Python 3.10 interpreter (Rasa 3.6 needs 3.8-3.10), or explains how to get one.
set -euo pipefail
candidates=(
  "${PYTHON:-}"
  python3.10
  "$HOME/.pyenv/versions/3.10.13/bin/python3.10"
)
if command -v pyenv >/dev/null 2>&1; then
  for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.10\.' | sort -rV); do
    candidates+=("$(pyenv root)/versions/$v/bin/python3.10")
  done
fi
candidates+=(/usr/bin/python3.10 /usr/local/bin/python3.10)
for c in "${candidates[@]}"; do
  [ -n "$c" ] || continue
  if path=$(command -v "$c" 2>/dev/null) && "$path" -c 'import sys; sys.exit(0 if sys.version_info[:2]==(3,10) else 1)' 2>/dev/null; then
    echo "$path"; exit 0
  fi
done
cat >&2 <<'MSG'
No Python 3.10 interpreter found. Rasa 3.6 runs on Python 3.8-3.10 only.
Install one, then rerun make:
  pyenv install 3.10.13        # with pyenv
  apt-get install python3.10   # or from your distribution
or point to it explicitly:  make run PYTHON=/path/to/python3.10
MSG
exit 1
