/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a fabric controller does when its connection is lost (SPDK's
 * ctrlr_loss_timeout_sec, reconnect_delay_sec, fast_io_fail_timeout_sec):
 * the loss asks for a reset, and a fabric's reset is a reconnect (a new
 * admin connection and association, then the reset's steps; the I/O queue
 * pairs make new connections on their own threads once it is done). An
 * attempt that fails is tried again every reconnect_delay_sec until
 * ctrlr_loss_timeout_sec has passed since the loss; then the controller
 * fails as it does without a reconnect. An I/O queue pair whose new
 * connection fails follows the same rule on its own thread. After
 * fast_io_fail_timeout_sec the I/O queue pairs stop holding commands for
 * the reconnect, and so does an I/O queue pair for its own retries.
 */
#include "config.h"

#include <errno.h>

#include "nvme_internal.h"
#include "usk/log.h"

#define NVME_US_PER_SEC 1000000ull

int usk_nvme_reconnect_opts_check(int32_t ctrlr_loss_timeout_sec, uint32_t reconnect_delay_sec,
				  uint32_t fast_io_fail_timeout_sec, const char **why)
{
	bool forever = ctrlr_loss_timeout_sec == -1;
	uint32_t loss = (uint32_t)ctrlr_loss_timeout_sec;

	*why = NULL;
	if (ctrlr_loss_timeout_sec < -1) {
		*why = "ctrlr_loss_timeout_sec: -1 (for ever), 0 (no reconnect) or a number of "
		       "seconds";
	} else if (ctrlr_loss_timeout_sec == 0) {
		if (reconnect_delay_sec != 0 || fast_io_fail_timeout_sec != 0) {
			*why = "reconnect_delay_sec and fast_io_fail_timeout_sec must be 0 when "
			       "ctrlr_loss_timeout_sec is 0 (no reconnect)";
		}
	} else if (reconnect_delay_sec == 0) {
		*why = "reconnect_delay_sec must be at least 1 when ctrlr_loss_timeout_sec is not "
		       "0";
	} else if (!forever && reconnect_delay_sec > loss) {
		*why = "reconnect_delay_sec must not be more than ctrlr_loss_timeout_sec";
	} else if (fast_io_fail_timeout_sec != 0 &&
		   fast_io_fail_timeout_sec < reconnect_delay_sec) {
		*why = "fast_io_fail_timeout_sec must be 0 or at least reconnect_delay_sec";
	} else if (!forever && fast_io_fail_timeout_sec > loss) {
		*why = "fast_io_fail_timeout_sec must not be more than ctrlr_loss_timeout_sec";
	}
	return *why == NULL ? 0 : -EINVAL;
}

bool nvme_ctrlr_reconnects(const struct usk_nvme_ctrlr *c)
{
	return c->ops->ctrlr_reconnect != NULL && c->opts.ctrlr_loss_timeout_sec != 0;
}

/*
 * Whether @secs have passed since the loss stamped *@lost_at. A loss
 * stamped after @now: the clock went back since (a virtual machine
 * restored from a snapshot), and the time since the loss counts again from
 * the new clock, rather than wrap around into a timeout long past.
 */
static bool nvme_reconnect_past(uint64_t *lost_at, uint64_t secs, uint64_t now)
{
	return usk_ticks_since_restamping(now, lost_at) >= nvme_us_to_ticks(secs * NVME_US_PER_SEC);
}

static uint64_t nvme_reconnect_delay_ticks(const struct usk_nvme_ctrlr *c)
{
	return nvme_us_to_ticks(c->opts.reconnect_delay_sec * NVME_US_PER_SEC);
}

bool nvme_ctrlr_reconnect_again(struct usk_nvme_ctrlr *c)
{
	uint64_t now = nvme_ticks();
	uint32_t delay = c->opts.reconnect_delay_sec;

	if (!nvme_ctrlr_reconnects(c) || !c->ready ||
	    (c->opts.ctrlr_loss_timeout_sec > 0 &&
	     nvme_reconnect_past(&c->reset.lost_at, (uint64_t)c->opts.ctrlr_loss_timeout_sec,
				 now))) {
		return false;
	}
	USK_WARNLOG("%s: reconnect failed; next attempt in %u s", c->name, delay);
	nvme_reset_steps_reconnect_at(c, now + nvme_reconnect_delay_ticks(c));
	return true;
}

bool nvme_qpair_reconnect_again(const struct usk_nvme_qpair *q, uint64_t *lost_at,
				uint64_t *next_at)
{
	const struct usk_nvme_ctrlr *c = q->ctrlr;
	uint64_t now = nvme_ticks();

	if (!nvme_ctrlr_reconnects(c) ||
	    (c->opts.ctrlr_loss_timeout_sec > 0 &&
	     nvme_reconnect_past(lost_at, (uint64_t)c->opts.ctrlr_loss_timeout_sec, now))) {
		return false;
	}
	USK_WARNLOG("%s: qpair %u: reconnect failed; next attempt in %u s", c->name, q->id,
		    c->opts.reconnect_delay_sec);
	*next_at = now + nvme_reconnect_delay_ticks(c);
	return true;
}

bool nvme_qpair_reconnect_fails_fast(const struct usk_nvme_qpair *q, uint64_t *lost_at)
{
	uint32_t fast = q->ctrlr->opts.fast_io_fail_timeout_sec;

	return fast != 0 && nvme_reconnect_past(lost_at, fast, nvme_ticks());
}

bool nvme_qpair_reconnect_due(const struct usk_nvme_qpair *q, uint64_t *next_at)
{
	uint64_t now = nvme_ticks();

	usk_ticks_rebase(now, next_at, nvme_reconnect_delay_ticks(q->ctrlr));
	return now >= *next_at;
}

void nvme_ctrlr_reconnect_poll(struct usk_nvme_ctrlr *c)
{
	uint32_t fast = c->opts.fast_io_fail_timeout_sec;

	if (fast != 0 && nvme_reset_under_way(c) && nvme_ctrlr_reconnects(c) &&
	    !__atomic_load_n(&c->io_fail_fast, __ATOMIC_ACQUIRE) &&
	    nvme_reconnect_past(&c->reset.lost_at, fast, nvme_ticks())) {
		USK_WARNLOG("%s: not reconnected after %u s: I/O fails until it is", c->name, fast);
		__atomic_store_n(&c->io_fail_fast, true, __ATOMIC_RELEASE);
	}
}

bool nvme_ctrlr_io_fails_fast(const struct usk_nvme_ctrlr *c)
{
	return __atomic_load_n(&c->io_fail_fast, __ATOMIC_ACQUIRE);
}
