#!/bin/bash
# Guest: usk_tgt with nvme bdevs made by RPC. Attach two controllers, get
# clear errors for bad params while the server keeps serving, save the
# config, restart from it with the same bdevs, and detach.
set -u
. /usk/tests/lib.sh

HUGEMEM=64 /usk/scripts/setup.sh config >/dev/null || fail "setup.sh config"
mapfile -t bdfs < <(nvme_bdfs)
sock=/tmp/usk.sock

rpc() {
	/usk/bin/rpc_call "$sock" "$@"
}

start_tgt() {
	/usk/bin/usk_tgt -r "$sock" "$@" >>/tmp/tgt.log 2>&1 &
	tgt=$!
	wait_for "[ -S $sock ] && rpc rpc_get_methods >/dev/null" 300 ||
		{ cat /tmp/tgt.log; fail "usk_tgt did not start"; }
}

stop_tgt() {
	rpc spdk_kill_instance '{"sig_name": "SIGTERM"}' >/dev/null
	wait $tgt || { cat /tmp/tgt.log; fail "usk_tgt exited $?"; }
}

# Expects the call to fail with a message that contains $1.
expect_error() {
	local want=$1 out
	shift
	out=$(rpc "$@") && fail "$* succeeded: $out"
	echo "$out" | grep -q "$want" || fail "$*: the error does not say '$want': $out"
}

bdev_names() {
	rpc bdev_get_bdevs | grep '"name"' | sed 's/.*"name": "\([^"]*\)".*/\1/' | sort | tr '\n' ' '
}

start_tgt
out=$(rpc bdev_nvme_attach_controller "{\"name\": \"Nvme0\", \"trtype\": \"PCIe\", \"traddr\": \"${bdfs[0]}\"}") ||
	fail "attach Nvme0: $out"
echo "$out" | grep -q '"Nvme0n1"' || fail "attach Nvme0 did not answer Nvme0n1: $out"
rpc bdev_nvme_attach_controller "{\"name\": \"Nvme1\", \"traddr\": \"${bdfs[1]}\"}" >/dev/null ||
	fail "attach Nvme1"

expect_error "field 'name'" bdev_nvme_attach_controller "{\"name\": \"Nvme0\", \"traddr\": \"${bdfs[1]}\"}"
expect_error "field 'traddr'" bdev_nvme_attach_controller '{"name": "Nvme9"}'
expect_error "field 'trtype'" bdev_nvme_attach_controller '{"name": "Nvme9", "trtype": "RDMA", "traddr": "1.2.3.4"}'
expect_error "field 'traddr'" bdev_nvme_attach_controller '{"name": "Nvme9", "traddr": "0000:09:00.0"}'
expect_error "field 'name'" bdev_nvme_detach_controller '{"name": "Nvme9"}'

before=$(bdev_names)
[ "$before" = "Nvme0n1 Nvme1n1 Nvme1n2 " ] || fail "bdevs before the restart: '$before'"
rpc save_config >/tmp/config.json || fail "save_config"
grep -q bdev_nvme_attach_controller /tmp/config.json || fail "save_config has no controller"
stop_tgt

start_tgt --json /tmp/config.json
after=$(bdev_names)
[ "$after" = "$before" ] || fail "after the restart: '$after', before: '$before'"
out=$(rpc bdev_nvme_detach_controller '{"name": "Nvme1"}') || fail "detach Nvme1: $out"
[ "$out" = true ] || fail "detach answered $out"
[ "$(bdev_names)" = "Nvme0n1 " ] || fail "after the detach: '$(bdev_names)'"
[ "$(driver_of "${bdfs[1]}")" = vfio-pci ] || fail "${bdfs[1]} left vfio-pci"
stop_tgt
grep -q "controller detached" /tmp/tgt.log || fail "no detach at shutdown"
echo "PASS: usk_tgt with nvme bdevs"
