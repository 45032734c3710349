#!/usr/bin/env bash
# Make sure bedtools (needed by pybedtools) is on PATH: install Debian's package when this machine
# allows it (root, or password-less sudo, with apt-get), else say how and fail.
set -euo pipefail
command -v bedtools >/dev/null 2>&1 && exit 0
"$(dirname "$0")/apt-install.sh" bedtools && exit 0
cat >&2 <<'MSG'
bedtools is not installed and this script cannot install it here. Install it, then run make again:
    Debian/Ubuntu:  sudo apt-get install bedtools
    conda/mamba:    mamba install -c conda-forge -c bioconda bedtools
    macOS:          brew install bedtools
MSG
exit 1
