"""Helpers of the crowdsourcing tutorial (crowdsourcing.ipynb).

data: download, verify and split the tweets; embeddings: the sentence encoder;
crowd_matrix: the crowd LFs' label matrix straight from the answers table;
splits: the repeated-split harness; report: tables, figures, intervals and the metrics JSON.
"""

import warnings

# Snorkel 0.10's LFAnalysis calls scipy.sparse.diags in a way SciPy now flags as changing later;
# its results are unaffected, so the tutorial's readers are spared this one warning.
warnings.filterwarnings("ignore", message="Input has data type int64", category=FutureWarning)
