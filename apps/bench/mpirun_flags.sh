# Sourced by dist_bench.sh and dist_rounds.sh: sets $mpirun to the launcher and its flags.
# Open MPI refuses to run as root without --allow-run-as-root; --oversubscribe lets 2 ranks share
# fewer cores than it counts; --bind-to none leaves the scheduler free to place the threads.
mpirun="mpirun --bind-to none"
mpirun --version 2>/dev/null | grep -q "Open MPI\|OpenRTE" && mpirun="$mpirun --oversubscribe"
[ "$(id -u)" = 0 ] && mpirun="$mpirun --allow-run-as-root"
