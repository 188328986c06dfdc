#!/usr/bin/env bash
# pip-audit over every lock file, against the vulnerability data PyPI publishes for
# each pinned release. Findings that cannot reach samtal are listed, each with its
# reason, in requirements/audit-ignore.txt (and explained in docs/security.md).
# Exit status: 0 clean, 1 findings (or a package pip-audit could not look up), 3 the
# vulnerability data could not be reached.
set -euo pipefail
cd "$(dirname "$0")/.."
pip_audit=${1:-.venv-dev/bin/pip-audit}
python=$(dirname "$pip_audit")/python
# pip-audit reads each release's vulnerabilities from PyPI's JSON API
# (/pypi/NAME/VERSION/json). Without it, say so plainly (exit 3), not in a traceback,
# and never report "no known vulnerabilities" for packages that were not looked up.
if ! "$python" - <<'PY'
import sys
import urllib.error
import urllib.request

URL = "https://pypi.org/pypi/pip/24.0/json"
try:
    urllib.request.urlopen(URL, timeout=30).close()  # noqa: S310 - a fixed https URL
except (OSError, urllib.error.HTTPError) as exc:
    sys.exit(
        f"audit-deps: ERROR: cannot reach PyPI's vulnerability data ({URL}: {exc}).\n"
        "audit-deps: pip-audit needs network access to pypi.org's per-release JSON API;\n"
        "audit-deps: the lock files in requirements/ were NOT audited."
    )
PY
then
  exit 3
fi
ignores=()
while read -r id _; do
  ignores+=(--ignore-vuln "$id")
done < <(grep -vE '^[[:space:]]*(#|$)' requirements/audit-ignore.txt)
status=0
for lock in requirements/gateway.lock requirements/dev.lock requirements/synapse.lock requirements/rasa.lock; do
  echo "audit-deps: $lock"
  "$pip_audit" --requirement "$lock" --require-hashes --disable-pip --strict \
    --progress-spinner off ${ignores[@]+"${ignores[@]}"} || status=1
done
exit $status
