"""Helpers of the scaling tutorial (scaling_tutorial.ipynb) and its benchmark.

The label model and the vote representation they scale are in crowdsourcing.votes and
crowdsourcing.label_model, which both tutorials import.

steps: the measured steps shared by the notebook and benchmarks/scaling_benchmark.py;
synthetic_crowd, synthetic_lfs: crowd jobs of any size and the LFs for them;
answers: the Dask route's answers format (Parquet) and its writer, `write_answers`;
answer_files, answer_reading: finding a folder's answers files, and reading and checking one;
output_folder: an output folder written whole or not at all, and the one Parquet part writer;
dask_label_model: `fit_and_label`, the label model on a Dask cluster, Parquet to Parquet;
fit_arguments, file_votes: its argument checks, and its work on the workers, file by file;
cluster, dask_lfs: a Dask client and waiting on it safely; Snorkel's DaskLFApplier;
end_model: embeddings per partition on the workers and a classifier trained on soft labels;
measure, report: time and peak memory of a step, and the notebook's words about them.
"""
