/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A scripted NVMe/TCP target for the initiator's unit tests: it listens on
 * 127.0.0.1 (an ephemeral port), serves each connection on a thread of its
 * own with blocking sockets, and answers what a host sends at bring-up and
 * for I/O from one 1 MiB namespace of 4 KiB blocks in memory. Its options
 * script the faults: refusals, no in-capsule data, small MAXH2CDATA, a
 * bad data digest, bytes dribbled out, a connection dropped under I/O, a
 * broken C2HData; it keeps the H2CTermReq a host ends a connection with.
 * The test may hold back its answers to the bring-up's exchanges (ICReq,
 * Connect, Property Get/Set) and let them go one at a time, or never.
 */
#ifndef UT_TCP_TARGET_H
#define UT_TCP_TARGET_H

#include <stdbool.h>
#include <stdint.h>

#define UT_TCP_TARGET_BLOCKS	 256
#define UT_TCP_TARGET_BLOCK_SIZE 4096

/* What a discovery log served by the target breaks (ut_tcp_target_disc.c). */
enum ut_tcp_target_disc_fault {
	UT_DISC_FAULT_NONE,
	UT_DISC_FAULT_NUMREC_HUGE,	/* NUMREC 2^40 */
	UT_DISC_FAULT_RECFMT,		/* record format 1 */
	UT_DISC_FAULT_NQN_UNTERMINATED, /* entry 1's SUBNQN: 256 letters, no NUL */
	UT_DISC_FAULT_NO_OFFSETS,	/* Identify Controller LPA bit 2 clear */
};

/*
 * A discovery controller: Identify Controller says CNTRLTYPE 2, Get Log
 * Page 70h serves @entries entries (entry i: TCP, IPv4, 127.0.0.1, port
 * 4420 + i, subsystem "nqn.2026-12.io.usk:ut-disc-<i>", port ID i), and
 * the commands only an I/O controller takes are refused and counted.
 */
struct ut_tcp_target_disc {
	bool enabled;
	uint32_t entries;
	/*
	 * The log changes (generation counter + 1) each time its second page
	 * (offset 4096) is read, this many times; with @grow each change adds
	 * an entry too.
	 */
	uint32_t changes;
	bool grow;
	enum ut_tcp_target_disc_fault fault;
};

/* How the first C2HData of an I/O queue's read is broken, to make the host end the connection. */
enum ut_tcp_bad_read {
	UT_TCP_READ_OK = 0,
	UT_TCP_READ_BAD_HDGST, /* a wrong header digest */
	UT_TCP_READ_BAD_DATAO, /* data at offset 4096 first, not 0 */
	UT_TCP_READ_HUGE,      /* a header whose PLEN says 64 MiB (only the header goes) */
};

/* The H2CTermReq a host sent. */
struct ut_tcp_term_req {
	uint16_t fes;
	uint32_t fei;
	uint32_t data_len; /* the header at fault, as the host returned it */
	uint8_t data[128];
};

struct ut_tcp_target_opts {
	bool refuse_host;	   /* Connect: Connect Invalid Host */
	uint32_t maxh2cdata;	   /* ICResp's MAXH2CDATA (default 8192) */
	uint32_t in_capsule;	   /* I/O in-capsule bytes, IOCCSZ (default 0: R2T for every write) */
	uint16_t icdoff;	   /* Identify Controller's ICDOFF (16-byte units) */
	bool grant_digests;	   /* grant the digests ICReq asks for */
	bool corrupt_read_ddgst;   /* the first C2HData of a read has a wrong data digest */
	bool dribble;		   /* every PDU goes out a few bytes at a time */
	bool c2h_success;	   /* reads end with C2HData's SUCCESS flag, no CapsuleResp */
	uint32_t drop_after_io;	   /* close every connection at the Nth I/O command, unanswered */
	uint32_t drop_at_io;	   /* close the connection of the Nth I/O command, once */
	/* Refuse I/O queue Connects (Invalid Parameters) from the Nth on, this many (0: all). */
	uint32_t refuse_io_connect_from;
	uint32_t refuse_io_connects;
	bool silent_keep_alive;		/* Keep Alive is counted, never answered (a hung target) */
	struct ut_tcp_target_disc disc; /* a discovery controller, when disc.enabled */
	enum ut_tcp_bad_read bad_read;
};

struct ut_tcp_target;

/* Starts the target; *@port gets the port it listens on. Returns 0 or -errno. */
int ut_tcp_target_start(const struct ut_tcp_target_opts *opts, struct ut_tcp_target **target,
			uint16_t *port);
/* Stops it: closes the listener and every connection, joins the threads. */
void ut_tcp_target_stop(struct ut_tcp_target *target);
/* H2CData PDUs received, and the largest one's data length. */
uint32_t ut_tcp_target_h2c_pdus(struct ut_tcp_target *target, uint32_t *largest);
/* In-capsule writes received. */
uint32_t ut_tcp_target_in_capsule_writes(struct ut_tcp_target *target);
/* Discovery: Get Log Page commands answered, and admin commands refused as not for it. */
uint32_t ut_tcp_target_disc_reads(struct ut_tcp_target *target, uint32_t *refused);
/* The KATO of the last admin queue's Connect, in ms. */
uint32_t ut_tcp_target_connect_kato(struct ut_tcp_target *target);
/* Keep Alive commands received (answered, unless silent_keep_alive). */
uint32_t ut_tcp_target_keep_alives(struct ut_tcp_target *target);
/* I/O queues' Connects received, refused ones included. */
uint32_t ut_tcp_target_io_connects(struct ut_tcp_target *target);
/* Refused I/O queue Connects whose connection the host then closed: refusals it has taken. */
uint32_t ut_tcp_target_refusals_taken(struct ut_tcp_target *target);

/*
 * Steps of every target in the process: a connection taken or ended, a
 * request reaching the hold gate, a PDU handled (its answer sent). A test
 * reads the count, polls its host, and if that left it waiting, waits for
 * the count to pass what it read.
 */
uint64_t ut_tcp_target_steps(void);
/* Waits until the count of steps passes @seen, @ms at most; whether it did. */
bool ut_tcp_target_wait_steps(uint64_t seen, uint32_t ms);

/*
 * ut_tcp_target_disc.c: bytes [@offset, @offset + @len) of the discovery
 * log @d describes at generation @genctr with @entries entries, into @buf.
 */
void ut_tcp_target_disc_log(const struct ut_tcp_target_disc *d, uint64_t genctr, uint32_t entries,
			    uint64_t offset, uint8_t *buf, uint32_t len);

/* H2CTermReqs received; the first one into *@first when there was one. */
uint32_t ut_tcp_target_term_reqs(struct ut_tcp_target *target, struct ut_tcp_term_req *first);

/*
 * From now on, answers to ICReq and Fabrics commands (Connect, Property
 * Get/Set) wait until ut_tcp_target_release() lets them go (@hold true),
 * or go as they come (false: those held go too).
 */
void ut_tcp_target_hold(struct ut_tcp_target *target, bool hold);
/* Answers held back now: requests received and not yet answered. */
uint32_t ut_tcp_target_held(struct ut_tcp_target *target);
/*
 * Waits until @count answers are held back; false after 30 s of real time
 * (a bound for a hung test, not an oracle).
 */
bool ut_tcp_target_wait_held(struct ut_tcp_target *target, uint32_t count);
/* Lets @count held answers go (those held later, once they come), oldest first. */
void ut_tcp_target_release(struct ut_tcp_target *target, uint32_t count);

#endif /* UT_TCP_TARGET_H */
