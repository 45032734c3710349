#!/usr/bin/env bash
# Make sure bedtools is on PATH for the tests and benches that check cisflow's numpy merge and
# blacklist against it (through pybedtools): install Debian's package when this machine allows it
# (root, or password-less sudo, with apt-get). cisflow itself never calls bedtools, so `make demo`
# does not need it. Elsewhere it says, in one line, what will be skipped and how to get bedtools,
# and exits 0; in CI (CISFLOW_CI=1) it fails instead.
set -euo pipefail
command -v bedtools >/dev/null 2>&1 && exit 0
"$(dirname "$0")/apt-install.sh" bedtools && exit 0
if [ -n "${CISFLOW_CI:-}" ]; then
    echo "$(basename "$0"): CISFLOW_CI is set and bedtools is not on PATH, nor could it be installed" \
        "(that needs root or password-less sudo, and apt-get)" >&2
    exit 1
fi
echo "$(basename "$0"): no bedtools here, nor could it be installed (that needs root or password-less sudo, and" \
    "apt-get): the comparisons against it are skipped (tests/test_intervals.py -k bedtools, bench/bench_merge.py's" \
    "baseline); for them put bedtools on PATH: apt-get install bedtools, conda install -c conda-forge -c bioconda" \
    "bedtools, or the static binary of https://github.com/arq5x/bedtools2/releases" >&2
