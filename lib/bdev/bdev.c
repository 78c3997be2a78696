/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The bdev registry: modules, bdevs, descriptors, claims, and removal.
 * A removed bdev stays until its last descriptor closes; events and the
 * freeing of a closed descriptor go through its thread's message queue in
 * order, so an event never meets a freed descriptor.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "usk/log.h"
#include "usk/util.h"
#include "bdev_internal.h"

#define BDEV_MAX_MODULES 16

static const struct usk_bdev_module *g_modules[BDEV_MAX_MODULES];
static uint32_t g_nmodules;
static pthread_mutex_t g_bdev_lock = PTHREAD_MUTEX_INITIALIZER;
static TAILQ_HEAD(, bdev_internal) g_bdevs = TAILQ_HEAD_INITIALIZER(g_bdevs);

struct usk_pool *g_bdev_io_pool;
size_t g_bdev_io_size;
uint32_t g_bdev_io_count;

int usk_bdev_module_register(const struct usk_bdev_module *m)
{
	if (m == NULL || m->name == NULL) {
		return -EINVAL;
	}
	for (uint32_t i = 0; i < g_nmodules; i++) {
		if (g_modules[i] == m) {
			return 0;
		}
		if (strcmp(g_modules[i]->name, m->name) == 0) {
			return -EEXIST;
		}
	}
	if (g_nmodules == BDEV_MAX_MODULES) {
		return -ENOSPC;
	}
	g_modules[g_nmodules++] = m;
	return 0;
}

int bdev_layer_init(uint32_t pool_size)
{
	size_t driver_ctx = 0;

	for (uint32_t i = 0; i < g_nmodules; i++) {
		driver_ctx = USK_MAX(driver_ctx, g_modules[i]->driver_ctx_size);
	}
	g_bdev_io_size = usk_align_up(sizeof(struct usk_bdev_io), 16) +
			 usk_align_up(sizeof(struct bdev_io_internal), 16) + driver_ctx;
	g_bdev_io_count = pool_size;
	g_bdev_io_pool = usk_pool_create(g_bdev_io_size, pool_size, false);
	if (g_bdev_io_pool == NULL) {
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < g_nmodules; i++) {
		int rc = g_modules[i]->module_init ? g_modules[i]->module_init() : 0;

		if (rc != 0) {
			USK_ERRLOG("bdev module '%s': failed to start: %s", g_modules[i]->name,
				   strerror(-rc));
			return rc;
		}
	}
	return 0;
}

void bdev_layer_fini(void)
{
	for (uint32_t i = g_nmodules; i > 0; i--) {
		if (g_modules[i - 1]->module_fini != NULL) {
			g_modules[i - 1]->module_fini();
		}
	}
	usk_pool_free(g_bdev_io_pool);
	g_bdev_io_pool = NULL;
}

/* The bdev whose name or alias is @name. */
static struct bdev_internal *bdev_find_uuid_locked(const struct usk_uuid *uuid)
{
	struct bdev_internal *bi;

	TAILQ_FOREACH(bi, &g_bdevs, link) {
		if (usk_uuid_equal(&bi->bdev->uuid, uuid)) {
			return bi;
		}
	}
	return NULL;
}

/* A bdev answers to its name, its aliases and its UUID's text, as SPDK's do. */
static struct bdev_internal *bdev_find_locked(const char *name)
{
	struct bdev_internal *bi;
	struct usk_uuid uuid;

	if (usk_uuid_parse(&uuid, name) == 0 && (bi = bdev_find_uuid_locked(&uuid)) != NULL) {
		return bi;
	}
	TAILQ_FOREACH(bi, &g_bdevs, link) {
		if (strcmp(bi->name, name) == 0) {
			return bi;
		}
		for (uint32_t i = 0; i < bi->alias_count; i++) {
			if (strcmp(bi->aliases[i], name) == 0) {
				return bi;
			}
		}
	}
	return NULL;
}

/*
 * Whether @name may name a bdev: not empty, at most USK_BDEV_NAME_MAX bytes,
 * no control character. Names reach logs and RPC answers verbatim: a newline
 * or an escape sequence in one could forge a log line or a terminal's state.
 */
static bool bdev_name_valid(const char *name)
{
	size_t len;

	if (name == NULL) {
		return false;
	}
	len = strnlen(name, USK_BDEV_NAME_MAX + 1);
	if (len == 0 || len > USK_BDEV_NAME_MAX) {
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c < 0x20 || c == 0x7f) {
			return false;
		}
	}
	return true;
}

