#!/bin/bash
# Guest: usk_nvme writes data and metadata to QEMU's NVMe namespaces with
# metadata and reads both back, separate (MPTR) and extended (data +
# metadata in one buffer), with PI inserted by the controller (PRACT) and
# checked (PRCHK); refuses a format it does not serve; formats and does
# I/O on the new format. No DMA reaches an unmapped address (the guest's
# IOMMU would log it).
set -u
. /usk/tests/lib.sh

bdf=$(nvme_bdfs | head -n 1)
dmar_faults() { dmesg | grep -c "DMAR:.*fault addr"; }
faults=$(dmar_faults)
HUGEMEM=0 /usk/scripts/setup.sh config >/dev/null || fail "setup.sh config"

# Namespace 1: 4096-byte blocks + 8 bytes of separate metadata.
out=$(usk_nvme id-ns $bdf -n 1) || fail "id-ns 1"
echo "$out" | grep -q "^ms      : 8$" && echo "$out" | grep -q "^lbads   : 12 (4096 bytes)$" ||
	fail "id-ns 1: $out"
head -c $((8 * 4096)) /dev/urandom >/tmp/d1
head -c $((8 * 8)) /dev/urandom >/tmp/m1
usk_nvme write $bdf -n 1 -s 10 -c 7 -d /tmp/d1 -M /tmp/m1 | grep -q "write: Success" ||
	fail "write with separate metadata"
usk_nvme read $bdf -n 1 -s 10 -c 7 -d /tmp/o1 -M /tmp/om1 | grep -q "read: Success" ||
	fail "read with separate metadata"
cmp /tmp/d1 /tmp/o1 || fail "separate metadata namespace: data differs"
cmp /tmp/m1 /tmp/om1 || fail "separate metadata namespace: metadata differs"
usk_nvme read $bdf -n 1 -s 10 -c 7 -d /tmp/o1 >/dev/null 2>&1
[ $? -eq 2 ] || fail "a read without --metadata on separate metadata did not exit 2"

# Namespace 2: 512 + 8 bytes, extended, PI type 1 (last 8 bytes). Without
# PRINFO the host's bytes are stored as they are, PI included.
head -c $((8 * 520)) /dev/urandom >/tmp/d2
usk_nvme write $bdf -n 2 -s 20 -c 7 -d /tmp/d2 | grep -q "write: Success" || fail "extended write"
usk_nvme read $bdf -n 2 -s 20 -c 7 -d /tmp/o2 | grep -q "read: Success" || fail "extended read"
cmp /tmp/d2 /tmp/o2 || fail "extended namespace: data + metadata differ"
# PRACT: the controller inserts the PI (the host moves 512 bytes a block),
# whose reference tag is the LBA; PRCHK guard + reference tag pass on read.
head -c $((8 * 512)) /dev/urandom >/tmp/d3
usk_nvme write $bdf -n 2 -s 30 -c 7 -d /tmp/d3 -p 8 | grep -q "write: Success" || fail "PRACT write"
usk_nvme read $bdf -n 2 -s 30 -c 7 -d /tmp/o3 -p 13 | grep -q "read: Success" ||
	fail "PRACT read with guard and reference tag checks"
cmp /tmp/d3 /tmp/o3 || fail "PRACT: data differs"
usk_nvme read $bdf -n 2 -s 30 -c 7 -d /tmp/o4 | grep -q "read: Success" || fail "read of the PI"
for i in 0 7; do
	ref=$(od -An -tx1 -j $((i * 520 + 516)) -N 4 /tmp/o4 | tr -d ' \n')
	[ "$ref" = "$(printf %08x $((30 + i)))" ] || fail "block $((30 + i)): reference tag $ref"
done
cmp -n 512 /tmp/d3 /tmp/o4 || fail "the extended read of block 30 differs from its data"

# Namespace 3: 8 KiB blocks: listed, not served, I/O refused.
usk_nvme list | grep -q "ns 3: .*not served: LBA format" || fail "list does not say ns 3 is not served"
usk_nvme read $bdf -n 3 -s 0 -c 0 -d /tmp/o5 2>/tmp/err5
[ $? -eq 2 ] && grep -q "does not serve: LBA format .*(LBADS 13, MS 0)" /tmp/err5 ||
	fail "read on 8 KiB blocks: $(cat /tmp/err5)"

# usk_nvme_perf's buffers hold data only: a namespace with metadata is refused.
/usk/bin/usk_nvme_perf -q 1 -o 4096 -w read -t 1 -r "trtype:PCIe traddr:$bdf" -n 2 >/tmp/perf 2>&1 &&
	fail "usk_nvme_perf ran on a namespace with metadata"
grep -q "namespace 2 is refused: its format has metadata" /tmp/perf || fail "usk_nvme_perf: $(cat /tmp/perf)"

# format: namespace 1 to 512 + 8 extended (QEMU's format 1), then 4096 + 8
# separate with PI type 1 (format 5), I/O after each.
usk_nvme format $bdf -n 1 -l 1 -m 1 -f | grep -q "^block size: 512 bytes (LBA format 1, 8 bytes of metadata, extended" ||
	fail "format -l 1 -m 1"
head -c $((4 * 520)) /dev/urandom >/tmp/d6
usk_nvme write $bdf -n 1 -s 0 -c 3 -d /tmp/d6 >/dev/null || fail "write after format -l 1 -m 1"
usk_nvme read $bdf -n 1 -s 0 -c 3 -d /tmp/o6 >/dev/null || fail "read after format -l 1 -m 1"
cmp /tmp/d6 /tmp/o6 || fail "format -l 1 -m 1: data + metadata differ"
usk_nvme format $bdf -n 1 -l 5 -i 1 -f | grep -q "^block size: 4096 bytes (LBA format 5, 8 bytes of metadata, PI type 1" ||
	fail "format -l 5 -i 1"
head -c $((2 * 4096)) /dev/urandom >/tmp/d7
usk_nvme write $bdf -n 1 -s 5 -c 1 -d /tmp/d7 -p 8 >/dev/null || fail "PRACT write after format -l 5"
usk_nvme read $bdf -n 1 -s 5 -c 1 -d /tmp/o7 -p 15 >/dev/null || fail "checked read after format -l 5"
cmp /tmp/d7 /tmp/o7 || fail "format -l 5 -i 1: data differs"
usk_nvme read $bdf -n 1 -s 5 -c 1 -d /tmp/o7 -M /tmp/om7 >/dev/null || fail "read of the PI"
[ "$(od -An -tx1 -j 12 -N 4 /tmp/om7 | tr -d ' \n')" = 00000006 ] || fail "block 6's reference tag"

[ "$(dmar_faults)" = "$faults" ] || fail "the IOMMU saw DMA to unmapped addresses: $(dmesg | grep DMAR)"
echo "PASS: metadata separate and extended, PI by PRACT, unserved format refused, format then I/O"
