# shellcheck shell=bash
# A vfio module with VFIO's no-IOMMU mode for the guest kernel. Debian
# builds its kernels without CONFIG_VFIO_NOIOMMU; the lab builds vfio.ko
# again from the matching linux-source package with the option on, against
# the kernel's headers (scripts/pkgdep.sh installs linux-headers-amd64),
# and keeps it in the cache. Only the vfio core changes: vfio-pci and the
# rest load against it as they are.

# Sets noiommu_vfio_ko to the module for $kernel_version, building it if needed.
noiommu_vfio_build() {
	local cache=$1 headers=/lib/modules/$kernel_version/build series version work
	noiommu_vfio_ko=$cache/vfio-noiommu-$kernel_version.ko
	[ -f "$noiommu_vfio_ko" ] && return 0
	[ -d "$headers" ] || die "no headers for $kernel_version in $headers: run scripts/pkgdep.sh"
	series=$(echo "$kernel_version" | cut -d. -f1-2)
	version=$(dpkg-query -W -f '${Version}' "linux-headers-$kernel_version" 2>/dev/null) ||
		die "linux-headers-$kernel_version is not installed: run scripts/pkgdep.sh"
	work=$(mktemp -d "$cache/vfio-build.XXXXXX")
	echo "vmlab: building vfio.ko with CONFIG_VFIO_NOIOMMU for $kernel_version" >&2
	(cd "$work" && apt-get download -q "linux-source-$series=$version" >/dev/null 2>&1) ||
		die "apt-get download linux-source-$series=$version failed"
	dpkg-deb --fsys-tarfile "$work"/linux-source-*.deb |
		tar -x -C "$work" "./usr/src/linux-source-$series.tar.xz" ||
		die "linux-source-$series has no source tarball"
	tar -xJf "$work/usr/src/linux-source-$series.tar.xz" -C "$work" \
		--wildcards "linux-source-$series/drivers/vfio/*" ||
		die "cannot unpack drivers/vfio"
	mkdir -p "$work/vfio"
	cp "$work/linux-source-$series/drivers/vfio/"{vfio_main.c,iova_bitmap.c,container.c,vfio.h} \
		"$work/vfio/" || die "drivers/vfio of $series is not laid out as 6.1's"
	# The same objects as the kernel's vfio.ko, with the option defined.
	printf '%s\n' 'ccflags-y += -DCONFIG_VFIO_NOIOMMU=1' 'obj-m += vfio.o' \
		'vfio-y += vfio_main.o iova_bitmap.o container.o' >"$work/vfio/Kbuild"
	make -s -C "$headers" M="$work/vfio" modules >"$work/build.log" 2>&1 ||
		{ cat "$work/build.log" >&2; die "building vfio.ko failed"; }
	cp "$work/vfio/vfio.ko" "$noiommu_vfio_ko"
	rm -rf "$work"
}
