#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The runs of bench/nvmf-tcp.sh (on the host) and bench/nvmf-tcp-vm.sh (in
# a guest of the VM lab), where it is started: NVMe/TCP on 127.0.0.1,
# 4 KiB random reads, each (target, initiator) pair at each queue depth,
# ROUNDS rounds, the order of the pairs turned by one in each round so
# drift on a shared machine falls on all alike.
#
# Targets: usk (usk_tgt, one reactor spinning on TGT_CORE, or sleeping when
# idle with TGT_IDLE=sleep; a malloc bdev)
# and kernel (nvmet, nvmet-tcp, a null_blk device). Initiators: usk
# (usk_nvme_perf on INIT_CORE), spdk (spdk_nvme_perf, when BIN has one) and
# kernel (nvme connect, fio io_uring, one job on INIT_CORE).
#
# Each run's output sits between "NVMF-RUN TGT INIT QD ROUND LOADAVG" and
# "NVMF-END TGT INIT QD ROUND STATUS", followed by "NVMF-CPU WALL HZ TOTAL
# TGT INIT": from 1 s after the initiator started to 1 s before its end,
# the wall time (s), the jiffies per second, and the jiffies (user+system)
# the whole machine, the target process and the initiator process spent
# (TGT is "-" for the kernel's target: it is no process). The host side
# (bench/nvmf_tcp_table.py) reads them. A run that fails is counted and the
# others go on; the status is 1 when any failed.
#
#   BIN=DIR bench/nvmf-tcp-runs.sh SECONDS ROUNDS "QDS" "PAIRS"
#   PAIRS: TGT:INIT words, e.g. "usk:usk usk:kernel kernel:usk kernel:kernel"
set -u
seconds=$1 rounds=$2 qds=$3 pairs=$4
bin=${BIN:?the directory of usk_tgt, usk_nvme_perf and rpc_call}
tgt_core=${TGT_CORE:-0}
init_core=${INIT_CORE:-1}
tgt_idle=--no-idle-sleep
[ "${TGT_IDLE:-spin}" = spin ] || tgt_idle=--idle-sleep
work=$(mktemp -d)
nqn=nqn.2016-06.io.spdk:cnode1
knqn=nqn.2026-12.io.usk:nvmet-null
spdk_hostnqn=nqn.2014-08.org.nvmexpress:uuid:00000000-0000-0000-0000-00000000005d
usk_port=4420 kernel_port=4421
cfg=/sys/kernel/config/nvmet
tgt_pid=
hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
[ "$seconds" -ge 4 ] || { echo "nvmf-tcp-runs: runs of at least 4 s (CPU is read from 1 s to 1 s before the end)"; exit 1; }

cleanup() {
	[ -z "$tgt_pid" ] || { kill "$tgt_pid" 2>/dev/null; wait "$tgt_pid" 2>/dev/null; }
	if [ -e "$cfg/ports/2/subsystems/$knqn" ]; then
		rm -f "$cfg/ports/2/subsystems/$knqn"
		rmdir "$cfg/ports/2" "$cfg/subsystems/$knqn/namespaces/1" "$cfg/subsystems/$knqn"
	fi
	rm -rf "$work"
}
trap cleanup EXIT

# Sets J to the user+system jiffies of process $1 (0 for "-"), or of the
# whole machine for "all"; empty when the process is gone. No fork: under
# load, one takes long enough to blur the window it measures.
jiffies() {
	local line f
	J=
	if [ "$1" = all ]; then
		read -r line </proc/stat
		read -r -a f <<<"$line"
		J=$((f[1] + f[2] + f[3] + f[6] + f[7] + f[8]))
	elif [ "$1" = - ]; then
		J=0
	elif read -r line 2>/dev/null <"/proc/$1/stat"; then
		# The command name (field 2) may hold spaces: count from its ")".
		read -r -a f <<<"${line##*) }"
		J=$((f[11] + f[12]))
	fi
}

# Sets W to the uptime in hundredths of a second.
uptime_cs() {
	local up
	read -r up _ </proc/uptime
	W=${up/./}
}

rpc() {
	"$bin/rpc_call" "$work/tgt.sock" "$@" >"$work/rpc.out" 2>&1 || { cat "$work/rpc.out"; return 1; }
}

