#!/usr/bin/env bash
# Recompile the lock files in requirements/ from their .in files, with sha256 hashes for
# every file PyPI has of each pinned version. Existing pins are kept unless an .in file
# asks otherwise (pip-compile prefers what the lock already says).
#   scripts/lock.sh                 # all four
#   scripts/lock.sh synapse dev     # some
# Needs network (PyPI). Installs pip-tools into a throwaway environment per Python.
set -euo pipefail
cd "$(dirname "$0")/.."
tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(gateway synapse dev rasa)
for name in "${names[@]}"; do
  case $name in
    rasa) python=$(scripts/python310.sh) ;;   # Rasa 3.6 runs on Python 3.10
    gateway | synapse | dev) python=python3.11 ;;
    *) echo "lock.sh: unknown lock '$name'" >&2; exit 2 ;;
  esac
  venv="$tools/$($python -c 'import sys; print(f"py{sys.version_info[0]}{sys.version_info[1]}")')"
  if [ ! -x "$venv/bin/pip-compile" ]; then
    "$python" -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check pip-tools==7.7.0
  fi
  CUSTOM_COMPILE_COMMAND="scripts/lock.sh" "$venv/bin/pip-compile" --quiet --generate-hashes \
    --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links \
    -o "requirements/$name.lock" "requirements/$name.in"
done