/* Refuses a bad name or alias with a log line that cannot itself carry the bad bytes. */
static int bdev_name_check(const char *what, const char *owner, const char *name)
{
	if (bdev_name_valid(name)) {
		return 0;
	}
	USK_ERRLOG("bdev%s%s%s: %s refused: it must be 1 to %d bytes with no control "
		   "characters (bytes below 0x20, or 0x7f)",
		   owner ? " '" : "", owner ? owner : "", owner ? "'" : "", what,
		   USK_BDEV_NAME_MAX);
	return -EINVAL;
}

int usk_bdev_alias_add(struct usk_bdev *b, const char *alias)
{
	struct bdev_internal *bi = b->internal;
	char *copy;
	int rc = 0;

	if (bdev_name_check("alias", bi->name, alias) != 0) {
		return -EINVAL;
	}
	copy = strdup(alias);
	if (copy == NULL) {
		return -ENOMEM;
	}
	pthread_mutex_lock(&g_bdev_lock);
	if (bdev_find_locked(alias) != NULL) {
		rc = -EEXIST;
	} else if (bi->alias_count == BDEV_MAX_ALIASES) {
		rc = -ENOSPC;
	} else {
		bi->aliases[bi->alias_count++] = copy;
	}
	pthread_mutex_unlock(&g_bdev_lock);
	if (rc != 0) {
		free(copy);
	}
	return rc;
}

int usk_bdev_alias_del(struct usk_bdev *b, const char *alias)
{
	struct bdev_internal *bi = b->internal;
	int rc = -ENOENT;

	pthread_mutex_lock(&g_bdev_lock);
	for (uint32_t i = 0; i < bi->alias_count; i++) {
		if (strcmp(bi->aliases[i], alias) == 0) {
			free(bi->aliases[i]);
			bi->aliases[i] = bi->aliases[--bi->alias_count];
			rc = 0;
			break;
		}
	}
	pthread_mutex_unlock(&g_bdev_lock);
	return rc;
}

uint32_t usk_bdev_get_aliases(const struct usk_bdev *b, const char **aliases, uint32_t max)
{
	struct bdev_internal *bi = b->internal;
	uint32_t n;

	pthread_mutex_lock(&g_bdev_lock);
	n = USK_MIN(max, bi->alias_count);
	for (uint32_t i = 0; i < n; i++) {
		aliases[i] = bi->aliases[i];
	}
	pthread_mutex_unlock(&g_bdev_lock);
	return n;
}

/* Bytes of data per block: a power of two from 512, whatever metadata follows it. */
static bool bdev_geometry_valid(const struct usk_bdev *b)
{
	uint32_t md = b->md_interleave ? b->md_len : 0;

	return md < b->blocklen && b->blocklen - md >= 512 && usk_u64_is_pow2(b->blocklen - md) &&
	       (!b->md_interleave || b->md_len != 0) && b->dif_type <= 3 &&
	       (b->dif_type == 0 || b->md_len >= 8);
}

static bool bdev_valid(const struct usk_bdev *b)
{
	return bdev_geometry_valid(b) && b->blockcnt > 0 &&
	       b->blockcnt <= UINT64_MAX / b->blocklen && b->fn_table != NULL &&
	       b->fn_table->submit_request != NULL && b->fn_table->get_io_channel != NULL &&
	       b->fn_table->io_type_supported != NULL && b->module != NULL;
}

void bdev_granule_init(struct bdev_granule *g, uint32_t size)
{
	g->size = size;
	g->pow2 = usk_u64_is_pow2(size);
	g->shift = g->pow2 ? usk_u32_log2(size) : 0;
}

/* Asks the module once what the data path would otherwise ask per I/O. */
static void bdev_cache_shape(struct usk_bdev *b, struct bdev_internal *bi)
{
	for (int t = 0; t < USK_BDEV_IO_TYPE_COUNT; t++) {
		if (b->fn_table->io_type_supported(b->ctxt, (enum usk_bdev_io_type)t)) {
			bi->io_types |= 1u << t;
		}
	}
	bdev_granule_init(&bi->write_unit, b->write_unit_size > 1 ? b->write_unit_size : 0);
	bdev_granule_init(&bi->boundary, b->optimal_io_boundary);
}

