#!/usr/bin/env bash
# A real single-node SLURM cluster on loopback, for tests and CI (tests/test_slurm.py starts it).
#
#     tools/slurm-cluster.sh start    # install what is missing, configure, start, health-check
#     tools/slurm-cluster.sh status   # sinfo, and which of the daemons are running
#     tools/slurm-cluster.sh stop     # stop every daemon that start started (by PID file)
#
# Node `localhost` (127.0.0.1) with one fake GPU (gres.conf File=/dev/null) and two partitions:
# `cpu` (the default) and `gpu`. Accounting runs on slurmdbd + MariaDB so that `sacct` works:
# snakemake-executor-plugin-slurm asks sacct for job states, and tests ask it where jobs ran.
#
# Everything it starts keeps its PID file, log and spool under one folder, $CISFLOW_SLURM_DIR
# (default /var/tmp/cisflow-slurm). Config files go where the SLURM clients look for them:
# /etc/slurm/{slurm,slurmdbd,gres}.conf, written only when absent or written by this script (a real
# cluster's configuration is never touched), and removed by stop. No systemd is needed: each daemon
# is started directly.
#
# The node is described from `slurmd -C`, but never smaller than CISFLOW_SLURM_MIN_CPUS (8) CPUs and
# CISFLOW_SLURM_MIN_MEM_MB (131072) MB: profiles/slurm asks, as a real cluster's profile does, for up
# to 4 CPUs and 32 GB per GPU job (96 GB at the third attempt), which sbatch would reject on a small
# CI machine. Nothing is enforced (TaskPlugin=task/none): jobs simply share the real cores and memory.
#
# Needs root (or password-less sudo) and apt-get, for the packages slurm-wlm, slurmdbd, munge and
# mariadb-server (Debian 12 / Ubuntu).
set -euo pipefail

STATE=${CISFLOW_SLURM_DIR:-/var/tmp/cisflow-slurm}
MIN_CPUS=${CISFLOW_SLURM_MIN_CPUS:-8}
MIN_MEM_MB=${CISFLOW_SLURM_MIN_MEM_MB:-131072}
DB_PORT=${CISFLOW_SLURM_DB_PORT:-3307}          # MariaDB on 127.0.0.1, away from a system one on 3306
START_TIMEOUT=${CISFLOW_SLURM_START_TIMEOUT:-60}  # seconds for each daemon, and for the health job
CONF_DIR=/etc/slurm
MARK="# Written by cisflow tools/slurm-cluster.sh: a single-node test cluster on loopback."
PACKAGES=(slurm-wlm slurmdbd munge mariadb-server)
DAEMONS=(slurmd slurmctld slurmdbd mariadb munged)  # in stopping order
LOG=$STATE/log
SELF=$(basename "$0")

