"""The test sequences interpretation looks at: a seeded random sample, so that every pass (filter
PWMs, influence, saliency, TF-MoDISco) costs as much on a genome-scale test split (Basset: 69k
sequences) as on a few thousand, and a rerun picks the same sequences.
"""

import logging

import numpy as np

from cisflow.config.settings import Interpret
from cisflow.data.dataset import Dataset, subsample

log = logging.getLogger(__name__)


def subsample_of_test(data: Dataset, interpret: Interpret) -> np.ndarray:
    """The indices of the test split that interpretation looks at.

    Parameters
    ----------
    data : cisflow.data.dataset.Dataset
        The experiment's dataset.
    interpret : cisflow.config.settings.Interpret
        The experiment's interpret settings: ``subsample`` (how many at most) and ``seed``.

    Returns
    -------
    (min(N_test, subsample),) int array
        Rows of ``data``, in file order.
    """
    test = data.indices("test")
    chosen = subsample(test, interpret.subsample, interpret.seed)
    log.info("interpreting %d of the %d test sequences (interpret.subsample %d, seed %d)", len(chosen), len(test),
             interpret.subsample, interpret.seed)
    return chosen
