#!/bin/sh
# Data-parallel training of the apps under mpirun, one case per ctest entry
# (tests/dist/CMakeLists.txt sets the environment):
#   MPIRUN         mpirun and its flags (--oversubscribe, --allow-run-as-root where needed)
#   YOLO_V1, FASHION_MNIST, COMPARE (compare_checkpoints), DIST_EQUIVALENCE  the programs
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
#   fashion_resume             (one process, no mpirun) fashion_mnist killed after a checkpoint and
#                              resumed ends where the uninterrupted run ends; bad checkpoints and
#                              resumes are refused naming the file
#   fashion_resume_across_world_sizes  fashion_mnist: 2 ranks stopped then resumed by 1, and 1 by
#                              2, end where one uninterrupted process ends
#   rank0_prints               2 ranks of yolo_v1 train print every line once (rank 0's)
#   hostfile                   the hostfile launch of docs/distributed.md, on this one machine:
#                              a hostfile naming localhost, 2 slots, --map-by ppr:2:node
#   equivalence                dist_equivalence ($DIST_EQUIVALENCE) as 2 ranks
#   pieces                     equivalence with all-reduces cut into 4 KB pieces (many pieces,
#                              several all-reduces queued); ranks given different piece sizes, or
#                              one that is not a number, are stopped with an error naming
#                              MINIDL_ALLREDUCE_PIECE_BYTES
#   tcp                        equivalence and killed_rank again, the ranks talking over TCP on
#                              the loopback interface (Open MPI's ob1 + tcp, the way between
#                              machines) instead of shared memory
#   srun_without_plugin        (Slurm) srun -n 2 with no MPI plugin is refused, naming the fix
# With LAUNCHER=slurm, Slurm's srun starts the processes (srun --mpi=pmix -n N) instead of
# $MPIRUN; the case reports itself skipped when no Slurm controller answers.
set -eu
case_name=$1
np=-np
if [ "${LAUNCHER:-mpirun}" = slurm ]; then
  if ! command -v srun > /dev/null || ! timeout 10 scontrol ping 2> /dev/null | grep -q UP; then
    echo "MINIDL_SKIP: no Slurm controller answers (srun, scontrol ping)"
    exit 0
  fi
  MPIRUN="srun --mpi=pmix --overcommit"
  np=-n
fi
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

# start_job DIR N PROGRAM ARGS...: runs `PROGRAM ARGS` as N processes (through $MPIRUN when
# N > 1) in the background, each writing its pid to DIR/pid.<rank> (exec keeps it); the output
# goes to DIR/job.out and the exit status to DIR/status. A job that outlives 120 s is stopped
# (status 124).
start_job() {
  dir=$1 n=$2 program=$3
  shift 3
  mkdir -p "$dir"
  rm -f "$dir"/pid.* "$dir/status"
  launch=""
  [ "$n" = 1 ] || launch="$MPIRUN $np $n"
  # shellcheck disable=SC2016 # expanded by the inner shell, once per process
  record_pid='echo $$ > "$0/pid.${OMPI_COMM_WORLD_RANK:-${PMI_RANK:-${PMIX_RANK:-0}}}"; exec "$@"'
  (
    status=0
    timeout 120 $launch sh -c "$record_pid" "$dir" "$program" "$@" > "$dir/job.out" 2>&1 ||
      status=$?
    echo $status > "$dir/status"
  ) &
}

# kill_after_checkpoint DIR RANK [CHECKPOINT [DELAY]]: once the job of start_job DIR has written its
# first checkpoint (CHECKPOINT, by default DIR/run/last.safetensors: epoch 1 is done), waits DELAY
# seconds (default 0.2: into the next epoch), kills process RANK with SIGKILL and waits for the job
# to end. Fails when the job ended before (the test would not test an interruption).
kill_after_checkpoint() {
  dir=$1 rank=$2 checkpoint=${3:-$1/run/last.safetensors} delay=${4:-0.2}
  i=0
  until [ -f "$checkpoint" ]; do
    [ ! -f "$dir/status" ] || { cat "$dir/job.out"; fail "the job ended before a checkpoint"; }
    sleep 0.05
    i=$((i + 1))
    [ $i -lt 2400 ] || fail "no checkpoint after 120 s"
  done
  sleep "$delay"
  [ ! -f "$dir/status" ] || { cat "$dir/job.out"; fail "the job ended before the kill"; }
  kill -KILL "$(cat "$dir/pid.$rank")"
  killed=$(date +%s)
  wait
  cat "$dir/job.out"
  echo "killed rank $rank; the job ended $(($(date +%s) - killed)) s later, exit status" \
    "$(cat "$dir/status"); the checkpoint holds epoch" \
    "$("$COMPARE" "$checkpoint" | sed 's/.* //')"
}