say() { echo "$SELF: $*"; }
STARTING=""
die() {
    local f
    echo "$SELF: ERROR: $*" >&2
    if [ -d "$LOG" ]; then
        echo "$SELF: logs are in $LOG; those written by this start:" >&2
        for f in "$LOG"/*.log; do
            [ -s "$f" ] || continue
            [ -z "$STARTING" ] || [ "$f" -nt "$STATE/run/start-marker" ] || continue
            echo "---- last lines of $f" >&2
            tail -n 15 "$f" >&2
        done
    fi
    if [ -n "$STARTING" ]; then  # a failed start leaves no daemon behind
        STARTING=""
        cmd_stop quiet >&2
    fi
    exit 1
}

usage() {
    echo "usage: $SELF start|stop|status" >&2
    exit 2
}

need_root() {
    [ "$(id -u)" = 0 ] && return 0
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        exec sudo -n env CISFLOW_SLURM_DIR="$STATE" CISFLOW_SLURM_MIN_CPUS="$MIN_CPUS" \
            CISFLOW_SLURM_MIN_MEM_MB="$MIN_MEM_MB" CISFLOW_SLURM_DB_PORT="$DB_PORT" \
            CISFLOW_SLURM_START_TIMEOUT="$START_TIMEOUT" "$0" "$@"
    fi
    echo "$SELF: must run as root (or as a user with password-less sudo): it installs packages," \
        "writes /etc/slurm and starts the SLURM daemons." >&2
    exit 1
}

# --- PID files --------------------------------------------------------------------------------
pidfile() { echo "$STATE/run/$1.pid"; }

running() {  # running NAME: the daemon NAME that we started is alive (and its PID not reused since)
    local file pid comm=$1
    file=$(pidfile "$1")
    [ "$1" = mariadb ] && comm=mariadbd
    pid=$(cat "$file" 2>/dev/null) || return 1
    [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$comm" ]
}

stop_daemon() {
    local name=$1 file pid i
    file=$(pidfile "$name")
    if running "$name"; then
        pid=$(cat "$file")
        kill -TERM "$pid" 2>/dev/null || true
        for i in $(seq 1 100); do  # up to 20 s
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.2
        done
        if kill -0 "$pid" 2>/dev/null; then
            say "$name (pid $pid) did not stop on SIGTERM; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
        say "stopped $name (pid $pid)"
    fi
    rm -f "$file"
}

wait_for() {  # wait_for WHAT COMMAND...: retry COMMAND for START_TIMEOUT seconds
    local what=$1 deadline
    shift
    deadline=$((SECONDS + START_TIMEOUT))
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.5
    done
}

# --- installing -------------------------------------------------------------------------------
install_packages() {
    local missing=() pkg added_policy=""
    for pkg in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    command -v apt-get >/dev/null 2>&1 || die "missing packages ${missing[*]} and no apt-get to install them"
    say "installing ${missing[*]} (apt-get --no-install-recommends)"
    # Packages must not start their services: this script starts (and stops) its own daemons.
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        added_policy=1
    fi
    local apt=(apt-get -y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 install "${missing[@]}")
    local ok=1
    if ! DEBIAN_FRONTEND=noninteractive "${apt[@]}" >"$LOG/apt.log" 2>&1; then
        DEBIAN_FRONTEND=noninteractive apt-get -qq -o DPkg::Lock::Timeout=300 update >>"$LOG/apt.log" 2>&1 || true
        DEBIAN_FRONTEND=noninteractive "${apt[@]}" >>"$LOG/apt.log" 2>&1 || ok=0
    fi
    [ -n "$added_policy" ] && rm -f /usr/sbin/policy-rc.d
    [ $ok = 1 ] || die "apt-get install ${missing[*]} failed (see $LOG/apt.log)"
}

# --- configuration ----------------------------------------------------------------------------
ours_or_absent() {  # a config file we may (re)write
    [ ! -e "$1" ] || head -n 1 "$1" | grep -qxF "$MARK"
}

write_config() {
    local f
    for f in slurm.conf slurmdbd.conf gres.conf; do
        ours_or_absent "$CONF_DIR/$f" || die "$CONF_DIR/$f exists and was not written by this script:" \
            "this machine has its own SLURM configuration, which $SELF will not overwrite"
    done
    mkdir -p "$CONF_DIR"

    # This machine, from slurmd -C; never smaller than the floor (see the header).
    local hw cpus mem
    hw=$(slurmd -C 2>/dev/null | head -n 1) || true
    cpus=$(sed -n 's/.*[[:space:]]CPUs=\([0-9]*\).*/\1/p' <<<"$hw")
    mem=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$hw")
    [ -n "$cpus" ] && [ -n "$mem" ] || die "could not read CPUs and RealMemory from 'slurmd -C' ($hw)"
    mem=$((mem > 1024 ? mem - 512 : mem))
    [ "$cpus" -ge "$MIN_CPUS" ] || cpus=$MIN_CPUS
    [ "$mem" -ge "$MIN_MEM_MB" ] || mem=$MIN_MEM_MB

    cat >"$CONF_DIR/slurm.conf" <<EOF
$MARK
# State, logs and PID files: $STATE
ClusterName=ci
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=6817
SlurmdPort=6818
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
GresTypes=gpu
ReturnToService=2
# The node as described here, whatever the hardware: a test node may be larger than its machine.
SlurmdParameters=config_overrides
# Finished jobs stay visible to squeue/scontrol for an hour (sacct has them for good).
MinJobAge=3600
SchedulerParameters=sched_interval=2
StateSaveLocation=$STATE/spool/slurmctld
SlurmdSpoolDir=$STATE/spool/slurmd
SlurmctldPidFile=$(pidfile slurmctld)
SlurmdPidFile=$(pidfile slurmd)
SlurmctldLogFile=$LOG/slurmctld.log
SlurmdLogFile=$LOG/slurmd.log
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort=6819
AccountingStorageTRES=gres/gpu
AccountingStoreFlags=job_comment
JobAcctGatherType=jobacct_gather/linux
JobCompType=jobcomp/none
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem Gres=gpu:1 State=UNKNOWN
PartitionName=cpu Nodes=localhost Default=YES MaxTime=INFINITE State=UP
PartitionName=gpu Nodes=localhost MaxTime=INFINITE State=UP
EOF

    # One fake GPU: without File= the node registers 0 GPUs and is drained.
    cat >"$CONF_DIR/gres.conf" <<EOF
$MARK
AutoDetect=off
NodeName=localhost Name=gpu File=/dev/null Count=1
EOF

    (
        umask 077
        cat >"$CONF_DIR/slurmdbd.conf" <<EOF
$MARK
AuthType=auth/munge
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=6819
SlurmUser=root
PidFile=$(pidfile slurmdbd)
LogFile=$LOG/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DB_PORT
StorageUser=slurm
StoragePass=$(cat "$STATE/db-password")
StorageLoc=slurm_acct_db
EOF
    )
    chmod 600 "$CONF_DIR/slurmdbd.conf"
    say "node localhost: CPUs=$cpus RealMemory=$mem, 1 fake GPU; partitions cpu (default) and gpu"
}

