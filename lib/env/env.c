/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "env_internal.h"
#include "usk/log.h"
#include "usk/util.h"

struct usk_env_opts g_env_opts;
static atomic_bool g_env_initialized;

bool env_is_initialized(void)
{
	return atomic_load_explicit(&g_env_initialized, memory_order_acquire);
}

void usk_env_opts_init(struct usk_env_opts *opts, size_t opts_size)
{
	struct usk_env_opts defaults = {
		.opts_size = opts_size,
		.hugepages = USK_ENV_HUGEPAGES_AUTO,
		.mem_limit_mb = 0,
		.iova_width = 39,
	};

	/* A caller built against an older, shorter struct gets its own prefix filled. */
	memcpy(opts, &defaults, USK_MIN(opts_size, sizeof(defaults)));
}

/* Copies the caller's options over the defaults, as far as the caller knows them. */
static int env_opts_copy(const struct usk_env_opts *opts)
{
	usk_env_opts_init(&g_env_opts, sizeof(g_env_opts));
	if (opts == NULL) {
		return 0;
	}
	if (opts->opts_size < sizeof(size_t) || opts->opts_size > sizeof(g_env_opts)) {
		USK_ERRLOG("usk_env_init: opts_size %zu is not a size this library knows",
			   opts->opts_size);
		return -EINVAL;
	}
	memcpy(&g_env_opts, opts, opts->opts_size);
	if ((unsigned int)g_env_opts.hugepages > USK_ENV_HUGEPAGES_OFF) {
		USK_ERRLOG("usk_env_init: unknown hugepage mode %d", (int)g_env_opts.hugepages);
		return -EINVAL;
	}
	return 0;
}

int usk_env_init(const struct usk_env_opts *opts)
{
	int rc;

	if (env_is_initialized()) {
		return -EALREADY;
	}
	rc = env_opts_copy(opts);
	if (rc != 0) {
		return rc;
	}
	rc = env_mem_init(g_env_opts.iova_width);
	if (rc != 0) {
		USK_ERRLOG("usk_env_init: IOVA width %u is out of range 32..64",
			   g_env_opts.iova_width);
		return rc;
	}
	atomic_store_explicit(&g_env_initialized, true, memory_order_release);
	return 0;
}

void usk_env_fini(void)
{
	if (!env_is_initialized()) {
		return;
	}
	env_vfio_fini();
	env_dma_fini();
	env_mem_fini();
	atomic_store_explicit(&g_env_initialized, false, memory_order_release);
}
