/* SPDX-License-Identifier: BSD-3-Clause */
/* What the VFIO files of lib/env share. */
#ifndef USK_VFIO_INTERNAL_H
#define USK_VFIO_INTERNAL_H

#include <linux/vfio.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * The fd of IOMMU group @number, added to the process's container (opened,
 * with the IOMMU set up, on first use). Returns 0 or a negative errno after
 * logging what to do.
 */
int vfio_group_get_fd(int number, int *group_fd);

/*
 * Applies the IOVA ranges capability of @info: the IOVA width becomes that
 * of the highest usable address, and the holes between ranges (such as the
 * MSI window), and the space below the first range, are never handed out.
 */
int vfio_apply_iova_caps(const struct vfio_iommu_type1_info *info);

/*
 * Opens the group file @path (vfio_takeover.c). EBUSY from a previous owner
 * that is exiting (killed, or its release still running) is waited for, up
 * to 10 s, said once in the log; a live owner is named and refused at once.
 * Returns the fd, or a negative errno (-EBUSY after logging who holds it).
 */
int vfio_group_open_file(const char *path);

/* The process, other than this one, that has @path open; 0 when none is seen. */
pid_t vfio_file_holder(const char *path);

/* Whether process @pid is exiting: a zombie, dead, or with SIGKILL pending (or gone). */
bool vfio_pid_exiting(pid_t pid);

/* The command name of process @pid into @name ("?" when unknown). */
void vfio_pid_name(pid_t pid, char *name, size_t len);

/* Logs why group @number is not viable: its devices and their drivers. */
void vfio_explain_group_not_viable(int number);

/*
 * No-IOMMU mode (vfio_noiommu.c): from now on regions translate to physical
 * addresses, those registered already included; the DMA heap takes only
 * hugepages. Returns 0 or a negative errno after logging why.
 */
int vfio_noiommu_setup(void);
void vfio_noiommu_fini(void);

#endif /* USK_VFIO_INTERNAL_H */
