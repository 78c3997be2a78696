/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * How long an idle poller keeps polling before it sleeps: the rent-or-buy
 * rule. Polling costs its thread's CPU for as long as it lasts; a sleep
 * costs a fixed price (arming the interrupt sources, going to sleep, the
 * wake, disarming). Polling for as long as a sleep costs, then sleeping,
 * never spends more than twice what knowing the future would have: a gap
 * shorter than the spell costs what it lasts, a longer one the spell plus
 * a sleep. The price is measured on the sleeps themselves (the thread's
 * CPU time from arming to disarming) and kept as a moving average, bounded
 * below (a smaller measure is noise: a sleep is at least two system calls
 * and two context switches) and above (a user's limit on the spell).
 *
 * A caller that knows nothing can happen for a while (nothing in flight,
 * its next own event known) sleeps at once when that while is longer than
 * the spell: the gap is no longer a guess.
 *
 * The reactors use it when they sleep idle (usk_app_opts.idle_sleep), and
 * usk_nvme_perf --adaptive in its own loop: an embedder that runs its own
 * polling loop over interrupt sources can too.
 *
 * Thread rules: an idle spell belongs to one thread (a reactor, a perf
 * worker); usk_cpu_time_ns() may be called from any thread.
 */
#ifndef USK_IDLE_SPELL_H
#define USK_IDLE_SPELL_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* libusk is built with -fvisibility=hidden: what is declared here is its API. */
#pragma GCC visibility push(default)

/** The shortest spell, in microseconds, whatever the sleeps measured. */
#define USK_IDLE_SPELL_MIN_US 5
/**
 * The spell before a sleep is measured, in microseconds: about what one
 * cost in the VM lab (arming and disarming an NVMe queue pair's vector
 * took 19 and 14 us there, the wake more). Too long a first guess would
 * never be corrected where the gaps between work are shorter than it:
 * the thread would never sleep, so never measure.
 */
#define USK_IDLE_SPELL_FIRST_US 100

/** One thread's idle spell: its bounds and what its sleeps cost. All in ticks. */
struct usk_idle_spell {
	uint64_t min_ticks;
	uint64_t max_ticks;
	uint64_t cost_ticks; /**< the sleeps' moving average, or the first guess */
	uint64_t sleeps;     /**< sleeps measured */
};

/**
 * Start a spell with no sleep measured: until one is, the spell is
 * @p first_ticks, within the bounds.
 *
 * @param spell the spell
 * @param min_ticks the shortest spell (lowered to @p max_ticks when above it)
 * @param max_ticks the longest spell
 * @param first_ticks the guess before a sleep is measured
 */
void usk_idle_spell_init(struct usk_idle_spell *spell, uint64_t min_ticks, uint64_t max_ticks,
			 uint64_t first_ticks);

/** @return how long polls must find nothing before the thread sleeps, in ticks. */
uint64_t usk_idle_spell_ticks(const struct usk_idle_spell *spell);

/**
 * Whether to sleep now.
 *
 * @param spell the spell
 * @param idle_ticks how long polls have found nothing
 * @param quiet_ticks how long the caller knows nothing will happen (nothing
 *        in flight, its next own event that far away); 0 when it does not know
 * @return true when the idle time has reached the spell, or the known quiet
 *         time is longer than it
 */
bool usk_idle_spell_over(const struct usk_idle_spell *spell, uint64_t idle_ticks,
			 uint64_t quiet_ticks);

/**
 * Record what one sleep cost, from the first arm to the last disarm, in
 * the thread's CPU time converted to ticks: the first replaces the guess,
 * the next ones move the average. A measure above the upper bound counts
 * as the bound (a preemption inside the measure is not the sleep's price).
 *
 * @param spell the spell
 * @param cost_ticks the sleep's cost
 */
void usk_idle_spell_add_sleep(struct usk_idle_spell *spell, uint64_t cost_ticks);

/** @return the CPU time (user and system) the calling thread has used, in ns; 0 if unknown. */
uint64_t usk_cpu_time_ns(void);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* USK_IDLE_SPELL_H */
