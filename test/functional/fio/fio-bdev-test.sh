#!/bin/sh
# fio with the usk_bdev engine on the host: write then verify (crc32c) on
# malloc and uring bdevs, with several jobs and a randrw mix; a plain run
# on a null bdev, whose verify must fail (it keeps no data: proof that fio's
# verify reads through the engine); and one clear error line and a
# non-zero exit for a missing config, an unknown bdev, a job without
# thread=1 and a job asking for other reactors than the first.
set -u
engine="$top_builddir/app/fio/.libs/usk_fio_bdev.so"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
. "$top_srcdir/test/common/check.sh"

truncate -s 64M "$work/uring.img"
cat >"$work/bdevs.json" <<JSON
{"subsystems": [{"subsystem": "bdev", "config": [
 {"method": "bdev_malloc_create", "params": {"name": "Malloc0", "num_blocks": 16384, "block_size": 4096}},
 {"method": "bdev_malloc_create", "params": {"name": "Malloc1", "num_blocks": 65536, "block_size": 512}},
 {"method": "bdev_null_create", "params": {"name": "Null0", "num_blocks": 65536, "block_size": 512}},
 {"method": "bdev_uring_create", "params": {"name": "Uring0", "filename": "$work/uring.img"}}]}]}
JSON

# fio with the engine; $1 the expected exit (0 or "fail": any but 0), $2 the output file.
run_fio() {
	want=$1 out=$2
	shift 2
	fio --name=job --thread=1 --ioengine="$engine" --usk_json_conf="$work/bdevs.json" \
		--output-format=normal "$@" >"$out" 2>&1
	got=$?
	if [ "$want" = fail ] && [ "$got" != 0 ]; then return 0; fi
	[ "$got" = "$want" ] || { echo "  exit $got, wanted $want:"; sed 's/^/  | /' "$out"; return 1; }
}

# Every job of the run reports err=0 and moved data in both directions.
all_ok() { # output file, number of jobs
	[ "$(grep -c 'err= 0' "$1")" = "$2" ] && grep -q 'READ: bw=' "$1" && grep -q 'WRITE: bw=' "$1" ||
		{ sed 's/^/  | /' "$1"; return 1; }
}

check "randwrite then verify=crc32c on malloc (4 KiB blocks), iodepth 32" \
	run_fio 0 "$work/malloc.out" --filename=Malloc0 --rw=randwrite --bs=4k --iodepth=32 \
	--size=32M --verify=crc32c
check "  err=0, data written and read back" all_ok "$work/malloc.out" 1
check "two jobs, each on its own USK thread, verify md5 on malloc (512-byte blocks), 4k-64k" \
	run_fio 0 "$work/two.out" --filename=Malloc1 --rw=randwrite --bsrange=4k-64k --iodepth=8 \
	--size=8M --numjobs=2 --offset_increment=16M --verify=md5
check "  both jobs err=0" all_ok "$work/two.out" 2
check "randrw with verify on uring (a file), iodepth 16" \
	run_fio 0 "$work/uring.out" --filename=Uring0 --rw=randrw --bs=4k --iodepth=16 --size=16M \
	--verify=crc32c --verify_backlog=64
check "  err=0" all_ok "$work/uring.out" 1
check "trim then write on malloc" \
	run_fio 0 "$work/trim.out" --filename=Malloc0 --rw=trimwrite --bs=64k --iodepth=4 --size=8M
check "a 2 s randread run on null" \
	run_fio 0 "$work/null.out" --filename=Null0 --rw=randread --bs=4k --iodepth=64 \
	--runtime=2 --time_based
check "  read something, err=0" sh -c "grep -q 'err= 0' '$work/null.out' && grep -q 'READ: bw=' '$work/null.out'"
check "verify on null fails: the data read back is not the data written" \
	run_fio fail "$work/null-verify.out" --filename=Null0 --rw=write --bs=4k --size=1M --verify=crc32c
check "  fio says so" grep -q '^verify: bad' \
	"$work/null-verify.out"

# One line from the engine saying what is wrong, and fio exits non-zero.
one_error() { # output file, text the engine's line must have
	[ "$(grep -c '^usk_bdev: ' "$1")" = 1 ] && grep -q "^usk_bdev: .*$2" "$1" ||
		{ sed 's/^/  | /' "$1"; return 1; }
}
check "a missing config: exit non-zero" \
	run_fio fail "$work/e1.out" --usk_json_conf="$work/nothing.json" --filename=Malloc0 \
	--rw=read --size=1M
check "  one line naming the file" one_error "$work/e1.out" "nothing.json.*No such file"
check "no usk_json_conf: exit non-zero" \
	sh -c "fio --name=job --thread=1 --ioengine='$engine' --filename=Malloc0 --rw=read --size=1M \
		>'$work/e2.out' 2>&1; [ \$? != 0 ]"
check "  one line asking for it" one_error "$work/e2.out" "needs usk_json_conf=FILE"
check "an unknown bdev: exit non-zero" \
	run_fio fail "$work/e3.out" --filename=Nope0 --rw=read --size=1M
check "  one line naming it" one_error "$work/e3.out" "no bdev 'Nope0'"
check "a job without thread=1: exit non-zero" \
	sh -c "fio --name=job --ioengine='$engine' --usk_json_conf='$work/bdevs.json' \
		--filename=Malloc0 --rw=read --size=1M >'$work/e4.out' 2>&1; [ \$? != 0 ]"
check "  one line asking for thread=1" one_error "$work/e4.out" "needs thread=1"
both="--thread=1 --ioengine=$engine --usk_json_conf=$work/bdevs.json --filename=Malloc0 \
	--rw=read --size=1M"
check "two jobs naming the same cores two ways ([0] and 0x1): both run" \
	sh -c "fio --name=a $both --usk_cpumask=[0] --name=b $both --usk_cpumask=0x1 \
		>'$work/m1.out' 2>&1 && [ \$(grep -c 'err= 0' '$work/m1.out') = 2 ]"
check "a second job on other reactors (usk_cpumask): exit non-zero" \
	sh -c "fio --name=a $both --usk_cpumask=0x1 --name=b $both --usk_cpumask=0x3 \
		>'$work/m2.out' 2>&1; [ \$? != 0 ]"
check "  one line naming both masks" one_error "$work/m2.out" "usk_cpumask '0x1', not '0x3'"
check "a block size the bdev cannot do: exit non-zero" \
	run_fio fail "$work/e5.out" --filename=Malloc0 --rw=read --bs=512 --size=1M
check "  one line naming bs" one_error "$work/e5.out" "multiples of 4096"

echo "fio-bdev: $failures failure(s)"
[ "$failures" = 0 ]