# --- the daemons ------------------------------------------------------------------------------
start_munged() {
    if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
        running munged || say "munged already running (not started by $SELF): using it"
        return 0
    fi
    install -d -o munge -g munge -m 0755 /run/munge
    install -d -o munge -g munge -m 0700 /etc/munge /var/lib/munge /var/log/munge
    if [ ! -s /etc/munge/munge.key ]; then
        dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
    fi
    chown munge:munge /etc/munge/munge.key
    chmod 400 /etc/munge/munge.key
    # munged runs as the munge user, so its PID file and log live in a folder that user owns.
    install -d -o munge -g munge -m 0755 "$STATE/munge"
    rm -f "$STATE/munge/munged.pid"
    runuser -u munge -- munged --force --pid-file="$STATE/munge/munged.pid" \
        --log-file="$STATE/munge/munged.log" >>"$LOG/munged.log" 2>&1 ||
        die "munged did not start"
    ln -sf "$STATE/munge/munged.pid" "$(pidfile munged)"
    ln -sf "$STATE/munge/munged.log" "$LOG/munged-daemon.log"
    wait_for munged sh -c 'munge -n | unmunge' || die "munged started but 'munge -n | unmunge' fails"
}

start_mariadb() {
    local data=$STATE/mysql sock=$STATE/run/mysqld.sock
    if [ ! -d "$data/mysql" ]; then
        rm -rf "$data"
        install -d -o mysql -g mysql -m 0750 "$data"
        mariadb-install-db --no-defaults --user=mysql --datadir="$data" --skip-test-db \
            --auth-root-authentication-method=socket >"$LOG/mariadb-install.log" 2>&1 ||
            die "mariadb-install-db failed (see $LOG/mariadb-install.log)"
    fi
    if ! running mariadb; then
        chown mysql:mysql "$STATE/run"  # the socket and PID file
        touch "$LOG/mariadb.log" && chown mysql:mysql "$LOG/mariadb.log"
        setsid mariadbd --no-defaults --user=mysql --datadir="$data" --socket="$sock" \
            --pid-file="$(pidfile mariadb)" --bind-address=127.0.0.1 --port="$DB_PORT" \
            --skip-name-resolve --log-error="$LOG/mariadb.log" </dev/null >/dev/null 2>&1 &
        wait_for mariadb mariadb-admin --no-defaults --socket="$sock" -uroot ping ||
            die "MariaDB did not come up on 127.0.0.1:$DB_PORT within ${START_TIMEOUT}s"
        wait_for mariadb test -s "$(pidfile mariadb)" || die "MariaDB wrote no PID file"
        chmod 644 "$(pidfile mariadb)"  # for status, as any user
    fi
    mariadb --no-defaults --socket="$sock" -uroot >>"$LOG/mariadb-setup.log" 2>&1 <<EOF ||
CREATE DATABASE IF NOT EXISTS slurm_acct_db;
CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1' IDENTIFIED BY '$(cat "$STATE/db-password")';
ALTER USER 'slurm'@'127.0.0.1' IDENTIFIED BY '$(cat "$STATE/db-password")';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';
EOF
        die "could not create the accounting database (see $LOG/mariadb-setup.log)"
}

start_slurmdbd() {
    running slurmdbd && return 0
    slurmdbd >>"$LOG/slurmdbd-stderr.log" 2>&1 || die "slurmdbd did not start"
    wait_for slurmdbd sacctmgr -n list cluster || die "slurmdbd did not answer within ${START_TIMEOUT}s"
    if ! sacctmgr -n -P list cluster format=cluster | grep -qx ci; then
        sacctmgr -i add cluster ci >>"$LOG/slurmdbd-stderr.log" 2>&1 || die "sacctmgr add cluster ci failed"
    fi
}

