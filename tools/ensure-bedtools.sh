#!/usr/bin/env bash
# Make sure bedtools (needed by pybedtools) is on PATH: install Debian's package when this machine
# allows it (root, or password-less sudo, with apt-get), else say how and fail.
set -euo pipefail
command -v bedtools >/dev/null 2>&1 && exit 0
if command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && apt-get install -y -qq --no-install-recommends bedtools >/dev/null && exit 0
    elif sudo -n true 2>/dev/null; then
        sudo apt-get update -qq && sudo apt-get install -y -qq --no-install-recommends bedtools >/dev/null && exit 0
    fi
fi
cat >&2 <<'MSG'
bedtools is not installed and this script cannot install it here. Install it, then run make again:
    Debian/Ubuntu:  sudo apt-get install bedtools
    conda/mamba:    mamba install -c conda-forge -c bioconda bedtools
    macOS:          brew install bedtools
MSG
exit 1
