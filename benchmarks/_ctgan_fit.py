"""Child process for benchmarks/tabular_adult.py: fit the `ctgan` package (run with its own venv).

Usage: /work/ctgan-venv/bin/python benchmarks/_ctgan_fit.py TRAIN.csv OUT.csv EPOCHS BATCH SEED THREADS COL,COL,...
Prints one JSON line: {"fit_seconds": ..., "ctgan_version": ...}.
"""
import json
import sys
import time

import numpy as np
import pandas as pd
import torch


def main() -> None:
    train_csv, out_csv, epochs, batch, seed, threads, discrete = sys.argv[1:8]
    torch.set_num_threads(int(threads))
    torch.manual_seed(int(seed))
    np.random.seed(int(seed))
    import ctgan
    from ctgan import CTGAN

    df = pd.read_csv(train_csv)
    model = CTGAN(epochs=int(epochs), batch_size=int(batch), enable_gpu=False, verbose=False)
    t0, c0 = time.perf_counter(), time.process_time()
    model.fit(df, discrete.split(","))
    fit_seconds, fit_cpu_seconds = time.perf_counter() - t0, time.process_time() - c0
    model.sample(len(df)).to_csv(out_csv, index=False)
    print(json.dumps({"fit_seconds": fit_seconds, "fit_cpu_seconds": fit_cpu_seconds, "ctgan_version": ctgan.__version__, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
