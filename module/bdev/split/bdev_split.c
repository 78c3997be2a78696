/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The split bdev: cuts a base bdev into N equal parts (or parts of a size
 * given, as many as asked and fit), named <base>p0, <base>p1... It claims
 * the base, so nothing else writes to it, and passes each part's I/O to the
 * base at the part's offset, with the base's NVMe status. When the base
 * goes, its parts go.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "usk/log.h"
#include "usk/util.h"
#include "bdev_modules.h"

#define SPLIT_MAX_PARTS 128

struct split_base {
	struct usk_bdev_desc *desc;
	char *name;
	uint64_t size_mb;    /* as asked, 0: equal parts filling the base */
	uint32_t parts;	     /* made */
	uint32_t parts_left; /* not yet destructed */
	struct split_part *part[SPLIT_MAX_PARTS];
	TAILQ_ENTRY(split_base) link;
};

struct split_part {
	/* The part is its channels' io_device; the layer registers &bdev as another. */
	struct split_base *base;
	struct usk_bdev bdev;
	char name[USK_BDEV_NAME_MAX + 1];
	uint64_t offset_blocks;
	uint32_t index; /* in base->part */
};

/* A part's channel: the thread's channel of the base. */
struct split_channel {
	struct usk_io_channel *base_ch;
};

/* What a part's bdev_io carries while it waits for a base bdev_io. */
struct split_io {
	struct usk_bdev_io_wait_entry wait;
	struct usk_io_channel *ch;
};

static TAILQ_HEAD(, split_base) g_bases = TAILQ_HEAD_INITIALIZER(g_bases);

const struct usk_bdev_module g_bdev_split_module = {
	.name = "split",
	.driver_ctx_size = sizeof(struct split_io),
};

static void split_base_done(struct usk_bdev_io *base_io, bool success, void *arg)
{
	struct usk_bdev_io *io = arg;
	int sct, sc;

	usk_bdev_io_get_nvme_status(base_io, &sct, &sc);
	usk_bdev_free_io(base_io);
	if (success) {
		usk_bdev_io_complete(io, USK_BDEV_IO_STATUS_SUCCESS);
	} else if (sct == 0 && sc == 0) {
		usk_bdev_io_complete(io, USK_BDEV_IO_STATUS_FAILED);
	} else {
		usk_bdev_io_complete_nvme_status(io, sct, sc);
	}
}

static int split_forward(struct usk_io_channel *ch, struct usk_bdev_io *io)
{
	struct split_part *part = io->bdev->ctxt;
	struct usk_bdev_desc *d = part->base->desc;
	struct usk_io_channel *bch = ((struct split_channel *)usk_io_channel_get_ctx(ch))->base_ch;
	uint64_t off = io->offset_blocks + part->offset_blocks, n = io->num_blocks;

	switch (io->type) {
	case USK_BDEV_IO_TYPE_READ:
		return usk_bdev_readv_blocks(d, bch, io->iovs, io->iovcnt, off, n, split_base_done,
					     io);
	case USK_BDEV_IO_TYPE_WRITE:
		return usk_bdev_writev_blocks(d, bch, io->iovs, io->iovcnt, off, n, split_base_done,
					      io);
	case USK_BDEV_IO_TYPE_WRITE_ZEROES:
		return usk_bdev_write_zeroes_blocks(d, bch, off, n, split_base_done, io);
	case USK_BDEV_IO_TYPE_UNMAP:
		return usk_bdev_unmap_blocks(d, bch, off, n, split_base_done, io);
	case USK_BDEV_IO_TYPE_FLUSH:
		return usk_bdev_flush_blocks(d, bch, off, n, split_base_done, io);
	case USK_BDEV_IO_TYPE_RESET:
		return usk_bdev_reset(d, bch, split_base_done, io);
	default:
		return -ENOTSUP;
	}
}

static void split_submit(struct usk_io_channel *ch, struct usk_bdev_io *io);

static void split_retry(void *arg)
{
	struct usk_bdev_io *io = arg;

	split_submit(((struct split_io *)usk_bdev_io_driver_ctx(io))->ch, io);
}

