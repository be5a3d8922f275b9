#!/usr/bin/env bash
# The paper's formulation comparison at laptop scale (README "Training"; docs/training.md): the
# same N GSM8K train problems, equal steps and learning rate, LoRA over qwen2.5-coder-0.5b, for
# (b) Lumos-O's planner and grounder, (c) CoT training and (d) integrated training, each arm then
# evaluated greedily on GSM8K dev and SVAMP dev (never trained on). Arm (a), untrained Lumos-O, is
# `lumos eval {gsm8k,svamp} --data ... --formulation onetime --model qwen2.5-coder-0.5b`.
# Every step resumes: a stopped training continues from its checkpoint, an eval skips the examples
# already in its trace. Run from the repository root with the venv's `lumos` on PATH;
# ARMS="cot" runs one arm.
set -euo pipefail
BASE=${BASE:-qwen2.5-coder-0.5b}
N=${N:-400}
DATA=${DATA:-../shared/data}
OUT=${OUT:-runs/arms}
TRAIN_FLAGS="--base $BASE --limit $N --epochs 1 --batch-size 8 --lr 5e-4 --lora-layers 8 --save-every 10"
mkdir -p "$OUT/eval"
[ -f "$OUT/gsm8k_checked.jsonl" ] || \
  lumos data convert gsm8k --data "$DATA/gsm8k/train.jsonl" --out "$OUT/gsm8k_checked.jsonl" --check

train() {  # train one module on the first N problems of a seeded shuffle (the same in every arm)
  local module=$1 adapter="$OUT/$1/gsm8k-$1.lora.gguf" resume=""
  [ -f "$adapter" ] && return
  lumos data render --records "$OUT/gsm8k_checked.jsonl" --module "$module" --out "$OUT/$module.jsonl"
  [ -d "$OUT/$module/checkpoints" ] && resume="--resume"
  lumos train --data "$OUT/$module.jsonl" --out "$OUT/$module" --name "gsm8k-$module" $TRAIN_FLAGS $resume
}
evaluate() {  # evaluate one arm on both dev slices with the training-time Lumos rendering
  local arm=$1; shift
  for bench in gsm8k svamp; do
    lumos eval "$bench" --data "$DATA/$bench/dev.jsonl" --profile lumos --rendering train "$@" \
      --out "$OUT/eval/$bench-$arm-trained-$BASE.jsonl"
  done
}
adapter() { echo "$BASE+$OUT/$1/gsm8k-$1.lora.gguf"; }

for arm in ${ARMS:-lumos-o cot integrated}; do
  case $arm in
    lumos-o)
      train plan
      train ground
      evaluate lumos-o --formulation onetime --planner "$(adapter plan)" --grounder "$(adapter ground)" ;;
    cot)
      train cot
      evaluate cot --formulation cot --model "$(adapter cot)" ;;
    integrated)
      train integrated
      evaluate integrated --formulation integrated --model "$(adapter integrated)" ;;
  esac
done