int usk_bdev_register(struct usk_bdev *b)
{
	struct bdev_internal *bi;
	const char *given;
	int rc;

	if (b == NULL || bdev_name_check("name", NULL, b->name) != 0) {
		return -EINVAL;
	}
	if (!bdev_valid(b)) {
		USK_ERRLOG("bdev '%s': not registered: it needs a module, its functions, "
			   "a power-of-two block size of at least 512 and some blocks, "
			   "less than 2^64 bytes in all",
			   b->name);
		return -EINVAL;
	}
	bi = calloc(1, sizeof(*bi));
	if (bi == NULL || (bi->name = strdup(b->name)) == NULL) {
		free(bi);
		return -ENOMEM;
	}
	if (usk_uuid_is_nil(&b->uuid) && (rc = usk_uuid_generate(&b->uuid)) != 0) {
		USK_ERRLOG("bdev '%s': no UUID could be made: %s", b->name, strerror(-rc));
		free(bi->name);
		free(bi);
		return rc;
	}
	bi->bdev = b;
	bdev_cache_shape(b, bi);
	usk_bdev_io_stat_init(&bi->released_stat);
	TAILQ_INIT(&bi->descs);
	pthread_mutex_init(&bi->lock, NULL);
	b->internal = bi;
	given = b->name;
	b->name = bi->name;

	pthread_mutex_lock(&g_bdev_lock);
	if (bdev_find_locked(bi->name) != NULL || bdev_find_uuid_locked(&b->uuid) != NULL) {
		pthread_mutex_unlock(&g_bdev_lock);
		USK_ERRLOG("bdev '%s': the name or the UUID is taken", bi->name);
		rc = -EEXIST;
		goto free_internal;
	}
	rc = bdev_channel_register(b);
	if (rc != 0) {
		pthread_mutex_unlock(&g_bdev_lock);
		goto free_internal;
	}
	TAILQ_INSERT_TAIL(&g_bdevs, bi, link);
	pthread_mutex_unlock(&g_bdev_lock);
	USK_INFOLOG("bdev '%s': registered (%s, %" PRIu64 " blocks of %u bytes)", bi->name,
		    b->module->name, b->blockcnt, b->blocklen);
	return 0;

free_internal:
	/* The copy goes: the module's own name stays usable (to log the refusal, say). */
	b->internal = NULL;
	b->name = given;
	pthread_mutex_destroy(&bi->lock);
	free(bi->name);
	free(bi);
	return rc;
}

struct bdev_unregister_done {
	void (*cb)(void *cb_arg, int rc);
	void *cb_arg;
	struct usk_thread *thread; /* the caller's */
};

static void bdev_unregister_report(void *arg)
{
	struct bdev_unregister_done *d = arg;

	d->cb(d->cb_arg, 0);
	free(d);
}

/* The last channel is gone: the module frees its part, the caller hears. */
static void bdev_destructed(void *io_device)
{
	struct usk_bdev *b = io_device;
	struct bdev_internal *bi = b->internal;
	struct bdev_unregister_done *d = bi->unregister_done;

	pthread_mutex_lock(&g_bdev_lock);
	TAILQ_REMOVE(&g_bdevs, bi, link);
	pthread_mutex_unlock(&g_bdev_lock);
	USK_INFOLOG("bdev '%s': unregistered", bi->name);
	bdev_qos_free(b);
	bdev_histogram_free(b);
	for (uint32_t i = 0; i < bi->alias_count; i++) {
		free(bi->aliases[i]);
	}
	pthread_mutex_destroy(&bi->lock);
	free(bi->name);
	free(bi);
	b->internal = NULL;
	if (b->fn_table->destruct != NULL) {
		b->fn_table->destruct(b->ctxt);
	}
	/* The caller hears on its own thread, whichever thread closed last. */
	if (d != NULL && usk_thread_send_msg(d->thread, bdev_unregister_report, d) != 0) {
		bdev_unregister_report(d);
	}
}

static void bdev_destruct(struct usk_bdev *b)
{
	bdev_channel_unregister(b, bdev_destructed);
}

static void bdev_desc_event_msg(void *arg)
{
	struct usk_bdev_desc *desc = arg;

	if (!desc->closed) {
		desc->event_cb(USK_BDEV_EVENT_REMOVE, desc->bdev, desc->event_ctx);
	}
}

