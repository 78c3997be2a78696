# shellcheck shell=bash
# Runs the guest: builds qemu's command line from the controller specs,
# relays the guest's QMP requests, enforces the time limit, and reports the
# test script's output and status.

qemu_pid=""
relay_pid=""

# Converts 64M / 1G / 4096 to bytes.
size_to_bytes() {
	local v=$1
	case "$v" in
	*[kK]) echo $((${v%?} * 1024)) ;;
	*[mM]) echo $((${v%?} * 1024 * 1024)) ;;
	*[gG]) echo $((${v%?} * 1024 * 1024 * 1024)) ;;
	*[0-9]) echo "$v" ;;
	*) die "bad size '$v' (use a number with K, M or G)" ;;
	esac
}

# Appends the qemu arguments of controller number $1 with spec $2 to qemu_args.
qemu_add_ctrl() {
	local n=$1 spec=$2 id=nv$1 serial=usk-$1 ctrl_opts="" nsidx=0 kv key val shared=no
	local err_ns="" err_sector="" err_once=off
	local -a ns_specs=()
	IFS=, read -r -a kvs <<<"$spec"
	for kv in "${kvs[@]}"; do
		key=${kv%%=*}
		val=${kv#*=}
		case "$key" in
		ns) ns_specs+=("$val") ;;
		mdts) ctrl_opts+=",mdts=$val" ;;
		qpairs) ctrl_opts+=",max_ioqpairs=$val" ;;
		cmb) ctrl_opts+=",cmb_size_mb=$val" ;;
		serial) serial=$val ;;
		id) id=$val ;;
		shared) shared=yes ;;
		err)
			IFS=: read -r err_ns err_sector err_once <<<"$val"
			[ "${err_once:-}" = once ] && err_once=on || err_once=off ;;
		*) die "--ctrl $spec: unknown key '$key'" ;;
		esac
	done
	[ ${#ns_specs[@]} -gt 0 ] || ns_specs=(64M)
	local bus=rp$n
	if [ "$shared" = yes ]; then
		# Behind one conventional PCI bridge, devices share an IOMMU group.
		bus=shared_bridge
		if [ -z "${shared_bridge_added:-}" ]; then
			qemu_args+=(-device "pcie-pci-bridge,id=shared_bridge,bus=pcie.0")
			shared_bridge_added=yes
		fi
	else
		qemu_args+=(-device "pcie-root-port,id=rp$n,chassis=$n,slot=$n,bus=pcie.0")
	fi
	qemu_args+=(-device "nvme-subsys,id=subsys$n,nqn=usk-subsys-$n"
		-device "nvme,id=$id,serial=$serial,bus=$bus,subsys=subsys$n$ctrl_opts")
	for ns in "${ns_specs[@]}"; do
		nsidx=$((nsidx + 1))
		local size lba=512 img=$workdir/c${n}n$nsidx.img drive ns_opts="" field
		local -a fields
		# SIZE[:LBA][:ms=N][:mset=0|1][:pi=0..3][:pil=0|1]: nvme-ns's metadata and PI.
		IFS=: read -r -a fields <<<"$ns"
		size=${fields[0]}
		for field in "${fields[@]:1}"; do
			case "$field" in
			ms=* | mset=* | pi=* | pil=*) ns_opts+=",$field" ;;
			*=*) die "--ctrl $spec: namespace option '$field' is not ms, mset, pi or pil" ;;
			*) lba=$field ;;
			esac
		done
		rm -f "$img" # a boot after a crashed one starts from blank disks too
		truncate -s "$(size_to_bytes "$size")" "$img"
		# discard=unmap: deallocated blocks become holes and read zeroes, as DLFEAT says.
		drive="file=$img,if=none,id=c${n}n$nsidx,format=raw,discard=unmap"
		if [ "$err_ns" = "$nsidx" ]; then
			# blkdebug under the raw format so the raw driver's reads reach it.
			printf '[inject-error]\nevent = "read_aio"\nerrno = "5"\nsector = "%s"\nonce = "%s"\n' \
				"$err_sector" "$err_once" >"$workdir/blkdebug$n.conf"
			drive="driver=raw,file.driver=blkdebug,file.config=$workdir/blkdebug$n.conf"
			drive+=",file.image.filename=$img,if=none,id=c${n}n$nsidx,discard=unmap"
		fi
		qemu_args+=(-drive "$drive"
			-device "nvme-ns,drive=c${n}n$nsidx,nsid=$nsidx,bus=$id,logical_block_size=$lba,physical_block_size=$lba$ns_opts")
	done
}

