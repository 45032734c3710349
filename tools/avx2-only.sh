#!/usr/bin/env bash
# Run a command as on a CPU with AVX2 but neither AVX-512 nor native bf16 (CI and lab machines can be
# such), on a machine that has them: PyTorch's kernels and oneDNN, numpy's dispatch and numba's code
# generation are held to AVX2. For checking that results and tests hold on that floating-point path:
#     tools/avx2-only.sh make test
set -euo pipefail
export ATEN_CPU_CAPABILITY=avx2          # PyTorch's own CPU kernels
export ONEDNN_MAX_CPU_ISA=AVX2           # oneDNN (convolutions, matmul): no AVX-512, no AMX, no bf16 units
export NPY_DISABLE_CPU_FEATURES="X86_V4 AVX512_ICL AVX512_SPR"  # numpy's AVX-512 dispatch targets
export NUMBA_CPU_NAME=haswell            # numba (memelite's Tomtom, TF-MoDISco): AVX2 code
exec "$@"
