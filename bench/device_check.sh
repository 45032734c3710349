#!/usr/bin/env bash
# The GPU checks of bench/device_check.py on a CUDA machine, in under 8 minutes (`make device-check`;
# README, "Benchmarks"). Arguments go to device_check.py (--smoke, or sections: diff variants train ddp).
#
# The project's `device` machine has python3 with torch, numpy, pandas, scipy... but not pyfaidx, and
# cannot download. Once, in the repository root of a machine that can, fetch its wheel (pure Python;
# its one other dependency, packaging, is needed only for bgzip genomes and comes with matplotlib):
#
#   echo /.whl/ >> .git/info/exclude    # never committed
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#       --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
#       -d .whl pyfaidx==0.9.2.2
#
# then run this script there with .whl carried along (it is git-ignored, so it travels only when
# named): the device tool's run with command "bench/device_check.sh" and carry [".whl"], timeout_s
# 540. The log is also written to $OUT/device_check.log (or /tmp without $OUT).
set -euo pipefail
cd "$(dirname "$0")/.."

if compgen -G ".whl/*.whl" > /dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
fi
export PYTHONPATH=/tmp/site:$PWD${PYTHONPATH:+:$PYTHONPATH}

nvidia-smi -L 2> /dev/null || echo "nvidia-smi: none here"
python3 -c "import torch; print('torch', torch.__version__, 'CUDA', torch.version.cuda, 'GPUs', torch.cuda.device_count())"
PYTHONUNBUFFERED=1 timeout --kill-after=10 470 python3 bench/device_check.py "$@" 2>&1 | tee "${OUT:-/tmp}/device_check.log"