start_slurmctld() {
    running slurmctld && return 0
    # -c: start clean, so that no job and no drain from an earlier run survives.
    slurmctld -c >>"$LOG/slurmctld-stderr.log" 2>&1 || die "slurmctld did not start"
    wait_for slurmctld scontrol ping || die "slurmctld did not answer 'scontrol ping' within ${START_TIMEOUT}s"
}

start_slurmd() {
    running slurmd && return 0
    slurmd -N localhost >>"$LOG/slurmd-stderr.log" 2>&1 || die "slurmd did not start"
}

node_idle() { sinfo -h -n localhost -o %t | grep -qx idle; }

health_check() {
    local out
    wait_for "node" node_idle ||
        die "node localhost is not idle after ${START_TIMEOUT}s: $(sinfo -N -h -o '%N %P %t %E' 2>&1 | tr '\n' ';')"
    out=$(timeout "$START_TIMEOUT" sbatch --wait -p gpu --gpus=1 -o /dev/null -J cisflow-health --wrap true 2>&1) ||
        die "the health job (sbatch --wait -p gpu --gpus=1 --wrap true) failed: $out"
}

all_running() {
    local d
    for d in "${DAEMONS[@]}"; do
        [ "$d" = munged ] && { munge -n 2>/dev/null | unmunge >/dev/null 2>&1 || return 1; continue; }
        running "$d" || return 1
    done
}

cmd_start() {
    need_root start
    if all_running && node_idle_or_busy; then
        say "already running (state and logs in $STATE)"
        return 0
    fi
    local t0=$SECONDS
    cmd_stop quiet  # whatever is left of an earlier, partial start
    mkdir -p "$STATE/run" "$STATE/spool/slurmctld" "$STATE/spool/slurmd" "$LOG"
    chmod 755 "$STATE"
    touch "$STATE/run/start-marker"
    STARTING=1
    install_packages
    [ -s "$STATE/db-password" ] || (umask 077 && head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$STATE/db-password")
    write_config
    start_munged
    start_mariadb
    start_slurmdbd
    start_slurmctld
    start_slurmd
    health_check
    STARTING=""
    say "started in $((SECONDS - t0)) s (state and logs in $STATE)"
    sinfo
}

node_idle_or_busy() { sinfo -h -n localhost -o %t 2>/dev/null | grep -qE '^(idle|mix|alloc)$'; }

cancel_jobs() {  # no job outlives the cluster: cancel them all while slurmctld still answers
    local jobs i
    running slurmctld && scontrol ping >/dev/null 2>&1 || return 0
    jobs=$(squeue -h -t PD,R,CG,S -o %A 2>/dev/null | tr '\n' ' ')
    [ -n "${jobs// /}" ] || return 0
    say "cancelling jobs $jobs"
    # shellcheck disable=SC2086
    scancel $jobs 2>/dev/null || true
    for i in $(seq 1 50); do  # up to 10 s for their processes to end
        [ -z "$(squeue -h -o %A 2>/dev/null | tr -d '[:space:]')" ] && break
        sleep 0.2
    done
}

cmd_stop() {
    need_root stop
    local d f
    cancel_jobs
    for d in "${DAEMONS[@]}"; do
        stop_daemon "$d"
    done
    # Our config files go with the daemons (start writes them again): a slurm.conf naming a
    # controller that is gone makes every SLURM client wait for it, and snakemake runs one at each
    # start, local runs too (its SLURM plugin asks `scontrol show config`): 10 s a start.
    for f in slurm.conf slurmdbd.conf gres.conf; do
        if [ -e "$CONF_DIR/$f" ] && ours_or_absent "$CONF_DIR/$f"; then
            rm -f "$CONF_DIR/$f"
        fi
    done
    [ "${1:-}" = quiet ] || say "stopped (logs kept in $LOG)"
}

cmd_status() {
    local d state
    for d in "${DAEMONS[@]}"; do
        if running "$d"; then state="running (pid $(cat "$(pidfile "$d")"))"; else state="not running"; fi
        printf '%-10s %s\n' "$d" "$state"
    done
    if ! command -v sinfo >/dev/null 2>&1; then
        echo "sinfo: not installed"
        return 3
    fi
    sinfo || return 3
    all_running || return 3  # exit 0: the whole cluster is up
}

[ $# -eq 1 ] || usage
case $1 in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    *) usage ;;
esac
