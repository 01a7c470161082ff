#!/bin/sh
# Data-parallel training of the apps under mpirun, one case per ctest entry
# (tests/dist/CMakeLists.txt sets the environment):
#   MPIRUN         mpirun and its flags (--oversubscribe, --allow-run-as-root where needed)
#   YOLO_V1, FASHION_MNIST, COMPARE (compare_checkpoints)  the programs
#   FASHION_DATA   fashion_mnist's synthetic test data;  WORK  a scratch folder
# Cases:
#   data                       a small words dataset for the yolo_v1 cases
#   resume_across_world_sizes  2 ranks stopped then resumed by 1, and 1 by 2, end where one
#                              uninterrupted process ends
#   killed_rank                SIGKILL of rank 1 mid-epoch: mpirun ends the job naming rank 1,
#                              the last checkpoint loads, and the run resumes to its end
#   bad_batch                  3 processes cannot share --batch 8
#   model_mismatch             ranks building different models are told which tensor differs
#   fashion_mnist              2 ranks learn the synthetic data; rank 0 alone prints and saves
set -eu
case_name=$1
data=$WORK/data
# humble on 64x64 words images, one thread per process, quiet, evaluated only at the end.
common="--data $data --arch humble --batch 8 --threads 1 --quiet --eval-every 1000 --seed 3"

fail() {
  echo "FAIL: $*"
  exit 1
}

# Runs "$@", which must fail, and checks that its output matches the regex $expect.
expect_failure() {
  expect=$1
  shift
  if "$@" > "$out" 2>&1; then
    cat "$out"
    fail "expected a failure"
  fi
  cat "$out"
  grep -Eq -- "$expect" "$out" || fail "the output does not match '$expect'"
}

# start_job DIR N ARGS...: runs `yolo_v1 ARGS` as N processes (through $MPIRUN when N > 1) in
# the background, each writing its pid to DIR/pid.<rank> (exec keeps it); the output goes to
# DIR/job.out and the exit status to DIR/status. A job that outlives 120 s is stopped (status 124).
start_job() {
  dir=$1 n=$2
  shift 2
  mkdir -p "$dir"
  rm -f "$dir"/pid.* "$dir/status"
  launch=""
  [ "$n" = 1 ] || launch="$MPIRUN -np $n"
  # shellcheck disable=SC2016 # expanded by the inner shell, once per process
  record_pid='echo $$ > "$0/pid.${OMPI_COMM_WORLD_RANK:-${PMI_RANK:-0}}"; exec "$@"'
  (
    status=0
    timeout 120 $launch sh -c "$record_pid" "$dir" "$YOLO_V1" "$@" > "$dir/job.out" 2>&1 ||
      status=$?
    echo $status > "$dir/status"
  ) &
}

# kill_after_checkpoint DIR RANK: once the job of start_job DIR has written its first checkpoint
# (DIR/run/last.safetensors: epoch 1 is done), kills process RANK with SIGKILL and waits for the
# job to end. Fails when the job ended before (the test would not test an interruption).
kill_after_checkpoint() {
  dir=$1 rank=$2
  i=0
  until [ -f "$dir/run/last.safetensors" ]; do
    [ ! -f "$dir/status" ] || { cat "$dir/job.out"; fail "the job ended before a checkpoint"; }
    sleep 0.05
    i=$((i + 1))
    [ $i -lt 2400 ] || fail "no checkpoint after 120 s"
  done
  sleep 0.2  # into the next epoch
  [ ! -f "$dir/status" ] || { cat "$dir/job.out"; fail "the job ended before the kill"; }
  kill -KILL "$(cat "$dir/pid.$rank")"
  killed=$(date +%s)
  wait
  cat "$dir/job.out"
  echo "killed rank $rank; the job ended $(($(date +%s) - killed)) s later, exit status" \
    "$(cat "$dir/status"); the checkpoint holds epoch" \
    "$("$COMPARE" "$dir/run/last.safetensors" | sed 's/.* //')"
}

out=$WORK/$case_name.out
mkdir -p "$WORK"
case $case_name in
data)
  rm -rf "$data"
  "$YOLO_V1" generate --preset words --count 80 --val-fraction 0.1 --out "$data" --seed 5
  ;;

