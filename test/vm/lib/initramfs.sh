# shellcheck shell=bash
# The guest's initramfs: busybox, bash, the kernel modules the lab needs,
# the project's scripts and the files given with --add, each with the
# shared libraries ldd lists, and the test script.

# Modules loaded at boot; modprobe pulls in their dependencies.
initramfs_modules="nvme vfio-pci vfio_iommu_type1 ext4 crc32c_generic"

# Copies one file to the same path under $root, following symlinks.
initramfs_copy() {
	local src=$1 dest=$2
	mkdir -p "$root$(dirname "$dest")"
	cp -L "$src" "$root$dest"
}

# Copies the shared libraries and loader an ELF file needs.
initramfs_copy_libs() {
	local lib
	# "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" and the loader line.
	for lib in $(ldd "$1" 2>/dev/null | awk '/=> \// { print $3 } /^\t\/[^ ]+ \(/ { print $1 }'); do
		[ -e "$root$lib" ] || initramfs_copy "$lib" "$lib"
	done
}

# Copies a module and the ones it depends on, as modules.dep lists them.
initramfs_copy_module() {
	local name=${1//-/_} line path
	line=$(awk -v n="$name" '{ f = $1; sub(/:$/, "", f); b = f; sub(/.*\//, "", b);
		sub(/\.ko.*$/, "", b); gsub(/-/, "_", b); if (b == n) { print; exit } }' \
		"$kernel_modules/modules.dep")
	[ -n "$line" ] || die "kernel module $1 not found in $kernel_modules"
	for path in $line; do
		path=${path%:}
		initramfs_copy "$kernel_modules/$path" "/lib/modules/$kernel_version/$path"
	done
}

# Copies a file given with --add: PATH or PATH=DEST.
initramfs_add() {
	local spec=$1 src dest
	src=${spec%%=*}
	[ -e "$src" ] || die "--add $spec: no such file"
	if [ "$spec" != "$src" ]; then
		dest=${spec#*=}
	elif [ -x "$src" ]; then
		dest=/usk/bin/$(basename "$src")
	else
		dest=/usk/$(basename "$src")
	fi
	initramfs_copy "$src" "$dest"
	if head -c 4 "$src" | grep -q ELF; then
		initramfs_copy_libs "$src"
	fi
}

initramfs_build() {
	local out=$1 m spec
	root=$workdir/initramfs
	rm -rf "$root"
	mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,mnt,usk/bin,usk/scripts}
	initramfs_copy "$(command -v busybox)" /bin/busybox
	initramfs_copy "$(command -v bash)" /bin/bash
	initramfs_copy_libs "$(command -v bash)"
	for m in $initramfs_modules "${extra_modules[@]}"; do
		initramfs_copy_module "$m"
	done
	if [ -n "${noiommu_vfio_ko:-}" ]; then
		initramfs_copy "$noiommu_vfio_ko" "/lib/modules/$kernel_version/kernel/drivers/vfio/vfio.ko"
	fi
	cp "$kernel_modules"/modules.{dep,alias,symbols,builtin,order} \
		"$root/lib/modules/$kernel_version/" 2>/dev/null || true
	initramfs_copy "$top/scripts/setup.sh" /usk/scripts/setup.sh
	initramfs_copy "$lab/tests/lib.sh" /usk/tests/lib.sh
	for spec in "${adds[@]}"; do
		initramfs_add "$spec"
	done
	initramfs_copy "$script" /usk/test.sh
	chmod +x "$root/usk/test.sh"
	: >"$root/usk/test.args"
	for arg in "${script_args[@]}"; do
		printf '%s\n' "$arg" >>"$root/usk/test.args"
	done
	sed "s/@HUGEPAGES@/$hugepages/" "$lab/lib/init.sh" >"$root/init"
	chmod +x "$root/init"
	(cd "$root" && find . | cpio -o -H newc --quiet) >"$out"
}
