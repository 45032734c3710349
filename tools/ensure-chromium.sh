#!/usr/bin/env bash
# Make sure a headless Chromium is on PATH for the report's browser test: install Debian's package
# when this machine allows it (root, or password-less sudo, with apt-get). Elsewhere it only warns:
# the browser test is then skipped, except in CI (CISFLOW_CI=1), where it fails.
set -euo pipefail
command -v chromium >/dev/null 2>&1 && exit 0
"$(dirname "$0")/apt-install.sh" chromium && exit 0
echo "chromium is not installed and cannot be installed here: the report's browser test will be skipped" >&2
