"""Helpers of the crowdsourcing tutorial (crowdsourcing.ipynb).

data: download, verify and split the tweets; embeddings: the sentence encoder;
votes: the crowd's votes as a label matrix or sparse one-hot votes, straight from the answers;
label_model: FastLabelModel, Snorkel's LabelModel fitted from overlap counts (both tutorials);
dawid_skene: the classic crowd model on arrays; splits: the repeated-split harness and budgets;
statistics: intervals and paired differences; display: tables and figures; metrics: the JSON.
"""

import warnings

# Snorkel 0.10's LFAnalysis calls scipy.sparse.diags in a way SciPy now flags as changing later;
# its results are unaffected, so the tutorial's readers are spared this one warning.
warnings.filterwarnings("ignore", message="Input has data type int64", category=FutureWarning)
