#!/bin/sh
# Starts a Slurm cluster of this one machine, so that the dist.slurm.* ctest entries run (they
# report themselves skipped when no Slurm controller answers). For a test machine or container,
# as root; Debian 12:
#   apt-get install -y slurm-wlm munge
#   sh tests/dist/slurm_one_machine.sh
# It writes /etc/slurm/slurm.conf (one node, this host, all its cores; srun's MPI plugin left to
# the command line) unless one is there already, and starts munged, slurmctld and slurmd.
set -eu
conf=/etc/slurm/slurm.conf
host=$(hostname -s)
cpus=$(nproc)
for program in munged slurmctld slurmd scontrol; do
  command -v "$program" > /dev/null || {
    echo "$program not found: apt-get install -y slurm-wlm munge" >&2
    exit 1
  }
done
if [ -f "$conf" ]; then
  echo "$conf exists; starting the daemons with it"
else
  mkdir -p /etc/slurm
  cat > "$conf.tmp" << EOF
ClusterName=minidl
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
EOF
  mv "$conf.tmp" "$conf"
  echo "wrote $conf (node $host, $cpus CPUs)"
fi
mkdir -p /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge
chown munge:munge /run/munge
# munged is up when it hands out a credential; a socket left by a munged that is gone (a restarted
# machine, a killed daemon) does not count, so --force replaces it
restart_slurmd=no
if ! munge -n > /dev/null 2>&1; then
  su -s /bin/sh munge -c "/usr/sbin/munged --force"
  restart_slurmd=yes # a slurmd that ran without munge registers again when restarted
fi
pgrep -x slurmctld > /dev/null || slurmctld
# a node that does not respond ("idle*", "down*") gets a fresh slurmd too
sinfo -h -o %T 2> /dev/null | grep -q '[*]' && restart_slurmd=yes
if [ $restart_slurmd = yes ] && pgrep -x slurmd > /dev/null; then
  pkill -x slurmd
  while pgrep -x slurmd > /dev/null; do sleep 0.2; done
fi
pgrep -x slurmd > /dev/null || slurmd
i=0
until scontrol ping 2> /dev/null | grep -q UP && sinfo -h -o %T | grep -qx idle; do
  i=$((i + 1))
  [ $i -lt 30 ] || {
    echo "Slurm did not come up: see /var/log/slurm/" >&2
    exit 1
  }
  sleep 1
done
sinfo
