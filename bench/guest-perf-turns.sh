#!/bin/bash
# Guest half of bench/perf-ab.sh and bench/perf-shared.sh: usk_nvme_perf
# builds in /usk/bin taken in turn, 4 KiB random reads on one core, ROUNDS
# rounds at each queue depth; the tools go in the order given in even
# rounds and reversed in odd ones, so neither always runs on a warmer
# device. Each run prints "RESULT <qd> <tool> <IOPS>", its JSON total's iops.
#
#   guest-perf-turns.sh SECONDS ROUNDS "QUEUE_DEPTHS" TOOL...
HUGEMEM=256 /usk/scripts/setup.sh config >/dev/null || exit 1
seconds=$1 rounds=$2 depths=$3
shift 3
forward=("$@")
reverse=()
for ((t = ${#forward[@]} - 1; t >= 0; t--)); do
	reverse+=("${forward[t]}")
done
for qd in $depths; do
	for ((i = 0; i < rounds; i++)); do
		order=("${forward[@]}")
		((i % 2 == 0)) || order=("${reverse[@]}")
		for tool in "${order[@]}"; do
			out=$(/usk/bin/"$tool" -q "$qd" -o 4096 -w randread -t "$seconds" -c 0x1 --json) ||
				exit 1
			iops=$(printf '%s\n' "$out" | tr -d ' \n' |
				sed 's/.*"total":{[^}]*"iops":\([0-9.e+]*\).*/\1/')
			echo "RESULT $qd $tool $iops"
		done
	done
done
