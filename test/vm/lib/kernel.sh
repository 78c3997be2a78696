# shellcheck shell=bash
# The guest kernel: Debian's current linux-image-amd64 package, downloaded
# with apt-get and unpacked into the cache, never installed on the host.

# Prints the name of the kernel package linux-image-amd64 depends on.
kernel_package_name() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		awk '/Depends: linux-image-[0-9]/ { print $2; exit }'
}

# Sets kernel_version, kernel_image and kernel_modules, fetching if needed.
# Several labs may start at once (make -j check): one fetches, the others wait.
kernel_fetch() {
	local cache=$1
	mkdir -p "$cache"
	exec {kernel_lock}>"$cache/.lock"
	flock "$kernel_lock"
	kernel_fetch_locked "$cache"
	flock -u "$kernel_lock"
	exec {kernel_lock}>&-
}

kernel_fetch_locked() {
	local cache=$1 pkg deb
	pkg=$(kernel_package_name)
	if [ -z "$pkg" ]; then
		apt-get update -q >/dev/null 2>&1 || true
		pkg=$(kernel_package_name)
	fi
	if [ -z "$pkg" ]; then
		# No package index: use a kernel unpacked before, if there is one.
		pkg=$(find "$cache" -maxdepth 1 -type d -name 'linux-image-*' -printf '%f\n' |
			sort -V | tail -n 1)
		[ -n "$pkg" ] || die "cannot find the kernel package: apt-cache depends linux-image-amd64 names none"
	fi
	kernel_version=${pkg#linux-image-}
	local root=$cache/$pkg
	if [ ! -f "$root/.unpacked" ]; then
		deb=$(find "$cache" -maxdepth 1 -name "${pkg}_*.deb" | head -n 1)
		if [ -z "$deb" ]; then
			echo "vmlab: downloading $pkg into $cache" >&2
			(cd "$cache" && apt-get download -q "$pkg" >/dev/null 2>&1) ||
				die "apt-get download $pkg failed"
			deb=$(find "$cache" -maxdepth 1 -name "${pkg}_*.deb" | head -n 1)
		fi
		rm -rf "$root"
		dpkg -x "$deb" "$root"
		depmod -b "$root" "$kernel_version"
		touch "$root/.unpacked"
	fi
	kernel_image=$root/boot/vmlinuz-$kernel_version
	kernel_modules=$root/lib/modules/$kernel_version
	[ -f "$kernel_image" ] || die "$kernel_image is missing; delete $root and retry"
}