resume_across_world_sizes)
  w=$WORK/resume
  rm -rf "$w"
  mkdir -p "$w"
  # 48 training images, 6 steps an epoch, 3 epochs (18 Adam steps) in every run.
  args="$common --limit 48 --epochs 3"
  "$YOLO_V1" train $args --out "$w/one"
  # 2 ranks stopped after a checkpoint (rank 1 killed), resumed by 1 process; and the reverse.
  start_job "$w/two_then_one" 2 train $args --out "$w/two_then_one/run"
  kill_after_checkpoint "$w/two_then_one" 1
  "$YOLO_V1" train $args --resume --out "$w/two_then_one/run"
  start_job "$w/one_then_two" 1 train $args --out "$w/one_then_two/run"
  kill_after_checkpoint "$w/one_then_two" 0
  $MPIRUN -np 2 "$YOLO_V1" train $args --resume --out "$w/one_then_two/run"
  # The same weights and Adam state, step and epoch. To rounding: 2 ranks sum the gradients in
  # another order, which moves the weights by about 1e-6 of their norm over these steps (the
  # tool compares all the weights as one vector, and the Adam state as another).
  for run in two_then_one one_then_two; do
    "$COMPARE" "$w/one/last.safetensors" "$w/$run/run/last.safetensors" --rtol 1e-5 \
      --meta step --meta yolo.epoch || fail "$run differs from the uninterrupted run"
  done
  ;;

killed_rank)
  w=$WORK/killed
  rm -rf "$w"
  args="$common --epochs 4 --out $w/run"
  start_job "$w" 2 train $args
  kill_after_checkpoint "$w" 1
  status=$(cat "$w/status")
  [ "$status" != 0 ] || fail "mpirun exited with status 0 after a rank was killed"
  [ "$status" != 124 ] || fail "the job hung after a rank was killed (timeout)"
  grep -Eq "rank 1 .*(signal 9|Killed)" "$w/job.out" || fail "the output does not name rank 1"
  # The checkpoint of the last finished epoch is intact, and the run resumes from it to the end.
  "$COMPARE" "$w/run/last.safetensors" || fail "last.safetensors does not load"
  timeout 120 $MPIRUN -np 2 "$YOLO_V1" train $args --resume
  "$COMPARE" "$w/run/last.safetensors" | grep -q "epoch 4$" || fail "the resumed run did not end"
  [ "$(grep -c '^[0-9]' "$w/run/log.csv")" = 4 ] || fail "log.csv does not hold epochs 1..4"
  ;;

bad_batch)
  expect_failure "--batch 8 cannot be shared by 3 processes" \
    timeout 60 $MPIRUN -np 3 "$YOLO_V1" train $common --epochs 1 --out "$WORK/bad_batch"
  ;;

model_mismatch)
  # One rank with a 2x2 grid, the other with 3x3: their last dense layers differ.
  expect_failure "disagree on the model.*on rank 0 but .* on rank 1" \
    timeout 60 $MPIRUN -np 1 "$YOLO_V1" train $common --epochs 1 --S 2 --out "$WORK/mismatch" \
    : -np 1 "$YOLO_V1" train $common --epochs 1 --S 3 --out "$WORK/mismatch"
  ;;

fashion_mnist)
  w=$WORK/fashion
  rm -rf "$w"
  timeout 120 $MPIRUN -np 2 "$FASHION_MNIST" --data "$FASHION_DATA" --out "$w" --limit 96 \
    --epochs 2 --batch 16 --threads 1 --min-accuracy 0.9 > "$out" 2>&1 ||
    { cat "$out"; fail "fashion_mnist under mpirun failed"; }
  cat "$out"
  grep -q "batch 16 (8 on each of 2 processes)" "$out" || fail "no per-process batch line"
  # Rank 0 alone prints: one line per epoch.
  [ "$(grep -c "^epoch 2/2  train loss" "$out")" = 1 ] || fail "expected one 'epoch 2/2' line"
  [ -f "$w/fashion_mnist.safetensors" ] || fail "no model saved"
  expect_failure "--batch 15 cannot be shared by 2 processes" \
    timeout 60 $MPIRUN -np 2 "$FASHION_MNIST" --data "$FASHION_DATA" --out "$w" --limit 96 \
    --epochs 1 --batch 15 --threads 1
  ;;

*)
  fail "unknown case '$case_name'"
  ;;
esac
echo "PASS: $case_name"