static void split_submit(struct usk_io_channel *ch, struct usk_bdev_io *io)
{
	struct split_io *sio = usk_bdev_io_driver_ctx(io);
	struct split_channel *sch = usk_io_channel_get_ctx(ch);
	int rc = split_forward(ch, io);

	if (rc == -ENOMEM) {
		sio->ch = ch;
		sio->wait.bdev =
			usk_bdev_desc_get_bdev(((struct split_part *)io->bdev->ctxt)->base->desc);
		sio->wait.cb = split_retry;
		sio->wait.cb_arg = io;
		rc = usk_bdev_queue_io_wait(sio->wait.bdev, sch->base_ch, &sio->wait);
	}
	if (rc != 0) {
		usk_bdev_io_complete_deferred(io, USK_BDEV_IO_STATUS_FAILED);
	}
}

static bool split_io_type_supported(void *ctxt, enum usk_bdev_io_type type)
{
	struct split_part *part = ctxt;

	return type != USK_BDEV_IO_TYPE_COMPARE &&
	       usk_bdev_io_type_supported(usk_bdev_desc_get_bdev(part->base->desc), type);
}

static int split_channel_create(void *io_device, void *ctx)
{
	struct split_part *part = io_device;
	struct split_channel *sch = ctx;

	sch->base_ch = usk_bdev_get_io_channel(part->base->desc);
	return sch->base_ch != NULL ? 0 : -ENOMEM;
}

static void split_channel_destroy(void *io_device, void *ctx)
{
	usk_io_channel_put(((struct split_channel *)ctx)->base_ch);
}

static struct usk_io_channel *split_get_io_channel(void *ctxt)
{
	return usk_io_channel_get(ctxt);
}

static void split_base_free(struct split_base *base)
{
	TAILQ_REMOVE(&g_bases, base, link);
	usk_bdev_module_release_bdev(usk_bdev_desc_get_bdev(base->desc));
	usk_bdev_close(base->desc);
	free(base->name);
	free(base);
}

static void split_part_unregistered(void *io_device)
{
	struct split_part *part = io_device;
	struct split_base *base = part->base;

	/* A later delete, or the base's removal, must not unregister it again. */
	base->part[part->index] = NULL;
	free(part);
	if (--base->parts_left == 0) {
		split_base_free(base);
	}
}

static void split_destruct(void *ctxt)
{
	usk_io_device_unregister(ctxt, split_part_unregistered);
}

static void split_write_config(struct usk_bdev *bdev, struct usk_json_write_ctx *w)
{
	struct split_part *part = bdev->ctxt;

	/* One call makes every part: written for the first. */
	if (part != part->base->part[0]) {
		return;
	}
	usk_json_write_object_begin(w);
	usk_json_write_named_string(w, "method", "bdev_split_create");
	usk_json_write_named_object_begin(w, "params");
	usk_json_write_named_string(w, "base_bdev", part->base->name);
	usk_json_write_named_uint64(w, "split_count", part->base->parts);
	usk_json_write_named_uint64(w, "split_size_mb", part->base->size_mb);
	usk_json_write_object_end(w);
	usk_json_write_object_end(w);
}

static void split_dump_info(void *ctxt, struct usk_json_write_ctx *w)
{
	struct split_part *part = ctxt;

	usk_json_write_named_object_begin(w, "split");
	usk_json_write_named_string(w, "base_bdev", part->base->name);
	usk_json_write_named_uint64(w, "offset_blocks", part->offset_blocks);
	usk_json_write_object_end(w);
}

static const struct usk_bdev_fn_table g_split_fn = {
	.destruct = split_destruct,
	.submit_request = split_submit,
	.io_type_supported = split_io_type_supported,
	.get_io_channel = split_get_io_channel,
	.write_config_json = split_write_config,
	.dump_info_json = split_dump_info,
};

static void split_unregister_parts(struct split_base *base)
{
	for (uint32_t i = 0; i < base->parts; i++) {
		if (base->part[i] != NULL) {
			usk_bdev_unregister(&base->part[i]->bdev, NULL, NULL);
		}
	}
}

static void split_base_event(enum usk_bdev_event_type type, struct usk_bdev *bdev, void *ctx)
{
	if (type == USK_BDEV_EVENT_REMOVE) {
		USK_NOTICELOG("split: base bdev '%s' is going; so are its parts",
			      usk_bdev_get_name(bdev));
		split_unregister_parts(ctx);
	}
}

