#!/usr/bin/env bash
# Install Debian packages when this machine allows it (apt-get, and root or password-less sudo);
# exit 1 without a word otherwise, so that the caller says what to do instead.
# Used by ensure-bedtools.sh and ensure-chromium.sh:   tools/apt-install.sh PACKAGE...
set -euo pipefail
command -v apt-get >/dev/null 2>&1 || exit 1
if [ "$(id -u)" = 0 ]; then
    as_root=()
elif sudo -n true 2>/dev/null; then
    as_root=(sudo)
else
    exit 1
fi
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