# Sends every "USK-VM-QMP <json>" line of the console to QEMU, in order.
qmp_relay() {
	local done_lines=0 total line
	while kill -0 "$qemu_pid" 2>/dev/null; do
		total=$(grep -c '^USK-VM-QMP ' "$console" 2>/dev/null || true)
		while [ "$done_lines" -lt "$total" ]; do
			done_lines=$((done_lines + 1))
			line=$(grep '^USK-VM-QMP ' "$console" | sed -n "${done_lines}p" | tr -d '\r')
			python3 "$lab/qmp.py" "$workdir/qmp.sock" "${line#USK-VM-QMP }" \
				>>"$workdir/qmp.log" 2>&1 || echo "vmlab: QMP command failed: ${line#USK-VM-QMP }" >&2
		done
		sleep 0.2
	done
}

vm_cleanup() {
	[ -z "$relay_pid" ] || kill "$relay_pid" 2>/dev/null || true
	[ -z "$qemu_pid" ] || kill -KILL "$qemu_pid" 2>/dev/null || true
	[ -z "$qemu_pid" ] || wait "$qemu_pid" 2>/dev/null || true
	qemu_pid=""
	relay_pid=""
}

# Boots the guest and exits with the test script's status. Returns, without
# exiting, only when the test could not run: 125 when QEMU itself crashed,
# 126 when the guest failed to boot (a panic or no progress before the test
# script started).
vm_run() {
	local n=0 spec start status=1 qemu_rc=0
	console=$workdir/console.log
	shared_bridge_added=""
	qemu_args=(-machine q35,kernel-irqchip=split -accel tcg -cpu max -smp "$smp" -m "$mem"
		-nographic -nic none -vga none -no-reboot -kernel "$kernel_image" -initrd "$workdir/initrd.cpio"
		-qmp "unix:$workdir/qmp.sock,server=on,wait=off")
	# no_timer_check: a TCG guest on a busy host ticks so slowly that the
	# kernel's boot-time timer check fails and it panics ("timer doesn't
	# work through Interrupt-remapped IO-APIC"); the timer is fine.
	# tsc=reliable: TCG's TSC follows the host's clock on every vCPU, but the
	# kernel's clocksource watchdog, run on a slow emulated guest, marks it
	# unstable and falls back to the HPET, whose every read is an emulated
	# MMIO read: fio, which reads the clock several times an I/O, then ran at
	# a third of usk_nvme_perf's speed (doc/fio.md, Figures).
	local append="console=ttyS0 quiet panic=-1 no_timer_check tsc=reliable"
	if [ "$iommu" = yes ]; then
		qemu_args+=(-append "$append intel_iommu=on" -device intel-iommu,intremap=on)
	else
		qemu_args+=(-append "$append")
	fi
	for spec in "${ctrls[@]}"; do
		n=$((n + 1))
		qemu_add_ctrl "$n" "$spec"
	done
	printf '%q ' qemu-system-x86_64 "${qemu_args[@]}" >"$workdir/qemu.cmd"
	start=$SECONDS
	qemu-system-x86_64 "${qemu_args[@]}" </dev/null >"$console" 2>&1 &
	qemu_pid=$!
	qmp_relay &
	relay_pid=$!
	while kill -0 "$qemu_pid" 2>/dev/null; do
		if [ $((SECONDS - start)) -ge "$timeout" ]; then
			vm_cleanup
			if ! vm_test_began; then
				echo "vmlab: the guest did not boot within ${timeout}s (console: $console)" >&2
				tail -n 20 "$console" >&2
				return 126
			fi
			vm_report
			echo "vmlab: timeout: the guest ran for ${timeout}s; killed it (console: $console)" >&2
			exit 124
		fi
		sleep 0.2
	done
	wait "$qemu_pid" || qemu_rc=$?
	qemu_pid=""
	vm_report
	status=$(tr -d '\r' <"$console" | sed -n 's/^USK-VM-EXIT \([0-9]*\)$/\1/p' | tail -n 1)
	if [ -z "$status" ] && [ "$qemu_rc" -gt 128 ]; then
		echo "vmlab: QEMU itself died of signal $((qemu_rc - 128)) before the test ended" \
			"(an emulator fault, not the guest's; console: $console)" >&2
		return 125
	fi
	if [ -z "$status" ]; then
		grep -q 'Kernel panic' "$console" &&
			echo "vmlab: the guest kernel panicked:" >&2 && grep -A5 'Kernel panic' "$console" >&2
		if ! vm_test_began; then
			echo "vmlab: the guest failed to boot: the test script never started" \
				"(console: $console)" >&2
			tail -n 20 "$console" >&2
			return 126
		fi
		echo "vmlab: the guest ended before the test script finished (console: $console)" >&2
		tail -n 20 "$console" >&2
		exit 1
	fi
	echo "vmlab: guest finished in $((SECONDS - start))s, test status $status" >&2
	exit "$status"
}

# Whether the guest got as far as starting the test script.
vm_test_began() {
	tr -d '\r' <"$console" | grep -q 'USK-VM-BEGIN$'
}

# Prints what the test script printed: the console between the markers.
vm_report() {
	tr -d '\r' <"$console" | sed -n '/USK-VM-BEGIN$/,/^USK-VM-EXIT /{/USK-VM-BEGIN$/d;/^USK-VM-EXIT /d;p}'
}