int usk_bdev_unregister(struct usk_bdev *b, void (*cb)(void *cb_arg, int rc), void *cb_arg)
{
	struct bdev_internal *bi = b ? b->internal : NULL;
	struct bdev_unregister_done *d = NULL;
	struct usk_bdev_desc *desc;
	bool idle;

	if (bi == NULL) {
		return -ENODEV;
	}
	if (cb != NULL) {
		d = malloc(sizeof(*d));
		if (d == NULL) {
			return -ENOMEM;
		}
		*d = (struct bdev_unregister_done){cb, cb_arg, usk_thread_get_current()};
	}
	pthread_mutex_lock(&bi->lock);
	if (bi->removing) {
		pthread_mutex_unlock(&bi->lock);
		free(d);
		return -EBUSY;
	}
	bi->removing = true;
	bi->unregister_done = d;
	TAILQ_FOREACH(desc, &bi->descs, link) {
		if (usk_thread_send_msg(desc->thread, bdev_desc_event_msg, desc) != 0) {
			USK_ERRLOG("bdev '%s': cannot tell a descriptor on thread '%s' of its "
				   "removal",
				   bi->name, usk_thread_get_name(desc->thread));
		}
	}
	idle = TAILQ_EMPTY(&bi->descs);
	pthread_mutex_unlock(&bi->lock);
	if (idle) {
		bdev_destruct(b);
	}
	return 0;
}

static void bdev_desc_resize_msg(void *arg)
{
	struct usk_bdev_desc *desc = arg;

	if (!desc->closed) {
		desc->event_cb(USK_BDEV_EVENT_RESIZE, desc->bdev, desc->event_ctx);
	}
}

int usk_bdev_notify_blockcnt_change(struct usk_bdev *b, uint64_t blockcnt)
{
	struct bdev_internal *bi = b->internal;
	struct usk_bdev_desc *desc;

	if (blockcnt == 0) {
		return -EINVAL;
	}
	/* Gone already (the module may still hold its part for a moment). */
	if (bi == NULL) {
		return -ENODEV;
	}
	pthread_mutex_lock(&bi->lock);
	b->blockcnt = blockcnt;
	/* Each descriptor hears on its own thread, as of a removal. */
	TAILQ_FOREACH(desc, &bi->descs, link) {
		usk_thread_send_msg(desc->thread, bdev_desc_resize_msg, desc);
	}
	pthread_mutex_unlock(&bi->lock);
	return 0;
}

int usk_bdev_open(const char *name, bool write, usk_bdev_event_cb event_cb, void *ctx,
		  struct usk_bdev_desc **descp)
{
	struct usk_thread *t = usk_thread_get_current();
	struct usk_bdev_desc *desc;
	struct bdev_internal *bi;
	int rc = 0;

	if (name == NULL || event_cb == NULL || descp == NULL || t == NULL) {
		return -EINVAL;
	}
	desc = calloc(1, sizeof(*desc));
	if (desc == NULL) {
		return -ENOMEM;
	}
	pthread_mutex_lock(&g_bdev_lock);
	bi = bdev_find_locked(name);
	if (bi == NULL) {
		rc = -ENODEV;
	} else {
		pthread_mutex_lock(&bi->lock);
		if (bi->removing) {
			rc = -EBUSY;
		} else if (write && bi->claim != NULL) {
			USK_ERRLOG("bdev '%s': claimed by module '%s', so it cannot be opened for "
				   "writing",
				   bi->name, bi->claim->name);
			rc = -EPERM;
		} else {
			desc->bdev = bi->bdev;
			desc->thread = t;
			desc->write = write;
			desc->event_cb = event_cb;
			desc->event_ctx = ctx;
			TAILQ_INSERT_TAIL(&bi->descs, desc, link);
		}
		pthread_mutex_unlock(&bi->lock);
	}
	pthread_mutex_unlock(&g_bdev_lock);
	if (rc != 0) {
		free(desc);
		return rc;
	}
	*descp = desc;
	return 0;
}

static void bdev_desc_free_msg(void *arg)
{
	free(arg);
}

void usk_bdev_close(struct usk_bdev_desc *desc)
{
	struct usk_bdev *b;
	struct bdev_internal *bi;
	bool last;

	if (desc == NULL || desc->closed) {
		return;
	}
	b = desc->bdev;
	bi = b->internal;
	pthread_mutex_lock(&bi->lock);
	TAILQ_REMOVE(&bi->descs, desc, link);
	last = bi->removing && TAILQ_EMPTY(&bi->descs);
	pthread_mutex_unlock(&bi->lock);
	desc->closed = true;
	/* Behind any event already queued for it on its thread. */
	if (usk_thread_send_msg(desc->thread, bdev_desc_free_msg, desc) != 0) {
		free(desc);
	}
	if (last) {
		bdev_destruct(b);
	}
}

