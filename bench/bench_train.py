"""Training throughput of every published model: cisflow's loop against a plain fp32 DataLoader loop.

cisflow's loop (``cisflow.training.train.run_epoch`` over ``TrainingBatches``) keeps the split on the device
as uint8 codes, expands one-hot there and, on CUDA, runs under bf16 autocast. The baseline is what
a tutorial writes: float32 one-hot tensors on the host, a shuffling DataLoader, each batch copied to
the device, fp32 throughout. Both train the same model from the same initial weights on the same
random sequences, one after the other in this run. cisflow's loop runs twice: with the split
held on the device, and streamed from the memory-mapped dataset in four blocks an epoch (what a
genome-scale split does), their ratio the cost of streaming. On CUDA the Camformers model's arithmetic rate
is also given as a fraction of the chip's dense bf16 peak, and the epoch time at DREAM scale
(6.7M sequences).

Prints `bench <name>: <value> <unit>` lines. `python bench/bench_train.py [model ...]`.
"""

import copy
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.flop_counter import FlopCounterMode

from cisflow.config.settings import Training
from cisflow.data.dataset import load_dataset, write_dataset
from cisflow.models.predict import device, one_hot
from cisflow.models.registry import build_for_dataset
from cisflow.training.batches import TrainingBatches
from cisflow.training.scaling import TargetScale
from cisflow.training.train import make_optimizer, run_epoch

# name: (sequence length, targets, per-sequence features, CPU batches timed)
MODELS = {
    "primer": (50, 1, 0, 40),
    "deepbind": (101, 1, 0, 40),
    "cuperus": (50, 1, 0, 20),
    "basset": (600, 164, 0, 6),
    "xpresso": (10_500, 1, 8, 4),
    "camformer": (110, 1, 0, 4),
}
BATCH = {"cpu": 64, "cuda": 1024}
DREAM_SEQUENCES = 6_739_258
# dense bf16 tensor-core peak (no sparsity), from NVIDIA's data sheets
BF16_PEAK = {"H100 PCIe": 756e12, "H100": 989e12, "H200": 989e12, "A100": 312e12}
TRAINING = Training.from_mapping({"reverse_complement": False, "shift": 0})  # the baseline does no augmentation either


def synthetic_dataset(path, seq_len, n_targets, n_features, n):
    rng = np.random.default_rng(0)
    write_dataset(path, rng.integers(0, 4, (n, seq_len), dtype=np.uint8), rng.integers(0, 2, (n, n_targets)),
                  np.zeros(n, np.uint8), [f"s{i}" for i in range(n)],
                  {"task": "classification", "targets": [f"t{i}" for i in range(n_targets)],
                   "features": [f"f{i}" for i in range(n_features)]},
                  features=rng.normal(size=(n, n_features)) if n_features else None)
    return load_dataset(path)


def cisflow_rate(model, data, batch, dev, resident_bytes=2**34):
    """Sequences per second of cisflow's epoch loop (after one warm-up epoch on a slice); a split
    larger than ``resident_bytes`` streams from the memory-mapped dataset, block by block."""
    rows = np.arange(len(data.codes))
    scale = TargetScale.fit(data.targets, "classification", rows)
    optimizer = make_optimizer("adam", model.parameters(), 1e-3, 0.0)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    generator = torch.Generator().manual_seed(0)
    warmup = TrainingBatches(data, np.arange(2 * batch), scale, batch, dev, 2**34)
    run_epoch(model, warmup, loss_fn, optimizer, TRAINING, generator, dev)
    batches = TrainingBatches(data, rows, scale, batch, dev, resident_bytes)
    _sync(dev)
    start = time.perf_counter()
    run_epoch(model, batches, loss_fn, optimizer, TRAINING, generator, dev)
    _sync(dev)
    return len(batches) / (time.perf_counter() - start)


def baseline_rate(model, data, batch, dev):
    """Sequences per second of a plain loop: host fp32 one-hot, DataLoader, per-batch copies."""
    x = one_hot(torch.from_numpy(np.array(data.codes)))
    extra = [torch.from_numpy(np.array(data.features))] if data.features is not None else []
    targets = torch.from_numpy(np.array(data.targets, np.float32))
    loader = DataLoader(TensorDataset(x, *extra, targets), batch_size=batch, shuffle=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    model.train()

    def step(*tensors):
        *inputs, y = [t.to(dev) for t in tensors]
        loss = loss_fn(model(*inputs), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    warm = next(iter(loader))
    step(*warm)
    _sync(dev)
    start = time.perf_counter()
    for tensors in loader:
        step(*tensors)
    _sync(dev)
    return len(x) / (time.perf_counter() - start)


def flops_per_sequence(model, data, dev):
    """Training FLOPs (forward + backward) per sequence, counted by torch's FlopCounterMode."""
    codes = torch.from_numpy(np.asarray(data.codes[:8])).to(dev)
    with FlopCounterMode(display=False) as counter:
        model(one_hot(codes)).sum().backward()
    model.zero_grad()
    return counter.get_total_flops() / len(codes)


def _sync(dev):
    if dev.type == "cuda":
        torch.cuda.synchronize()


def main(names):
    dev = device()
    batch = BATCH[dev.type]
    torch.manual_seed(0)
    for name in names:
        seq_len, n_targets, n_features, cpu_batches = MODELS[name]
        n = batch * (cpu_batches if dev.type == "cpu" else 40)
        with tempfile.TemporaryDirectory() as tmp:
            data = synthetic_dataset(Path(tmp) / "ds", seq_len, n_targets, n_features, n)
            model = build_for_dataset(name, data.attrs, {}).to(dev)
            fresh = copy.deepcopy(model)
            baseline = baseline_rate(fresh, data, batch, dev)
            ours = cisflow_rate(model, data, batch, dev)
            stored = sum(a.nbytes for a in (data.codes, data.targets, data.features) if a is not None)
            streamed = cisflow_rate(model, data, batch, dev, resident_bytes=stored // 4)
            print(f"bench train_{name}_baseline_fp32_dataloader: {baseline:.0f} seq/s")
            print(f"bench train_{name}_cisflow: {ours:.0f} seq/s")
            print(f"bench train_{name}_speedup: {ours / baseline:.2f} x")
            print(f"bench train_{name}_streamed_vs_resident: {streamed / ours:.2f} x")
            if name == "camformer" and dev.type == "cuda":
                gpu = torch.cuda.get_device_name(dev)
                peak = next((v for k, v in BF16_PEAK.items() if k in gpu), None)
                achieved = flops_per_sequence(model, data, dev) * ours
                print(f"bench train_camformer_tflops: {achieved / 1e12:.1f} TFLOP/s")
                if peak:
                    print(f"bench train_camformer_bf16_peak_fraction: {achieved / peak:.2f} of {gpu}")
                print(f"bench train_camformer_dream_epoch: {DREAM_SEQUENCES / ours / 60:.1f} min")


if __name__ == "__main__":
    main(sys.argv[1:] or list(MODELS))
