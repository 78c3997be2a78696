/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <time.h>

#include "usk/util.h"
#include "usk/idle_spell.h"

/*
 * Each sleep moves the average an eighth of the way to its own cost: a
 * change in what sleeps cost shows within a few dozen sleeps, and one odd
 * sleep moves the spell by an eighth of its difference at most.
 */
#define IDLE_SPELL_WEIGHT_SHIFT 3

void usk_idle_spell_init(struct usk_idle_spell *spell, uint64_t min_ticks, uint64_t max_ticks,
			 uint64_t first_ticks)
{
	*spell = (struct usk_idle_spell){
		.min_ticks = USK_MIN(min_ticks, max_ticks),
		.max_ticks = max_ticks,
		.cost_ticks = first_ticks,
	};
}

uint64_t usk_idle_spell_ticks(const struct usk_idle_spell *spell)
{
	return USK_MAX(spell->min_ticks, USK_MIN(spell->cost_ticks, spell->max_ticks));
}

bool usk_idle_spell_over(const struct usk_idle_spell *spell, uint64_t idle_ticks,
			 uint64_t quiet_ticks)
{
	uint64_t ticks = usk_idle_spell_ticks(spell);

	return idle_ticks >= ticks || quiet_ticks > ticks;
}

void usk_idle_spell_add_sleep(struct usk_idle_spell *spell, uint64_t cost_ticks)
{
	uint64_t cost = USK_MIN(cost_ticks, spell->max_ticks);

	if (spell->sleeps++ == 0) {
		spell->cost_ticks = cost;
	} else if (cost >= spell->cost_ticks) {
		spell->cost_ticks += (cost - spell->cost_ticks) >> IDLE_SPELL_WEIGHT_SHIFT;
	} else {
		spell->cost_ticks -= (spell->cost_ticks - cost) >> IDLE_SPELL_WEIGHT_SHIFT;
	}
}

uint64_t usk_cpu_time_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) {
		return 0;
	}
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
