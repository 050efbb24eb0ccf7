"""Helpers of the crowdsourcing tutorial (crowdsourcing_tutorial.ipynb).

data: download, verify and split the tweets; embeddings: the sentence encoder;
crowd_matrix: the crowd LFs' label matrix straight from the answers table;
splits: the whole pipeline run over many random splits, and honest scoring.
"""
