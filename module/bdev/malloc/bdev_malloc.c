/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The malloc bdev: blocks in anonymous memory, data copied through the
 * I/O path. Memory comes from mmap, so a large bdev costs only the pages
 * written; that is also why one larger than the memory the kernel can give
 * is refused at create: filling it would bring the OOM killer, not an error.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "usk/log.h"
#include "usk/util.h"
#include "bdev_modules.h"

struct malloc_bdev {
	struct usk_bdev bdev;
	uint8_t *data;
	size_t size;
	uint32_t physical_block_size; /* as given, for save_config */
};

#define MALLOC_MEMINFO "/proc/meminfo"

/* Where the memory available is read; tests point it at a file of theirs. */
static const char *g_meminfo_path = MALLOC_MEMINFO;

static int malloc_module_init(void);
static void malloc_module_fini(void);

const struct usk_bdev_module g_bdev_malloc_module = {
	.name = "malloc",
	.module_init = malloc_module_init,
	.module_fini = malloc_module_fini,
};

static int malloc_channel_create(void *io_device, void *ctx)
{
	return 0;
}

static void malloc_channel_destroy(void *io_device, void *ctx)
{
}

static int malloc_module_init(void)
{
	return usk_io_device_register((void *)(uintptr_t)&g_bdev_malloc_module,
				      malloc_channel_create, malloc_channel_destroy, 0,
				      "bdev_malloc");
}

static void malloc_module_fini(void)
{
	usk_io_device_unregister((void *)(uintptr_t)&g_bdev_malloc_module, NULL);
}

/* Copies between the bdev's bytes at @p and the I/O's buffers; @to_buffers for reads. */
static void malloc_copy(struct usk_bdev_io *io, uint8_t *p, bool to_buffers)
{
	for (int i = 0; i < io->iovcnt; i++) {
		if (to_buffers) {
			memcpy(io->iovs[i].iov_base, p, io->iovs[i].iov_len);
		} else {
			memcpy(p, io->iovs[i].iov_base, io->iovs[i].iov_len);
		}
		p += io->iovs[i].iov_len;
	}
}

static bool malloc_compare(struct usk_bdev_io *io, const uint8_t *p)
{
	for (int i = 0; i < io->iovcnt; i++) {
		if (memcmp(io->iovs[i].iov_base, p, io->iovs[i].iov_len) != 0) {
			return false;
		}
		p += io->iovs[i].iov_len;
	}
	return true;
}

static void malloc_submit(struct usk_io_channel *ch, struct usk_bdev_io *io)
{
	struct malloc_bdev *mb = io->bdev->ctxt;
	uint8_t *p = mb->data + io->offset_blocks * io->bdev->blocklen;
	enum usk_bdev_io_status status = USK_BDEV_IO_STATUS_SUCCESS;

	switch (io->type) {
	case USK_BDEV_IO_TYPE_READ:
		malloc_copy(io, p, true);
		break;
	case USK_BDEV_IO_TYPE_WRITE:
		malloc_copy(io, p, false);
		break;
	case USK_BDEV_IO_TYPE_COMPARE:
		if (!malloc_compare(io, p)) {
			status = USK_BDEV_IO_STATUS_MISCOMPARE;
		}
		break;
	case USK_BDEV_IO_TYPE_WRITE_ZEROES:
	case USK_BDEV_IO_TYPE_UNMAP:
		/* Unmapped blocks read back as zeroes, as a thin device would say. */
		memset(p, 0, io->num_blocks * io->bdev->blocklen);
		break;
	default:
		break;
	}
	usk_bdev_io_complete_deferred(io, status);
}

static bool malloc_io_type_supported(void *ctxt, enum usk_bdev_io_type type)
{
	return type < USK_BDEV_IO_TYPE_COUNT;
}

static struct usk_io_channel *malloc_get_io_channel(void *ctxt)
{
	return usk_io_channel_get((void *)(uintptr_t)&g_bdev_malloc_module);
}

static void malloc_destruct(void *ctxt)
{
	struct malloc_bdev *mb = ctxt;

	if (mb->data != NULL) {
		munmap(mb->data, mb->size);
	}
	free(mb);
}

static void malloc_write_config(struct usk_bdev *bdev, struct usk_json_write_ctx *w)
{
	struct malloc_bdev *mb = bdev->ctxt;

	bdev_write_create_config(bdev, "bdev_malloc_create", mb->physical_block_size, w);
}

static const struct usk_bdev_fn_table g_malloc_fn = {
	.destruct = malloc_destruct,
	.submit_request = malloc_submit,
	.io_type_supported = malloc_io_type_supported,
	.get_io_channel = malloc_get_io_channel,
	.write_config_json = malloc_write_config,
};

void bdev_malloc_set_meminfo_path(const char *path)
{
	g_meminfo_path = path != NULL ? path : MALLOC_MEMINFO;
}

/* MemAvailable in bytes; -ENOENT when the file or the line is missing (before Linux 3.14). */
static int malloc_mem_available(uint64_t *bytes)
{
	FILE *f = fopen(g_meminfo_path, "r");
	char line[128];
	unsigned long long kib;
	int rc = -ENOENT;

	if (f == NULL) {
		return -ENOENT;
	}
	while (rc != 0 && fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "MemAvailable: %llu kB", &kib) == 1) {
			*bytes = (uint64_t)kib * 1024;
			rc = 0;
		}
	}
	fclose(f);
	return rc;
}