# expect_once FILE PATTERN...: each grep pattern matches exactly one line of FILE (rank 0's).
expect_once() {
  file=$1
  shift
  for pattern in "$@"; do
    n=$(grep -c -- "$pattern" "$file" || true)
    [ "$n" = 1 ] || fail "'$pattern' is printed $n times, expected once (by rank 0 alone)"
  done
}

# fashion_mnist on 32 of the synthetic images, 2 steps of 16 an epoch, 5 epochs, one thread a
# process: a few seconds a run. FASHION_RUN lacks --limit and --batch, which FASHION_ARGS adds.
FASHION_RUN="--data ${FASHION_DATA:-} --test-limit 20 --epochs 5 --threads 1 --seed 7"
FASHION_ARGS="$FASHION_RUN --limit 32 --batch 16"

# same_last_epoch A B: the "epoch 5/5" lines of two fashion_mnist outputs show the same train
# loss, train accuracy and test accuracy, to 1e-3 (they print 4 decimals; rounding may differ).
same_last_epoch() {
  a=$(grep "^epoch 5/5  train loss" "$1" | awk '{ print $5, $8, $11 }')
  b=$(grep "^epoch 5/5  train loss" "$2" | awk '{ print $5, $8, $11 }')
  if [ -z "$a" ] || [ -z "$b" ]; then fail "no 'epoch 5/5' line in $1 or $2"; fi
  echo "epoch 5/5 (loss, train acc, test acc): $a vs $b"
  echo "$a $b" | awk '{ for (k = 1; k <= 3; ++k) { d = $k - $(k + 3); if (d * d > 1e-6) bad = 1 } }
    END { exit bad }' || fail "epoch 5/5 differs: $a vs $b"
}

# fashion_checkpoint DIR: the checkpoint file of a fashion_mnist run folder.
fashion_checkpoint() { echo "$1/checkpoint.safetensors"; }

# fashion_reference W: empties the folder W, then trains the uninterrupted run into W/one (its
# output in W/one.out).
fashion_reference() {
  rm -rf "$1"
  mkdir -p "$1"
  "$FASHION_MNIST" $FASHION_ARGS --out "$1/one" > "$1/one.out" 2>&1 ||
    { cat "$1/one.out"; fail "the uninterrupted run failed"; }
}

# fashion_cut_and_resume W NAME N1 N2: the same run as N1 processes into W/NAME/run, its last rank
# killed as soon as the first checkpoint is there, then resumed by N2 processes (output in
# W/NAME.out, printed without the progress lines).
fashion_cut_and_resume() {
  w=$1 name=$2 n1=$3 n2=$4
  start_job "$w/$name" "$n1" "$FASHION_MNIST" $FASHION_ARGS --out "$w/$name/run"
  # 4 short epochs are left after the first: enough for the kill to land before the end.
  kill_after_checkpoint "$w/$name" $((n1 - 1)) "$(fashion_checkpoint "$w/$name/run")" 0
  resume_launch=""
  [ "$n2" = 1 ] || resume_launch="$MPIRUN $np $n2"
  timeout 120 $resume_launch "$FASHION_MNIST" $FASHION_ARGS --resume --out "$w/$name/run" \
    > "$w/$name.out" 2>&1 || { cat "$w/$name.out"; fail "$name: the resume failed"; }
  grep -v "\] " "$w/$name.out" || true
}

# fashion_same_as_uninterrupted W NAME RTOL: W/NAME/run ends with the weights and Adam state of
# W/one (within RTOL, relative), its step and epoch, and prints the same last epoch.
fashion_same_as_uninterrupted() {
  "$COMPARE" "$(fashion_checkpoint "$1/one")" "$(fashion_checkpoint "$1/$2/run")" --rtol "$3" \
    --meta step --meta fashion_mnist.epoch || fail "$2 differs from the uninterrupted run"
  same_last_epoch "$1/one.out" "$1/$2.out"
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
  start_job "$w/two_then_one" 2 "$YOLO_V1" train $args --out "$w/two_then_one/run"
  kill_after_checkpoint "$w/two_then_one" 1
  "$YOLO_V1" train $args --resume --out "$w/two_then_one/run"
  start_job "$w/one_then_two" 1 "$YOLO_V1" train $args --out "$w/one_then_two/run"
  kill_after_checkpoint "$w/one_then_two" 0
  $MPIRUN $np 2 "$YOLO_V1" train $args --resume --out "$w/one_then_two/run"
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
  start_job "$w" 2 "$YOLO_V1" train $args
  kill_after_checkpoint "$w" 1
  status=$(cat "$w/status")
  [ "$status" != 0 ] || fail "mpirun exited with status 0 after a rank was killed"
  [ "$status" != 124 ] || fail "the job hung after a rank was killed (timeout)"
  grep -Eq "(rank|task) 1[ :].*(signal 9|Killed)" "$w/job.out" || fail "the output does not name rank 1"
  # The checkpoint of the last finished epoch is intact, and the run resumes from it to the end.
  "$COMPARE" "$w/run/last.safetensors" || fail "last.safetensors does not load"
  timeout 120 $MPIRUN $np 2 "$YOLO_V1" train $args --resume
  "$COMPARE" "$w/run/last.safetensors" | grep -q "epoch 4$" || fail "the resumed run did not end"
  [ "$(grep -c '^[0-9]' "$w/run/log.csv")" = 4 ] || fail "log.csv does not hold epochs 1..4"
  ;;

bad_batch)
  expect_failure "--batch 8 cannot be shared by 3 processes" \
    timeout 60 $MPIRUN $np 3 "$YOLO_V1" train $common --epochs 1 --out "$WORK/bad_batch"
  ;;

