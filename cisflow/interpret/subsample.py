"""The test sequences interpretation looks at: a seeded random sample, so that every pass (filter
PWMs, influence, saliency, TF-MoDISco) costs as much on a genome-scale test split (Basset: 69k
sequences) as on a few thousand, and a rerun picks the same sequences.
"""

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np

from cisflow.data.dataset import Dataset, subsample

log = logging.getLogger(__name__)


def subsample_of_test(data: Dataset, spec: Mapping[str, Any]) -> np.ndarray:
    """The indices of the test split that interpretation looks at.

    Parameters
    ----------
    data : cisflow.data.dataset.Dataset
        The experiment's dataset.
    spec : dict
        The experiment's ``interpret`` config: ``subsample`` (how many at most) and ``seed``.

    Returns
    -------
    (min(N_test, subsample),) int array
        Rows of ``data``, in file order.
    """
    test = data.indices("test")
    chosen = subsample(test, spec["subsample"], spec["seed"])
    log.info("interpreting %d of the %d test sequences (interpret.subsample %d, seed %d)", len(chosen), len(test),
             spec["subsample"], spec["seed"])
    return chosen
