"""Training and held-out evaluation.

``launch`` (the train rule: a member's training, in this process or as DDP processes through
torchrun), ``train`` (the loop, its settings a ``cisflow.config.settings.Training``), ``resume``
(resume checkpoints, the settings digest, the history),
``lock`` (one training of a member at a time), ``workflow_watch`` (a job ends with its workflow),
``replicates`` (an experiment's members: seed replicates and folds, each member's split),
``batches`` (the split on the device, one-hot per batch), ``augment`` (reverse complements and
shifts), ``scaling`` (targets and features standardised on the training split), ``chunks`` (column
statistics and predictions a chunk at a time), ``distributed`` (the DDP process group),
``search_space`` (a search's dotted keys into the experiment, checked at workflow load),
``search`` (Optuna search: the search_trials and search_best rules), ``metrics`` (AUROC, AUPRC,
Pearson, Spearman, R², the validation score), ``evaluate`` (the evaluate_member and evaluate rules).
"""
