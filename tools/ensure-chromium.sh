#!/usr/bin/env bash
# Make sure a headless Chromium is on PATH for the report's browser test: install Debian's package
# when this machine allows it (root, or password-less sudo, with apt-get). Elsewhere it says, in one
# line, that the browser test is skipped and how to get chromium, and exits 0; in CI (CISFLOW_CI=1) it fails.
set -euo pipefail
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 && exit 0
"$(dirname "$0")/apt-install.sh" chromium && exit 0
if [ -n "${CISFLOW_CI:-}" ]; then
    echo "$(basename "$0"): CISFLOW_CI is set and chromium is not on PATH, nor could it be installed" \
        "(that needs root or password-less sudo, and apt-get)" >&2
    exit 1
fi
echo "$(basename "$0"): no chromium here, nor could it be installed (that needs root or password-less sudo, and" \
    "apt-get): the report's browser test is skipped (tests/test_demo_results.py::test_report_in_a_real_browser);" \
    "for it put chromium on PATH (apt-get install chromium, or your distribution's chromium package)" >&2
