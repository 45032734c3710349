#!/usr/bin/env bash
# Make sure a headless Chromium is on PATH for the report's browser test: install Debian's package
# when this machine allows it (root, or password-less sudo, with apt-get). Elsewhere it only warns:
# the browser test is then skipped, except in CI (CISFLOW_CI=1), where it fails.
set -euo pipefail
command -v chromium >/dev/null 2>&1 && exit 0
if command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null && exit 0
    elif sudo -n true 2>/dev/null; then
        sudo apt-get update -qq && sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null && exit 0
    fi
fi
echo "chromium is not installed and cannot be installed here: the report's browser test will be skipped" >&2