/* Makes part @i of @base; the base must not be shared until all are made. */
static int split_part_make(struct split_base *base, uint32_t i, uint64_t blocks, char *err,
			   size_t errlen)
{
	struct usk_bdev *b = usk_bdev_desc_get_bdev(base->desc);
	struct split_part *part = calloc(1, sizeof(*part));
	int rc;

	if (part == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	snprintf(part->name, sizeof(part->name), "%sp%u", base->name, i);
	part->base = base;
	part->offset_blocks = blocks * i;
	part->index = i;
	part->bdev.name = part->name;
	part->bdev.ctxt = part;
	part->bdev.write_unit_size = usk_bdev_get_write_unit_size(b);
	part->bdev.optimal_io_boundary = usk_bdev_get_optimal_io_boundary(b);
	/* The base's blocks, metadata and all: the block size counts what they carry. */
	part->bdev.md_len = usk_bdev_get_md_size(b);
	part->bdev.md_interleave = usk_bdev_is_md_interleaved(b);
	part->bdev.dif_type = (uint8_t)usk_bdev_get_dif_type(b);
	part->bdev.dif_is_head_of_md = b->dif_is_head_of_md;
	rc = usk_io_device_register(part, split_channel_create, split_channel_destroy,
				    sizeof(struct split_channel), part->name);
	if (rc == 0) {
		rc = bdev_simple_register(&part->bdev, "Split disk", blocks,
					  usk_bdev_get_block_size(b), &g_split_fn,
					  &g_bdev_split_module, err, errlen);
		if (rc != 0) {
			usk_io_device_unregister(part, NULL);
		}
	}
	if (rc != 0) {
		free(part);
		return rc;
	}
	base->part[i] = part;
	base->parts = i + 1;
	base->parts_left = i + 1;
	return 0;
}

#define SPLIT_MIB ((uint64_t)1024 * 1024)

/*
 * The blocks of each part and how many parts fit in @base_blocks, as SPDK
 * cuts: parts of @size_mb MiB, no more than fit (clamped, not refused, so
 * SPDK's saved configs load), or equal ones filling the base.
 */
static int split_geometry(uint64_t base_blocks, uint32_t block_size, uint32_t *count,
			  uint64_t size_mb, uint64_t *blocks, char *err, size_t errlen)
{
	if (size_mb == 0) {
		*blocks = base_blocks / *count;
		if (*blocks == 0) {
			snprintf(err, errlen,
				 "field 'split_count': %u parts of a %" PRIu64
				 "-block bdev would be empty",
				 *count, base_blocks);
			return -EINVAL;
		}
		return 0;
	}
	*blocks = size_mb > base_blocks * block_size / SPLIT_MIB ? 0
								 : size_mb * SPLIT_MIB / block_size;
	if (*blocks == 0) {
		snprintf(err, errlen,
			 "field 'split_size_mb': %" PRIu64
			 " MiB is larger than the base bdev (%" PRIu64 " MiB)",
			 size_mb, base_blocks * block_size / SPLIT_MIB);
		return -EINVAL;
	}
	if (*count > base_blocks / *blocks) {
		USK_NOTICELOG("split: %u parts of %" PRIu64 " MiB do not fit; making %" PRIu64,
			      *count, size_mb, base_blocks / *blocks);
		*count = (uint32_t)(base_blocks / *blocks);
	}
	return 0;
}

int bdev_split_create(const char *base_name, uint32_t count, uint64_t size_mb, uint32_t *made,
		      char *err, size_t errlen)
{
	struct split_base *base;
	struct usk_bdev *b;
	uint64_t blocks;
	int rc;

	if (count < 1 || count > SPLIT_MAX_PARTS) {
		snprintf(err, errlen, "field 'split_count': expected 1 to %d", SPLIT_MAX_PARTS);
		return -EINVAL;
	}
	/* Cut short, the parts' names would be another bdev's, or each other's. */
	if (snprintf(NULL, 0, "%sp%u", base_name, count - 1) > USK_BDEV_NAME_MAX) {
		snprintf(err, errlen,
			 "field 'base_bdev': the parts' names (the base's and 'p%u') would be "
			 "longer than %d bytes; rename the base shorter",
			 count - 1, USK_BDEV_NAME_MAX);
		return -EINVAL;
	}
	base = calloc(1, sizeof(*base));
	if (base == NULL || (base->name = strdup(base_name)) == NULL) {
		free(base);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = usk_bdev_open(base_name, true, split_base_event, base, &base->desc);
	if (rc != 0) {
		snprintf(err, errlen, "field 'base_bdev': cannot open '%s': %s", base_name,
			 rc == -ENODEV ? "no bdev has that name" : strerror(-rc));
		goto free_base;
	}
	rc = usk_bdev_module_claim_bdev(usk_bdev_desc_get_bdev(base->desc), base->desc,
					&g_bdev_split_module);
	if (rc != 0) {
		snprintf(err, errlen, "field 'base_bdev': '%s' is claimed or open for writing",
			 base_name);
		goto close_base;
	}
	b = usk_bdev_desc_get_bdev(base->desc);
	rc = split_geometry(usk_bdev_get_num_blocks(b), usk_bdev_get_block_size(b), &count, size_mb,
			    &blocks, err, errlen);
	if (rc != 0) {
		goto release_base;
	}
	base->size_mb = size_mb;
	TAILQ_INSERT_TAIL(&g_bases, base, link);
	for (uint32_t i = 0; i < count; i++) {
		rc = split_part_make(base, i, blocks, err, errlen);
		if (rc != 0) {
			/* The parts made so far go, and the base with the last of them. */
			if (base->parts == 0) {
				split_base_free(base);
			} else {
				split_unregister_parts(base);
			}
			return rc;
		}
	}
	if (made != NULL) {
		*made = count;
	}
	return 0;

release_base:
	usk_bdev_module_release_bdev(b);
close_base:
	usk_bdev_close(base->desc);
free_base:
	free(base->name);
	free(base);
	return rc;
}

int bdev_split_delete(const char *base_name)
{
	struct split_base *base;

	TAILQ_FOREACH(base, &g_bases, link) {
		if (strcmp(base->name, base_name) == 0) {
			split_unregister_parts(base);
			return 0;
		}
	}
	return -ENODEV;
}

struct split_create_params {
	char *base_bdev;
	uint32_t split_count;
	uint64_t split_size_mb;
};

static const struct usk_json_object_decoder g_split_create_decoders[] = {
	{"base_bdev", offsetof(struct split_create_params, base_bdev), usk_json_decode_string,
	 false},
	{"split_count", offsetof(struct split_create_params, split_count), usk_json_decode_uint32,
	 false},
	{"split_size_mb", offsetof(struct split_create_params, split_size_mb),
	 usk_json_decode_uint64, true},
};

static void rpc_bdev_split_create(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	struct split_create_params p = {0};
	struct usk_json_write_ctx *w;
	char err[256], name[USK_BDEV_NAME_MAX + 1];
	uint32_t made = 0;

	if (usk_rpc_decode_params(req, params, g_split_create_decoders,
				  USK_COUNTOF(g_split_create_decoders), &p) == 0) {
		if (bdev_split_create(p.base_bdev, p.split_count, p.split_size_mb, &made, err,
				      sizeof(err)) != 0) {
			usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS, "params: %s",
					   err);
		} else if ((w = usk_rpc_begin_result(req)) != NULL) {
			usk_json_write_array_begin(w);
			for (uint32_t i = 0; i < made; i++) {
				snprintf(name, sizeof(name), "%sp%u", p.base_bdev, i);
				usk_json_write_string(w, name);
			}
			usk_json_write_array_end(w);
			usk_rpc_end_result(req, w);
		}
	}
	free(p.base_bdev);
}

static const struct usk_json_object_decoder g_split_delete_decoders[] = {
	{"base_bdev", 0, usk_json_decode_string, false},
};

static void rpc_bdev_split_delete(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	char *base = NULL;

	if (usk_rpc_decode_params(req, params, g_split_delete_decoders, 1, &base) == 0) {
		if (bdev_split_delete(base) != 0) {
			usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS,
					   "params: field 'base_bdev': '%s' is not split", base);
		} else {
			usk_rpc_send_bool(req, true);
		}
	}
	free(base);
}

int bdev_split_rpc_register(void)
{
	int rc = usk_rpc_register_method("bdev_split_create", rpc_bdev_split_create);

	return rc ? rc : usk_rpc_register_method("bdev_split_delete", rpc_bdev_split_delete);
}
