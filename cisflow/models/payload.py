"""A model file's payload, trusted in nothing: read as tensors and plain values only, and checked
whole (cisflow's keys and their types, dataset attributes a model can be built for, every tensor's
shape against the architecture, finite weights) before a model is built from it.

A model file is user input (``cisflow predict --model``): anything else than cisflow's own payload
is refused with an ``InputError`` naming the file. ``cisflow.models.checkpoint`` loads single models
and ``cisflow.models.ensemble`` ensembles of them through this module.
"""

import os
import pickle
import re
import warnings
import zipfile
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

import cisflow
from cisflow.io.errors import InputError
from cisflow.models.predict import ACTIVATIONS
from cisflow.models.registry import build_for_dataset, registered
from cisflow.types import PathLike

EXPECTED = "expected a model.pt written by cisflow's train rule (results/models/<experiment>/model.pt)"
KEYS = ("model_name", "model_params", "dataset", "state_dict")
MAX_SEQ_LEN = 10**8  # longer than any genome window or promoter: a larger one is a damaged or crafted file


def read_checked(path: PathLike) -> dict[str, Any]:
    """The payload of the single model file ``path``, checked as ``load_model`` checks it, unbuilt."""
    payload = read_payload(path)
    if isinstance(payload, dict) and "ensemble" in payload:
        raise InputError(path, f"an ensemble, not a single model; {EXPECTED}")
    _check_payload(path, payload)
    _check_shapes(path, payload)
    _check_finite(path, payload["state_dict"])
    return payload


def build_checked(path: PathLike, payload: dict[str, Any]) -> nn.Module:
    """The model of a single model's ``payload`` (read from ``path``), its keys, types and shapes
    checked first, its weights loaded (on the CPU)."""
    _check_payload(path, payload)
    _check_shapes(path, payload)
    _check_finite(path, payload["state_dict"])
    name, params, dataset, weights = (payload[key] for key in KEYS)
    model = build_for_dataset(name, dataset, params)
    model.load_state_dict(weights)
    return model


def read_payload(path: PathLike) -> Any:
    """The file's contents, unpickled as tensors and plain values only: any other object is refused
    unloaded, since unpickling it could run code."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(64)
    except OSError as error:
        raise InputError(path, f"cannot read the model file ({error.strerror}); {EXPECTED}") from None
    if not head:
        raise InputError(path, f"the file is empty, not a model; {EXPECTED}")
    if not head.startswith(b"PK\x03\x04") and not head.startswith(b"\x80"):
        start = head.split(b"\n")[0].decode("utf-8", "replace")
        raise InputError(path, f"not a model file: neither a PyTorch zip archive nor a pickle (it starts with "
                               f"{start!r}); {EXPECTED}")
    if head.startswith(b"PK\x03\x04"):
        _check_archive(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's notes on pickle protocols say nothing about the file
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:  # the safe unpickler's refusal, what it refused in the cause
        refused = re.search(r"GLOBAL (\S+)", str(error.__context__))
        held = f"a Python object ({refused.group(1)}) beside tensors and plain values" if refused else \
            f"a pickle of more than tensors and plain values ({error.__context__})"
        raise InputError(path, f"not a cisflow model (or one written by an incompatible version): it holds {held}, "
                               f"and was NOT loaded, since unpickling it could run code; {EXPECTED}") from None
    except Exception:  # a damaged file fails as OSError, RuntimeError, EOFError, UnicodeDecodeError...
        raise _damaged(path) from None


def _damaged(path):
    return InputError(path, f"a truncated or damaged model file: its {os.path.getsize(path):,} bytes do not read as "
                            f"a whole PyTorch file; {EXPECTED}: copy it again or train it again")


def _check_archive(path):
    """torch.save stores its entries uncompressed, so loading takes the file's size in memory; a
    compressed entry could inflate to any size."""
    try:
        with zipfile.ZipFile(path) as archive:
            packed = next((info.filename for info in archive.infolist()
                           if info.compress_type != zipfile.ZIP_STORED), None)
    except Exception:  # BadZipFile when truncated; a crafted archive may fail otherwise
        raise _damaged(path) from None
    if packed is not None:
        raise InputError(path, f"not a cisflow model: a zip archive with compressed entries ({packed}), which "
                               f"torch.save never writes; it was NOT loaded, since it could inflate to any size; "
                               f"{EXPECTED}")


def _written_by(payload):
    version = payload.get("version")
    return f" (the file was written by cisflow {version}, this is {cisflow.__version__})" \
        if version and version != cisflow.__version__ else ""


def _check_payload(path, payload):
    """cisflow's keys, of the right types, and dataset attributes a model can be built for."""
    if not isinstance(payload, dict):
        raise InputError(path, f"a PyTorch file holding a {type(payload).__name__}, not a cisflow model; {EXPECTED}")
    missing = [key for key in KEYS if key not in payload]
    if missing:
        found = ", ".join(map(str, list(payload)[:8])) or "none"
        raise InputError(path, f"a PyTorch file but not a cisflow model: it has no {', '.join(missing)} "
                               f"(its keys: {found}); {EXPECTED}")
    name, params, dataset, weights = (payload[key] for key in KEYS)
    if not isinstance(name, str) or name not in registered():
        raise InputError(path, f"model_name {name!r} is not an architecture of this cisflow "
                               f"({', '.join(sorted(registered()))}){_written_by(payload)}; {EXPECTED}")
    for key, value in (("model_params", params), ("dataset", dataset), ("state_dict", weights)):
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            raise InputError(path, f"{key} is a {type(value).__name__}, not a dict of named values; {EXPECTED}")
    for key, value in weights.items():
        if not isinstance(value, torch.Tensor) or value.layout != torch.strided or value.is_meta:
            tensor = isinstance(value, torch.Tensor)
            kind = f"{value.layout} tensor on {value.device}" if tensor else type(value).__name__
            raise InputError(path, f"state_dict's {key} is a {kind}, not a tensor of weights; {EXPECTED}")
    seq_len, targets = dataset.get("seq_len"), dataset.get("targets")
    if type(seq_len) is not int or not 0 < seq_len <= MAX_SEQ_LEN:
        raise InputError(path, f"the dataset's seq_len is {seq_len!r}, not a length from 1 to {MAX_SEQ_LEN:,}; "
                               f"{EXPECTED}")
    if not isinstance(targets, (list, tuple)) or not targets:
        raise InputError(path, f"the dataset's targets are {targets!r}: a model needs one or more; {EXPECTED}")
    if dataset.get("task") not in ACTIVATIONS:
        raise InputError(path, f"the dataset's task is {dataset.get('task')!r}, not one of "
                               f"{', '.join(ACTIVATIONS)}; {EXPECTED}")
    if not isinstance(dataset.get("features") or [], (list, tuple)):
        raise InputError(path, f"the dataset's features are {dataset['features']!r}, not a list of names; {EXPECTED}")


