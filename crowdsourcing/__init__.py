"""Helpers of the crowdsourcing tutorial (crowdsourcing.ipynb).

data: download, verify and split the tweets; parameters: the notebooks' parameter checks;
embeddings: the sentence encoder; votes: the crowd's votes as a label matrix (per worker or per
answer slot) or sparse one-hot votes, straight from the answers; cooccurrence: their overlap
counts, compiled; label_model: FastLabelModel, Snorkel's LabelModel fitted from overlap counts
(both tutorials), with its prediction formula in prediction (no torch there, for Dask workers);
dawid_skene: the classic crowd model on arrays; splits: the repeated-split harness;
budget: the crowd-budget experiment's outcomes table and its summaries; statistics: intervals
and paired differences; display and budget_views: tables, figures and sentences; metrics: JSON."""

import warnings

# Snorkel 0.10's LFAnalysis calls scipy.sparse.diags in a way SciPy now flags as changing later;
# its results are unaffected, so the tutorial's readers are spared this one warning.
warnings.filterwarnings("ignore", message="Input has data type int64", category=FutureWarning)