model_mismatch)
  # One rank with a 2x2 grid, the other with 3x3: their last dense layers differ.
  expect_failure "disagree on the model.*on rank 0 but .* on rank 1" \
    timeout 60 $MPIRUN $np 1 "$YOLO_V1" train $common --epochs 1 --S 2 --out "$WORK/mismatch" \
    : -np 1 "$YOLO_V1" train $common --epochs 1 --S 3 --out "$WORK/mismatch"
  ;;

fashion_mnist)
  w=$WORK/fashion
  rm -rf "$w"
  timeout 120 $MPIRUN $np 2 "$FASHION_MNIST" --data "$FASHION_DATA" --out "$w" --limit 96 \
    --epochs 2 --batch 16 --threads 1 --min-accuracy 0.9 > "$out" 2>&1 ||
    { cat "$out"; fail "fashion_mnist under mpirun failed"; }
  cat "$out"
  grep -q "batch 16 (8 on each of 2 processes)" "$out" || fail "no per-process batch line"
  # Rank 0 alone prints: the runtime summary, the model and each epoch's line once.
  expect_once "$out" "^minidl: device .*, 2 processes (MPI)" "^data: " "^Total params" \
    "^training: " "^epoch 1/2  train loss" "^epoch 2/2  train loss"
  [ -f "$w/fashion_mnist.safetensors" ] || fail "no model saved"
  [ -f "$(fashion_checkpoint "$w")" ] || fail "no checkpoint saved"
  expect_failure "--batch 15 cannot be shared by 2 processes" \
    timeout 60 $MPIRUN $np 2 "$FASHION_MNIST" --data "$FASHION_DATA" --out "$w/bad" --limit 96 \
    --epochs 1 --batch 15 --threads 1
  ;;

fashion_resume)
  w=$WORK/fashion_resume
  fashion_reference "$w"
  fashion_cut_and_resume "$w" cut 1 1
  grep -Eq "^resuming .*checkpoint.safetensors after epoch [1-4] \(step [2468]\)" "$w/cut.out" ||
    fail "no 'resuming ... after epoch' line"
  # One process and one thread in both runs: the same arithmetic, so the same weights, Adam state,
  # step and epoch (1e-6 would show any difference beyond rounding), and the same last epoch.
  fashion_same_as_uninterrupted "$w" cut 1e-6
  # A resume that cannot go on exactly is refused, naming the file (or the folder).
  args=$FASHION_ARGS
  expect_failure "^fashion_mnist: '.*/one' already holds a run \(checkpoint.safetensors\)" \
    "$FASHION_MNIST" $args --out "$w/one"
  expect_failure "^fashion_mnist: --resume: '.*/nowhere/checkpoint.safetensors' does not exist" \
    "$FASHION_MNIST" $args --resume --out "$w/nowhere"
  at_one="^fashion_mnist: .*/one/checkpoint.safetensors:"
  expect_failure "$at_one the run trains with --batch 16 .*not 8" \
    "$FASHION_MNIST" $FASHION_RUN --limit 32 --batch 8 --resume --out "$w/one"
  expect_failure "$at_one the run trains on 32 images, not 40" \
    "$FASHION_MNIST" $FASHION_RUN --limit 40 --batch 16 --resume --out "$w/one"
  mkdir -p "$w/cut_short" "$w/model_only"
  head -c 4096 "$(fashion_checkpoint "$w/one")" > "$(fashion_checkpoint "$w/cut_short")"
  expect_failure "^fashion_mnist: .*cut_short/checkpoint.safetensors" \
    "$FASHION_MNIST" $args --resume --out "$w/cut_short"
  cp "$w/one/fashion_mnist.safetensors" "$(fashion_checkpoint "$w/model_only")"
  not_ours="metadata has no 'fashion_mnist.batch' \(not a checkpoint written by fashion_mnist\)"
  expect_failure "^fashion_mnist: .*model_only/checkpoint.safetensors: $not_ours" \
    "$FASHION_MNIST" $args --resume --out "$w/model_only"
  ;;