# usk_tgt with one reactor on tgt_core, spinning (as SPDK's nvmf_tgt does)
# unless TGT_IDLE=sleep, exporting a 64 MiB malloc bdev of 4 KiB blocks.
start_usk_tgt() {
	rm -f "$work/tgt.sock"
	"$bin/usk_tgt" -m "[$tgt_core]" "$tgt_idle" -r "$work/tgt.sock" >"$work/tgt.log" 2>&1 &
	tgt_pid=$!
	local i
	for ((i = 0; i < 300; i++)); do
		"$bin/rpc_call" "$work/tgt.sock" framework_wait_init >/dev/null 2>&1 && break
		sleep 0.1
	done
	rpc bdev_malloc_create '{"name": "Malloc0", "num_blocks": 16384, "block_size": 4096}' &&
		rpc nvmf_create_transport '{"trtype": "TCP"}' &&
		rpc nvmf_create_subsystem "{\"nqn\": \"$nqn\", \"allow_any_host\": true, \"serial_number\": \"USK0001\"}" &&
		rpc nvmf_subsystem_add_ns "{\"nqn\": \"$nqn\", \"namespace\": {\"bdev_name\": \"Malloc0\"}}" &&
		rpc nvmf_subsystem_add_listener "{\"nqn\": \"$nqn\", \"listen_address\": {\"trtype\": \"TCP\",
			\"adrfam\": \"IPv4\", \"traddr\": \"127.0.0.1\", \"trsvcid\": \"$usk_port\"}}" ||
		{ cat "$work/tgt.log"; return 1; }
}

stop_usk_tgt() {
	"$bin/rpc_call" "$work/tgt.sock" spdk_kill_instance '{"sig_name": "SIGTERM"}' >/dev/null 2>&1
	wait "$tgt_pid"
	local rc=$?
	tgt_pid=
	return $rc
}

# nvmet-tcp on 127.0.0.1:kernel_port exporting null_blk's /dev/nullb0:
# no memory behind it (reads move no data into the page) and completions
# in the submitter's context (irqmode=0), the nearest the kernel has to a
# malloc bdev without a copy.
setup_nvmet() {
	modprobe null_blk nr_devices=1 gb=1 bs=4096 irqmode=0 queue_mode=2 &&
		modprobe nvmet && modprobe nvmet-tcp || return 1
	grep -q " /sys/kernel/config " /proc/mounts || mount -t configfs none /sys/kernel/config || return 1
	local i
	for ((i = 0; i < 50; i++)); do
		[ -b /dev/nullb0 ] && break
		sleep 0.1
	done
	mkdir "$cfg/subsystems/$knqn" &&
		echo 1 >"$cfg/subsystems/$knqn/attr_allow_any_host" &&
		mkdir "$cfg/subsystems/$knqn/namespaces/1" &&
		echo -n /dev/nullb0 >"$cfg/subsystems/$knqn/namespaces/1/device_path" &&
		echo 1 >"$cfg/subsystems/$knqn/namespaces/1/enable" &&
		mkdir "$cfg/ports/2" &&
		echo ipv4 >"$cfg/ports/2/addr_adrfam" &&
		echo tcp >"$cfg/ports/2/addr_trtype" &&
		echo 127.0.0.1 >"$cfg/ports/2/addr_traddr" &&
		echo "$kernel_port" >"$cfg/ports/2/addr_trsvcid" &&
		ln -s "$cfg/subsystems/$knqn" "$cfg/ports/2/subsystems/$knqn"
}

# The block device of the kernel host's namespace 1 of subsystem $1.
kernel_ns_dev() {
	local b
	for b in /sys/block/nvme*n1; do
		case ${b##*/} in *c*) continue ;; esac
		[ -e "$b" ] || continue
		grep -qx "$1" "$b/device/subsysnqn" 2>/dev/null ||
			grep -qx "$1" "$b"/device/*/subsysnqn 2>/dev/null || continue
		echo "/dev/${b##*/}"
		return 0
	done
	return 1
}