def _check_shapes(path, payload):
    """Build the architecture on the meta device (no memory) and compare its tensors with the file's."""
    name, params, dataset, weights = (payload[key] for key in KEYS)
    try:
        with torch.device("meta"):
            expected = build_for_dataset(name, dataset, params).state_dict()
    except Exception as error:  # a crafted or foreign model_params fails in the constructor, any way it may
        raise InputError(path, f"its model_params do not build a {name} for its dataset ({error})"
                               f"{_written_by(payload)}; {EXPECTED}") from None
    for key, tensor in expected.items():
        if key not in weights:
            raise InputError(path, f"state_dict has no {key}, which a {name} built from the file's model_params "
                                   f"and dataset has{_written_by(payload)}; {EXPECTED}")
        if (weights[key].shape, weights[key].dtype) != (tensor.shape, tensor.dtype):
            raise InputError(path, f"state_dict's {key} is {_describe(weights[key])}, but a {name} built from the "
                                   f"file's model_params and dataset needs {_describe(tensor)}: the weights do not "
                                   f"fit the architecture{_written_by(payload)}; {EXPECTED}")
    extra = [key for key in weights if key not in expected]
    if extra:
        raise InputError(path, f"state_dict has {extra[0]}, which a {name} built from the file's model_params and "
                               f"dataset has not{_written_by(payload)}; {EXPECTED}")


def non_finite_weights(weights: Mapping[str, torch.Tensor]) -> str | None:
    """What is wrong with a state dict whose floating-point tensors hold NaN or infinite values: the
    first such tensor, its counts, and how many others do too; None where every weight is finite."""
    bad = []
    for key, tensor in weights.items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            bad.append(f"tensor {key} holds {int(tensor.isnan().sum()):,} NaN / {int(tensor.isinf().sum()):,} inf "
                       "values")
    if not bad:
        return None
    return bad[0] + (f" ({len(bad) - 1} more tensors too)" if len(bad) > 1 else "")


def _check_finite(path, weights):
    problem = non_finite_weights(weights)
    if problem:
        raise InputError(path, f"{problem}: the model is unusable (a diverged training?); train it again, with a "
                               "lower training.lr if it diverges again")


def _describe(tensor):
    return f"{tuple(tensor.shape)} {str(tensor.dtype).removeprefix('torch.')}"
