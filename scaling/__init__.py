"""Helpers of the scaling tutorial (scaling_tutorial.ipynb) and its benchmark.

The label model and the vote representation they scale are in crowdsourcing.votes and
crowdsourcing.label_model, which both tutorials import.

steps: the measured steps shared by the notebook and benchmarks/scaling_benchmark.py;
synthetic_crowd, synthetic_lfs: crowd jobs of any size and the LFs for them;
answers: the Dask route's answers format (Parquet), read whole and checked;
dask_label_model, dask_lfs, cluster: the same work spread over a Dask cluster;
end_model: embeddings per partition on the workers and a classifier trained on soft labels;
measure, report: time and peak memory of a step, and the notebook's words about them.
"""