# Starts the initiator in the background (sets init_pid), its output in $work/init.out.
start_initiator() { # init port subnqn qd
	local trid="trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:$2 subnqn:$3" dev i
	: >"$work/init.out"
	: >"$work/init.err"
	case $1 in
	usk)
		"$bin/usk_nvme_perf" -r "$trid" -q "$4" -o 4096 -w randread -t "$seconds" \
			-c "[$init_core]" -L --json >"$work/init.out" 2>"$work/init.err" & ;;
	spdk)
		# spdk_nvme_perf sends an empty Host NQN unless told one, which usk_tgt
		# refuses (Connect Invalid Parameters) and SPDK's target takes.
		"$bin/spdk_nvme_perf" -r "$trid hostnqn:$spdk_hostnqn" -q "$4" -o 4096 -w randread -t "$seconds" \
			-c "0x$(printf %x $((1 << init_core)))" -L --no-huge -s 256 >"$work/init.out" 2>"$work/init.err" & ;;
	kernel)
		nvme connect -t tcp -a 127.0.0.1 -s "$2" -n "$3" >"$work/connect.out" 2>&1 ||
			{ cat "$work/connect.out"; return 1; }
		for ((i = 0; i < 100; i++)); do
			dev=$(kernel_ns_dev "$3") && break
			sleep 0.1
		done
		[ -n "$dev" ] || { echo "no block device for $3"; return 1; }
		fio --name=nvmf --filename="$dev" --ioengine=io_uring --direct=1 --rw=randread \
			--bs=4k --iodepth="$4" --numjobs=1 --thread --cpus_allowed="$init_core" \
			--time_based --runtime="$seconds" --lat_percentiles=1 \
			--output-format=json >"$work/init.out" 2>"$work/init.err" & ;;
	esac
	init_pid=$!
}

stop_initiator() { # init subnqn
	wait "$init_pid"
	local rc=$?
	if [ "$1" = kernel ]; then
		nvme disconnect -n "$2" >/dev/null 2>&1 || rc=1
	fi
	return $rc
}

# One sample into the array named $1: the wall clock, the jiffies of the
# machine, of the target process $2 ("-": none) and of the initiator $3.
sample() {
	local -n to=$1
	uptime_cs
	to=("$W")
	jiffies all
	to+=("$J")
	jiffies "$2"
	to+=("$J")
	jiffies "$3"
	to+=("$J")
}

run_pair() { # tgt init qd round
	local port=$usk_port subnqn=$nqn rc=0 p=- s0 s1
	echo "NVMF-RUN $1 $2 $3 $4 $(cut -d' ' -f1-3 /proc/loadavg)"
	if [ "$1" = usk ]; then
		start_usk_tgt || { echo "NVMF-END $1 $2 $3 $4 1"; return 1; }
		p=$tgt_pid
	else
		port=$kernel_port subnqn=$knqn
	fi
	start_initiator "$2" "$port" "$subnqn" "$3" || rc=1
	if [ $rc = 0 ]; then
		sleep 1
		sample s0 "$p" "$init_pid"
		sleep $((seconds - 2))
		sample s1 "$p" "$init_pid"
		stop_initiator "$2" "$subnqn" || rc=1
	fi
	cat "$work/init.out"
	[ $rc = 0 ] || cat "$work/init.err"
	if [ "$1" = usk ]; then
		stop_usk_tgt || rc=1
		[ $rc = 0 ] || cat "$work/tgt.log"
	fi
	echo "NVMF-END $1 $2 $3 $4 $rc"
	[ $rc = 0 ] || return 1
	if [ -z "${s1[3]}" ] || [ -z "${s1[2]}" ]; then
		echo "NVMF-CPU - $hz - - -"
	else
		echo "NVMF-CPU $(((s1[0] - s0[0]) / 100)).$(printf %02d $(((s1[0] - s0[0]) % 100))) $hz" \
			"$((s1[1] - s0[1])) $([ "$p" = - ] && echo - || echo $((s1[2] - s0[2]))) $((s1[3] - s0[3]))"
	fi
}

case " $pairs" in *" kernel:"*) setup_nvmet || { echo "nvmf-tcp-runs: cannot set up nvmet-tcp on null_blk"; exit 1; } ;; esac
case "$pairs" in *":kernel"*) modprobe nvme-tcp || { echo "nvmf-tcp-runs: no nvme-tcp module"; exit 1; } ;; esac
read -r -a list <<<"$pairs"
failed=0
n=${#list[@]}
for ((r = 0; r < rounds; r++)); do
	for qd in $qds; do
		for ((k = 0; k < n; k++)); do
			pair=${list[$(((k + r) % n))]}
			run_pair "${pair%%:*}" "${pair#*:}" "$qd" "$r" || failed=$((failed + 1))
		done
	done
done
echo "NVMF-DONE $failed"
[ "$failed" = 0 ]