/*
 * Refuses a size the kernel cannot give. MemAvailable is its estimate of
 * what can be handed out without swapping; swap is not counted, as a bdev
 * paged out to disk is no memory bdev, and many hosts run without swap.
 * Each bdev is checked alone: pages not yet written by other malloc bdevs
 * are still counted as available.
 */
static int malloc_size_check(uint64_t num_blocks, uint32_t block_size, char *err, size_t errlen)
{
	uint64_t size = num_blocks * block_size, avail;

	if (malloc_mem_available(&avail) != 0) {
		USK_DEBUGLOG(BDEV, "malloc: no MemAvailable in %s; the size is not checked",
			     g_meminfo_path);
		return 0;
	}
	if (size <= avail) {
		return 0;
	}
	snprintf(err, errlen,
		 "field 'num_blocks': %" PRIu64 " blocks of %u bytes (%" PRIu64
		 " MiB) are more than the memory available (%" PRIu64
		 " MiB: MemAvailable in %s, swap not counted)",
		 num_blocks, block_size, size >> 20, avail >> 20, g_meminfo_path);
	return -ENOMEM;
}

int bdev_malloc_create_ext(const struct bdev_create_opts *opts, struct usk_bdev **bdev, char *err,
			   size_t errlen)
{
	struct malloc_bdev *mb = calloc(1, sizeof(*mb));
	int rc;

	if (mb == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = bdev_create_opts_apply(opts, &mb->bdev, err, errlen);
	if (rc == 0) {
		rc = malloc_size_check(opts->num_blocks, opts->block_size, err, errlen);
	}
	if (rc != 0) {
		malloc_destruct(mb);
		return rc;
	}
	mb->physical_block_size = opts->physical_block_size;
	mb->size = opts->num_blocks * opts->block_size;
	mb->data = mmap(NULL, mb->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mb->data == MAP_FAILED) {
		mb->data = NULL;
		snprintf(err, errlen, "cannot map %zu bytes: %s", mb->size, strerror(errno));
		malloc_destruct(mb);
		return -ENOMEM;
	}
	/* The layer keeps its own copy of the name. */
	mb->bdev.name = opts->name;
	mb->bdev.ctxt = mb;
	rc = bdev_simple_register(&mb->bdev, "Malloc disk", opts->num_blocks, opts->block_size,
				  &g_malloc_fn, &g_bdev_malloc_module, err, errlen);
	if (rc != 0) {
		malloc_destruct(mb);
		return rc;
	}
	if (bdev != NULL) {
		*bdev = &mb->bdev;
	}
	return 0;
}

int bdev_malloc_create(const char *name, uint64_t num_blocks, uint32_t block_size,
		       struct usk_bdev **bdev, char *err, size_t errlen)
{
	return bdev_create_sized(bdev_malloc_create_ext, name, num_blocks, block_size, bdev, err,
				 errlen);
}

int bdev_malloc_delete(const char *name, void (*cb)(void *cb_arg, int rc), void *cb_arg)
{
	return bdev_module_delete(&g_bdev_malloc_module, name, cb, cb_arg);
}

/* SPDK's members that USK honours. */
static const struct usk_json_object_decoder g_malloc_create_decoders[] = {
	{"name", offsetof(struct bdev_create_opts, name), usk_json_decode_string, false},
	{"num_blocks", offsetof(struct bdev_create_opts, num_blocks), usk_json_decode_uint64,
	 false},
	{"block_size", offsetof(struct bdev_create_opts, block_size), usk_json_decode_uint32, true},
	{"physical_block_size", offsetof(struct bdev_create_opts, physical_block_size),
	 usk_json_decode_uint32, true},
	{"uuid", offsetof(struct bdev_create_opts, uuid), usk_json_decode_string, true},
	{"optimal_io_boundary", offsetof(struct bdev_create_opts, optimal_io_boundary),
	 usk_json_decode_uint32, true},
};

/* What SPDK's client and save_config send that a malloc bdev here has no use for. */
static const struct usk_json_compat_member g_malloc_create_compat[] = {
	{"md_size", "0", "USK bdevs carry no metadata"},
	{"md_interleave", NULL, "USK bdevs carry no metadata to place"},
	{"dif_type", "0", "USK bdevs carry no protection information"},
	{"dif_is_head_of_md", NULL, "USK bdevs carry no protection information to place"},
	{"dif_pi_format", "0", "USK bdevs carry no protection information"},
	{"numa_id", "-1", "the kernel places malloc memory (first touch); no node can be asked"},
};

static void rpc_bdev_malloc_create(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	static const struct bdev_create_method method = {
		.decoders = g_malloc_create_decoders,
		.num_decoders = USK_COUNTOF(g_malloc_create_decoders),
		.compat = g_malloc_create_compat,
		.num_compat = USK_COUNTOF(g_malloc_create_compat),
		.create = bdev_malloc_create_ext,
	};

	bdev_rpc_create(req, params, &method);
}

static void rpc_bdev_malloc_delete(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	bdev_rpc_delete(req, params, bdev_malloc_delete, "malloc");
}

int bdev_malloc_rpc_register(void)
{
	int rc = usk_rpc_register_method("bdev_malloc_create", rpc_bdev_malloc_create);

	return rc ? rc : usk_rpc_register_method("bdev_malloc_delete", rpc_bdev_malloc_delete);
}