struct usk_bdev *usk_bdev_desc_get_bdev(struct usk_bdev_desc *desc)
{
	return desc->bdev;
}

int usk_bdev_module_claim_bdev(struct usk_bdev *b, struct usk_bdev_desc *desc,
			       const struct usk_bdev_module *module)
{
	struct bdev_internal *bi = b->internal;
	struct usk_bdev_desc *d;
	int rc = 0;

	pthread_mutex_lock(&bi->lock);
	if (bi->claim != NULL) {
		USK_ERRLOG("bdev '%s': already claimed by module '%s'", bi->name, bi->claim->name);
		rc = -EPERM;
	}
	TAILQ_FOREACH(d, &bi->descs, link) {
		if (rc == 0 && d != desc && d->write) {
			USK_ERRLOG("bdev '%s': open for writing elsewhere, so it cannot be claimed",
				   bi->name);
			rc = -EPERM;
		}
	}
	if (rc == 0) {
		bi->claim = module;
		if (desc != NULL) {
			desc->write = true;
		}
	}
	pthread_mutex_unlock(&bi->lock);
	return rc;
}

void usk_bdev_module_release_bdev(struct usk_bdev *b)
{
	pthread_mutex_lock(&b->internal->lock);
	b->internal->claim = NULL;
	pthread_mutex_unlock(&b->internal->lock);
}

const struct usk_uuid *usk_bdev_get_uuid(const struct usk_bdev *b)
{
	return &b->uuid;
}

struct usk_bdev *usk_bdev_get_by_name(const char *name)
{
	struct bdev_internal *bi;

	if (name == NULL) {
		return NULL;
	}
	pthread_mutex_lock(&g_bdev_lock);
	bi = bdev_find_locked(name);
	pthread_mutex_unlock(&g_bdev_lock);
	return bi ? bi->bdev : NULL;
}

struct usk_bdev *usk_bdev_first(void)
{
	struct bdev_internal *bi;

	pthread_mutex_lock(&g_bdev_lock);
	bi = TAILQ_FIRST(&g_bdevs);
	pthread_mutex_unlock(&g_bdev_lock);
	return bi ? bi->bdev : NULL;
}

struct usk_bdev *usk_bdev_next(struct usk_bdev *prev)
{
	struct bdev_internal *bi;

	pthread_mutex_lock(&g_bdev_lock);
	bi = TAILQ_NEXT(prev->internal, link);
	pthread_mutex_unlock(&g_bdev_lock);
	return bi ? bi->bdev : NULL;
}

const char *usk_bdev_get_name(const struct usk_bdev *b)
{
	return b->name;
}

const char *usk_bdev_get_product_name(const struct usk_bdev *b)
{
	return b->product_name ? b->product_name : "";
}

const char *usk_bdev_get_module_name(const struct usk_bdev *b)
{
	return b->module->name;
}

uint32_t usk_bdev_get_block_size(const struct usk_bdev *b)
{
	return b->blocklen;
}

uint64_t usk_bdev_get_num_blocks(const struct usk_bdev *b)
{
	return b->blockcnt;
}

uint32_t usk_bdev_get_md_size(const struct usk_bdev *b)
{
	return b->md_len;
}

bool usk_bdev_is_md_interleaved(const struct usk_bdev *b)
{
	return b->md_interleave;
}

uint32_t usk_bdev_get_dif_type(const struct usk_bdev *b)
{
	return b->dif_type;
}

bool usk_bdev_is_dif_head_of_md(const struct usk_bdev *b)
{
	return b->dif_is_head_of_md;
}

uint32_t usk_bdev_get_write_unit_size(const struct usk_bdev *b)
{
	return b->write_unit_size ? b->write_unit_size : 1;
}

uint32_t usk_bdev_get_optimal_io_boundary(const struct usk_bdev *b)
{
	return b->optimal_io_boundary;
}

uint32_t usk_bdev_get_max_transfer_blocks(const struct usk_bdev *b)
{
	return b->max_transfer_blocks;
}

bool usk_bdev_is_claimed(const struct usk_bdev *b)
{
	return b->internal->claim != NULL;
}

bool usk_bdev_io_type_supported(const struct usk_bdev *b, enum usk_bdev_io_type type)
{
	return (unsigned int)type < USK_BDEV_IO_TYPE_COUNT &&
	       (b->internal->io_types >> type & 1) != 0;
}
