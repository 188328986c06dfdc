#!/usr/bin/env bash
# Print a Python 3.10 interpreter for .venv-rasa (Rasa 3.6 needs Python < 3.11).
set -euo pipefail
if command -v pyenv >/dev/null 2>&1 && prefix=$(pyenv prefix 3.10.13 2>/dev/null); then
  echo "$prefix/bin/python"; exit 0
fi
for candidate in python3.10 /usr/bin/python3.10 /usr/local/bin/python3.10; do
  if command -v "$candidate" >/dev/null 2>&1; then command -v "$candidate"; exit 0; fi
done
echo "samtal: Python 3.10 is needed for Rasa 3.6 (install python3.10 or pyenv 3.10.13)" >&2
exit 1
