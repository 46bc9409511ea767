#!/usr/bin/env bash
# The runs behind docs/advanced-families.md's and docs/evaluation.md's tables, as done on a lent GPU
# machine (16 CPU cores + one GPU) in three calls of at most 10 minutes each:
#
#   launch   start the CPU-budget table runs (one thread each, in the background, 14 of them), then
#            the GPU short runs in the foreground
#   collect  wait for the CPU runs; pack their generators, grids and result lines into $OUT
#   stash    (a fresh machine) keep the first piece of the Inception file in /tmp
#   incept   Inception-v3 FID/KID/precision/recall of every run, and of the training sets, on the GPU
#
# Data travels in ignored folders: .devdata/{mnist,fashion-mnist} (the IDX files) and the FID Inception
# file, cut in three pieces (.devdata/incep.a, .devinc_b/incep.b, .devinc_c/incep.c) because one call
# carries at most 64 MiB. Elsewhere run the same Python commands directly; nothing here is GPU-only
# except gpu_short_runs.py.
set -u
export PYTHONPATH=src GANFORGE_CACHE=/tmp/gfcache PYTHONUNBUFFERED=1
OUT=${OUT:-/tmp/gf_out}
BUDGET=${BUDGET:-780}        # CPU seconds per family
WALLCAP=${WALLCAP:-900}      # and never longer than this wall-clock time
RUNS=/tmp/cpuruns
case "${1:-}" in
launch)
  mkdir -p $GANFORGE_CACHE /tmp/cpures /tmp/cpulogs /tmp/cpuimg $RUNS
  cp -r .devdata/mnist .devdata/fashion-mnist $GANFORGE_CACHE/
  cp .devdata/incep.a /tmp/incep.a
  nproc; lscpu | grep -E "Model name|^CPU\(s\)|Thread" ; nvidia-smi --query-gpu=name,memory.total --format=csv
  python3 -c "import torch; print('torch', torch.__version__)"
  for job in mnist:dcgan mnist:cgan mnist:wgan-gp mnist:sngan mnist:biggan mnist:progan mnist:stylegan mnist:infogan \
             fashion-mnist:dcgan fashion-mnist:sngan fashion-mnist:biggan fashion-mnist:progan \
             fashion-mnist:stylegan fashion-mnist:infogan; do
    d=${job%%:*}; f=${job#*:}
    setsid nohup env OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 CUDA_VISIBLE_DEVICES= python3 benchmarks/advanced_families_table.py \
      --data $d --families $f --budget $BUDGET --wall-cap $WALLCAP --n 10000 --extractor mnist \
      --runs $RUNS --img /tmp/cpuimg --out /tmp/cpures/$f-$d.jsonl > /tmp/cpulogs/$f-$d.log 2>&1 < /dev/null &
  done
  sleep 20; tail -n 3 /tmp/cpulogs/*.log
  python3 benchmarks/gpu_short_runs.py --seconds ${GPU_SECONDS:-75} --out /tmp/gpu_runs --json $OUT/gpu_short_runs.json
  (cd /tmp/gpu_runs && tar czf $OUT/gpu_runs.tgz */samples.png */metrics.jsonl */config.yaml 2>/dev/null)
  uptime; tail -n 2 /tmp/cpulogs/*.log
  ;;
collect)
  cp .devinc_b/incep.b /tmp/incep.b
  while pgrep -f advanced_families_table.py > /dev/null; do
    sleep 15; echo "$(date +%T) running: $(pgrep -fc advanced_families_table.py); $(uptime)"
    [ "${SECONDS}" -gt "${COLLECT_MAX:-540}" ] && break
  done
  cat /tmp/cpures/*.jsonl > $OUT/cpu_table.jsonl
  tail -n 4 /tmp/cpulogs/*.log > $OUT/cpu_logs.txt
  for part in mnist fashion; do
    if [ $part = mnist ]; then dirs=$(cd $RUNS && ls -d * | grep -v fashion); else dirs=$(cd $RUNS && ls -d *fashion*); fi
    (cd $RUNS && tar czf $OUT/runs_$part.tgz $(for r in $dirs; do echo $r/config.yaml $r/metrics.jsonl $r/generator; done))
  done
  (cd /tmp/cpuimg && tar czf $OUT/grids.tgz *.png)
  ls -la $OUT; cat $OUT/cpu_table.jsonl | cut -c1-300
  ;;
stash)  # a fresh machine: the first piece of the Inception file (the second comes with `incept`)
  cp .devinc_a/incep.a /tmp/incep.a; ls -la /tmp/incep.a
  ;;
incept)  # .devinc_b holds the second piece, the test sets (+ the first 10k training images) and the runs' tarballs
  mkdir -p $GANFORGE_CACHE $RUNS && cp -r .devinc_b/data/* $GANFORGE_CACHE/
  for t in .devinc_b/runs_*.tgz; do tar xzf $t -C $RUNS; done
  cat /tmp/incep.a .devinc_b/incep.b > /tmp/inception.pt
  sha256sum /tmp/inception.pt | cut -c1-16
  export GANFORGE_INCEPTION=/tmp/inception.pt
  python3 benchmarks/eval_runs.py $RUNS/* --floor mnist,fashion-mnist --extractor inception --n 10000 \
    --device cuda --out $OUT/inception_table.jsonl
  ;;
*) echo "usage: $0 launch|collect|incept"; exit 2 ;;
esac
