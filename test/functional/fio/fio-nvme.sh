#!/bin/bash
# Guest: fio with the usk_nvme engine on QEMU's NVMe SSD through vfio-pci,
# checked by the kernel's nvme driver. USK writes with verify=crc32c and
# fio verifies through USK; after setup.sh reset the kernel verifies that
# data (each block's header names its offset, so a block at the wrong LBA
# fails); the kernel writes a second region, which fio verifies through
# USK; a region nobody wrote fails verify (the check is not vacuous).
# Also: two jobs at once, trims and randrw with the engine's options, and one clear line
# and a non-zero exit for a device on the kernel driver, bad filenames, a
# missing namespace, a job without thread=1 and a second job asking for
# other controller options.
set -u
. /usk/tests/lib.sh

engine=/usk/lib/usk_fio_nvme.so
bdf=$(nvme_bdfs | head -n 1)
name="trtype=PCIe traddr=$(echo "$bdf" | tr : .) ns=1"
ctrl=$(basename /sys/bus/pci/devices/$bdf/nvme/nvme*)
dev=/dev/$(basename "$(ls -d /sys/class/nvme-subsystem/*/"$ctrl" | xargs dirname)"/nvme*n1)
# The same job through either driver: 16 MiB of random 4 KiB writes at $1.
job() { # offset, then more options
	local offset=$1
	shift
	fio --name=vjob --thread=1 --bs=4k --iodepth=16 --size=16M --offset="$offset" \
		--rw=randwrite --verify=crc32c "$@"
}
# The engine first: fio knows the engine's options only once it is loaded.
usk() { job "$1" --ioengine=$engine --filename="$name" "${@:2}"; }
kernel() { job "$1" --ioengine=io_uring --direct=1 --filename="$dev" "${@:2}"; }
# Exit 0, err=0, and data moved in the direction(s) given.
passed() { # output file, READ and/or WRITE
	local out=$1
	shift
	grep -q 'err= 0' "$out" || return 1
	for d in "$@"; do grep -q "$d: bw=" "$out" || return 1; done
}
# fio failed, with one line from the engine that has $2.
one_error() { # output file, text
	[ "$(grep -c '^usk_nvme: ' "$1")" = 1 ] && grep -q "^usk_nvme: .*$2" "$1" ||
		{ cat "$1"; return 1; }
}

[ -b "$dev" ] || fail "no $dev on the kernel driver at boot"
usk 0 >/tmp/e1 2>&1 && fail "fio ran on a device the kernel's nvme driver holds"
one_error /tmp/e1 "is on the nvme driver, not vfio-pci" || fail "device on the kernel driver: no clear line"

HUGEMEM=0 /usk/scripts/setup.sh config >/dev/null || fail "setup.sh config"
fio --name=bad --thread=1 --ioengine=$engine --filename="trtype=PCIe traddr=0000.zz.00.0" \
	--rw=read --size=1M >/tmp/e2 2>&1 && fail "a bad traddr was taken"
one_error /tmp/e2 "traddr '0000.zz.00.0' is not a PCI address" || fail "bad traddr: no clear line"
fio --name=bad --thread=1 --ioengine=$engine --filename="/dev/nvme0n1" --rw=read --size=1M \
	>/tmp/e3 2>&1 && fail "a device path was taken"
one_error /tmp/e3 "is not key=value" || fail "device path: no clear line"
fio --name=bad --thread=1 --ioengine=$engine --filename="${name% ns=1} ns=9" --rw=read \
	--size=1M >/tmp/e4 2>&1 && fail "namespace 9 was taken"
one_error /tmp/e4 "no active namespace 9" || fail "missing namespace: no clear line"
fio --name=bad --ioengine=$engine --filename="$name" --rw=read --size=1M >/tmp/e5 2>&1 &&
	fail "a job without thread=1 ran"
one_error /tmp/e5 "needs thread=1" || fail "no thread=1: no clear line"
echo "ok: errors"

usk 0 >/tmp/w1 2>&1 && passed /tmp/w1 WRITE READ || { cat /tmp/w1; fail "usk_nvme: randwrite + verify"; }
echo "ok: randwrite and verify=crc32c through usk_nvme"
usk 64M --rw=randrw --bsrange=4k-128k --iodepth=32 --verify_backlog=32 --enable_sgl=0 \
	--shadow_doorbells=0 --delay_doorbell=1 --io_queue_size=16 >/tmp/w2 2>&1 &&
	passed /tmp/w2 WRITE READ || { cat /tmp/w2; fail "usk_nvme: randrw, PRPs, MMIO doorbells, delayed"; }
echo "ok: randrw with verify, PRPs, MMIO doorbells rung once a batch, 16-entry queues"
usk 80M --numjobs=2 --offset_increment=8M --size=8M --iodepth=8 --verify=md5 >/tmp/w4 2>&1 &&
	[ "$(grep -c 'err= 0' /tmp/w4)" = 2 ] || { cat /tmp/w4; fail "usk_nvme: two jobs"; }
echo "ok: two jobs, a queue pair each, verify=md5"
# Each job is whole: an engine option is known only after its job's ioengine=.
two=(--thread=1 --ioengine=$engine --filename="$name" --rw=read --size=1M)
fio --name=a "${two[@]}" --enable_sgl=1 --name=b "${two[@]}" --enable_sgl=0 >/tmp/e6 2>&1 &&
	fail "a second job ran with enable_sgl its controller was not attached with"
one_error /tmp/e6 "already in use with another enable_sgl" || fail "other options: no clear line"
echo "ok: a job asking for other controller options is refused"
usk 64M --rw=trimwrite --bs=64k --iodepth=4 --verify=0 >/tmp/w3 2>&1 && passed /tmp/w3 WRITE ||
	{ cat /tmp/w3; fail "usk_nvme: trimwrite"; }
grep -q 'TRIM: bw=\|trim:' /tmp/w3 || { cat /tmp/w3; fail "usk_nvme: no trims reported"; }
echo "ok: trims"

/usk/scripts/setup.sh reset >/dev/null || fail "setup.sh reset"
wait_for "[ -b $dev ]" 100 || fail "$dev did not come back"
kernel 0 --verify_only=1 >/tmp/k1 2>&1 && passed /tmp/k1 READ ||
	{ cat /tmp/k1; fail "the kernel found USK's data wrong"; }
echo "ok: the kernel's nvme driver verifies what usk_nvme wrote"
kernel 96M --verify_only=1 >/tmp/k2 2>&1 && { cat /tmp/k2; fail "verify passed where nobody wrote"; }
grep -q '^verify: bad' /tmp/k2 || { cat /tmp/k2; fail "verify failed but not for bad data"; }
echo "ok: the kernel's verify fails where nobody wrote"
kernel 32M --do_verify=0 >/tmp/k3 2>&1 && passed /tmp/k3 WRITE || { cat /tmp/k3; fail "kernel write"; }

HUGEMEM=0 /usk/scripts/setup.sh config >/dev/null || fail "setup.sh config again"
usk 32M --verify_only=1 >/tmp/u1 2>&1 && passed /tmp/u1 READ ||
	{ cat /tmp/u1; fail "usk_nvme found the kernel's data wrong"; }
echo "ok: usk_nvme verifies what the kernel wrote"
usk 96M --verify_only=1 >/tmp/u2 2>&1 && { cat /tmp/u2; fail "usk_nvme: verify passed where nobody wrote"; }
grep -q '^verify: bad' /tmp/u2 || { cat /tmp/u2; fail "usk_nvme: verify failed but not for bad data"; }
echo "ok: usk_nvme's verify fails where nobody wrote"
echo "PASS"