fashion_resume_across_world_sizes)
  w=$WORK/fashion_worlds
  fashion_reference "$w"
  # 2 ranks stopped after a checkpoint (rank 1 killed), resumed by 1 process; and the reverse.
  fashion_cut_and_resume "$w" two_then_one 2 1
  fashion_cut_and_resume "$w" one_then_two 1 2
  # The dropout masks are drawn per global batch, so 2 ranks take the steps of 1 process; only
  # the order of the sums differs (about 1e-7 of the weights' norm over these 10 steps).
  fashion_same_as_uninterrupted "$w" two_then_one 1e-5
  fashion_same_as_uninterrupted "$w" one_then_two 1e-5
  ;;

rank0_prints)
  w=$WORK/prints
  rm -rf "$w"
  timeout 120 $MPIRUN $np 2 "$YOLO_V1" train $common --limit 16 --epochs 1 --out "$w" \
    > "$out" 2>&1 || { cat "$out"; fail "yolo_v1 train under mpirun failed"; }
  cat "$out"
  expect_once "$out" "^minidl: device" "^data: " "^model: " "^training: " "^epoch 1/1 " \
    "^run folder "
  ;;

hostfile)
  # docs/distributed.md's cluster launch with the one machine there is: the hostfile's syntax,
  # the mapping flag and the run it starts. (Several machines are not tested.)
  w=$WORK/hostfile
  rm -rf "$w"
  mkdir -p "$w"
  printf '# hosts\nlocalhost slots=2\n' > "$w/hosts"
  timeout 120 $MPIRUN $np 2 --hostfile "$w/hosts" --map-by ppr:2:node "$YOLO_V1" train $common \
    --limit 16 --epochs 1 --out "$w/run" > "$out" 2>&1 || {
    cat "$out"
    fail "yolo_v1 train launched with a hostfile failed"
  }
  cat "$out"
  expect_once "$out" "^epoch 1/1 " "^run folder "
  [ -f "$w/run/last.safetensors" ] || fail "no checkpoint in $w/run"
  ;;

equivalence)
  timeout 120 $MPIRUN $np 2 "$DIST_EQUIVALENCE"
  ;;

pieces)
  timeout 120 $MPIRUN $np 2 env MINIDL_ALLREDUCE_PIECE_BYTES=4096 "$DIST_EQUIVALENCE"
  expect_failure "disagree on MINIDL_ALLREDUCE_PIECE_BYTES: all-reduce pieces of 4096 bytes to 8192 bytes" \
    timeout 60 $MPIRUN $np 1 env MINIDL_ALLREDUCE_PIECE_BYTES=4096 "$DIST_EQUIVALENCE" \
    : $np 1 env MINIDL_ALLREDUCE_PIECE_BYTES=8192 "$DIST_EQUIVALENCE"
  expect_failure "MINIDL_ALLREDUCE_PIECE_BYTES='1MB' is not a number of bytes" \
    timeout 60 $MPIRUN $np 2 env MINIDL_ALLREDUCE_PIECE_BYTES=1MB "$DIST_EQUIVALENCE"
  # Only one rank's value is bad: the other is told so too (the check runs after the ranks
  # compare, or the good rank would wait in that collective).
  expect_failure "another rank's MINIDL_ALLREDUCE_PIECE_BYTES is not a number of bytes" \
    timeout 60 $MPIRUN $np 1 env MINIDL_ALLREDUCE_PIECE_BYTES=1MB "$DIST_EQUIVALENCE" \
    : $np 1 "$DIST_EQUIVALENCE"
  ;;

tcp)
  # Without shared memory ("self" reaches only the process itself), so every byte between the
  # ranks goes through TCP sockets, as between two machines; "lo" because Open MPI leaves the
  # loopback interface out by default. Open MPI reads these from the environment, under mpirun
  # and srun alike.
  export OMPI_MCA_pml=ob1 OMPI_MCA_btl=self,tcp OMPI_MCA_btl_tcp_if_include=lo
  sh "$0" equivalence
  sh "$0" killed_rank
  ;;

srun_without_plugin)
  [ "${LAUNCHER:-mpirun}" = slurm ] || fail "srun_without_plugin needs LAUNCHER=slurm"
  expect_failure "one of 2 tasks .*without an MPI plugin.*srun --mpi=pmix" \
    timeout 60 srun --mpi=none --overcommit -n 2 "$YOLO_V1" train $common --epochs 1 \
    --out "$WORK/without_plugin"
  ;;

*)
  fail "unknown case '$case_name'"
  ;;
esac
echo "PASS: $case_name"
