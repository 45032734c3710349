"""Training and held-out evaluation.

``train`` (the train rule: the loop, resume checkpoints, the lock and the workflow watch),
``replicates`` (an experiment's members: seed replicates and folds, each member's split),
``batches`` (the split on the device, one-hot per batch), ``distributed`` (DDP through torchrun),
``search`` (Optuna search: the search_trials and search_best rules), ``metrics`` (AUROC, AUPRC,
Pearson, Spearman, R², the validation score), ``evaluate`` (the evaluate_member and evaluate rules).
"""
