/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NVMe-oF target's private structures.
 *
 * Threads: the model (subsystems, namespaces, hosts, listeners) and every
 * controller live on the target thread (the app thread that set the
 * target up; RPC methods run there). Each connection (a queue pair) lives
 * on one poll group, a usk_thread per reactor. I/O commands run on the
 * queue pair's thread against the bdevs; Fabrics and admin commands are
 * sent to the target thread as messages and their completions come back
 * the same way, so the model is only ever touched on one thread. Two
 * exceptions, which I/O reads: the namespace table, where a slot is
 * published with a release store once its namespace is whole, and a
 * namespace is freed only after every poll group has let go of it; and a
 * controller's CC, a word Property Set writes atomically.
 */
#ifndef USK_NVMF_INTERNAL_H
#define USK_NVMF_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/uio.h>

#include "usk/bdev.h"
#include "usk/json.h"
#include "usk/nvme_spec.h"
#include "usk/nvmf_spec.h"
#include "usk/rpc.h"
#include "usk/thread.h"
#include "usk/uuid.h"

#define NVMF_MAX_NAMESPACES 32 /* per subsystem: Identify's NN */
#define NVMF_MAX_GROUPS	    64 /* poll groups: one per reactor */
#define NVMF_MAX_AER	    4  /* Asynchronous Event Requests kept per controller */
#define NVMF_MAX_CNTLID	    0xffef
#define NVMF_SN_LEN	    20
#define NVMF_MN_LEN	    40
#define NVMF_ADMIN_ICD_SIZE 8192 /* in-capsule data on admin queues (NVMe/TCP 1.0, 3.6.2.x) */
/* The composite temperature reported: a bdev has no sensor; a plausible room temperature. */
#define NVMF_COMPOSITE_TEMPERATURE_K (273 + 25)
#define NVMF_KA_POLL_US	    100000

/* Transport options, SPDK's names (nvmf_create_transport). */
struct nvmf_transport_opts {
	uint32_t max_queue_depth;
	uint32_t max_io_qpairs_per_ctrlr;
	uint32_t in_capsule_data_size;
	uint32_t max_io_size;
	uint32_t io_unit_size;
	uint32_t max_aq_depth;
	uint32_t num_shared_buffers;
	uint32_t buf_cache_size;
	/*
	 * Microseconds between a busy reactor's looks at its listeners: an
	 * accept that finds no connection costs the kernel a socket made and
	 * freed, so looking on every pass was most of a loaded target's time.
	 */
	uint32_t acceptor_poll_rate;
	bool c2h_success;
};

/* The defaults SPDK's TCP transport has. */
void nvmf_transport_opts_default(struct nvmf_transport_opts *o);
/* 0, or -EINVAL with @why (static text) naming the field at fault. */
int nvmf_transport_opts_check(const struct nvmf_transport_opts *o, const char **why);

struct nvmf_tcp_listener;

/* A subsystem's listen address; the transport's listener is shared by subsystems. */
struct nvmf_listener {
	char traddr[64];
	char trsvcid[32];
	bool ipv6;
	struct nvmf_tcp_listener *tl;
	TAILQ_ENTRY(nvmf_listener) link;
};

struct nvmf_host {
	char nqn[USK_NVMF_NQN_FIELD_LEN];
	TAILQ_ENTRY(nvmf_host) link;
};

struct nvmf_ns {
	uint32_t nsid;
	char *bdev_name;
	struct usk_bdev_desc *desc;
	struct usk_bdev *bdev;
	struct usk_uuid uuid;
	/* Each poll group's channel, got and put on that group's thread. */
	struct usk_io_channel *ch[NVMF_MAX_GROUPS];
};

struct nvmf_ctrlr;

struct nvmf_subsystem {
	char nqn[USK_NVMF_NQN_FIELD_LEN];
	char sn[NVMF_SN_LEN + 1];
	char mn[NVMF_MN_LEN + 1];
	bool discovery;
	bool allow_any_host;
	bool deleting;
	uint32_t max_namespaces;
	uint16_t min_cntlid, max_cntlid, next_cntlid;
	struct nvmf_ns *ns[NVMF_MAX_NAMESPACES]; /* by nsid - 1; see the header comment */
	TAILQ_HEAD(, nvmf_host) hosts;
	TAILQ_HEAD(, nvmf_listener) listeners;
	TAILQ_HEAD(, nvmf_ctrlr) ctrlrs;
	TAILQ_ENTRY(nvmf_subsystem) link;
};

/* Data direction of a command: opcode bits 1:0 (for Fabrics, FCTYPE's). */
enum nvmf_xfer {
	NVMF_XFER_NONE = 0,
	NVMF_XFER_TO_CTRLR = 1,
	NVMF_XFER_TO_HOST = 2,
};

struct nvmf_qpair;

/* One command, from its capsule to its response; the transport embeds it. */
struct nvmf_req {
	struct nvmf_qpair *qpair;
	struct usk_nvme_sqe cmd;
	struct usk_nvme_cqe rsp;
	uint8_t *data; /* the command's data, length bytes, or NULL */
	uint32_t length;
	enum nvmf_xfer xfer;
	/* I/O path. */
	struct nvmf_ns *ns;
	struct usk_io_channel *ch;
	struct usk_bdev_io_wait_entry io_wait;
	uint32_t sub_next; /* Dataset Management: the range being deallocated; FUA write: 1 once written */
	/* On the target thread: an AER kept pending. */
	TAILQ_ENTRY(nvmf_req) link;
};

struct nvmf_qpair_ops {
	/* Send the response of @req (rsp filled in), on the queue pair's thread. */
	void (*complete)(struct nvmf_req *req);
	/* Close the connection, on the queue pair's thread (the target asks). */
	void (*disconnect)(struct nvmf_qpair *qpair);
	/* The target let go of the queue pair: free it, on its thread. */
	void (*release)(struct nvmf_qpair *qpair);
};

struct nvmf_poll_group;

struct nvmf_qpair {
	const struct nvmf_qpair_ops *ops;
	struct nvmf_poll_group *group;
	struct usk_thread *thread;
	uint32_t group_index; /* its poll group's: which namespace channels it uses */
	/*
	 * The listener the host came in on, by its id: the listener may be
	 * freed while the connection lives, and a new one may take its memory.
	 */
	uint64_t listener_id;
	struct nvmf_ctrlr *ctrlr;     /* on the qpair's thread: set once Connect succeeded */
	struct nvmf_ctrlr *tgt_ctrlr; /* the same, as the target thread knows it */
	uint16_t qid;
	uint16_t sqsize; /* entries, 1's based */
	uint16_t sq_head;
	bool sqflow_off;
	char peer[64]; /* "addr port", for logs */
};

struct nvmf_ctrlr {
	struct nvmf_subsystem *subsys;
	uint16_t cntlid;
	char hostnqn[USK_NVMF_NQN_FIELD_LEN];
	uint8_t hostid[16];
	uint32_t cc;
	uint32_t csts;
	uint32_t kato_ms;
	uint64_t ka_deadline;	/* tick */
	uint32_t num_io_queues; /* granted by Set Features, 1's based */
	uint32_t aec;		/* Asynchronous Event Configuration */
	uint32_t power_management; /* its CDW11: power state 0, the workload hint set */
	uint16_t temp_over_k;	   /* Temperature Threshold, composite sensor, Kelvin */
	uint16_t temp_under_k;
	uint16_t tler;		     /* Error Recovery's Time Limited Error Recovery */
	uint32_t write_atomicity_dn; /* Write Atomicity Normal's Disable Normal */
	struct nvmf_qpair *admin;
	struct nvmf_qpair **io; /* by qid - 1, num_io_max of them */
	uint32_t num_io_max;
	uint32_t nqpairs;
	bool disconnecting;
	TAILQ_HEAD(, nvmf_req) aers;
	uint32_t naers;
	bool ns_changed_pending; /* an event not yet reported (no AER was waiting) */
	bool ns_changed_masked;	 /* reported, its log page not read yet: no second event */
	bool temp_crossing_seen; /* the thresholds are crossed, and that was looked at */
	bool temp_event_pending; /* a crossing to report (no AER was waiting) */
	bool smart_masked;	 /* a SMART / Health event reported, its log page not read yet */
	uint32_t changed_ns[NVMF_MAX_NAMESPACES];
	uint32_t nchanged;
	TAILQ_ENTRY(nvmf_ctrlr) link;
};

/* The target: one per process. */
struct nvmf_tgt {
	struct usk_thread *thread;
	bool has_transport;
	struct nvmf_transport_opts opts;
	TAILQ_HEAD(, nvmf_subsystem) subsystems;
	struct nvmf_subsystem *discovery;
	uint64_t discovery_genctr;
	struct nvmf_poll_group *groups[NVMF_MAX_GROUPS];
	uint32_t ngroups;
	uint32_t next_group;
	/* Runs only while a controller exists: an idle target does not wake for it. */
	struct usk_poller *ka_poller;
	uint32_t nctrlrs;
};

extern struct nvmf_tgt g_nvmf;

/* nvmf_subsystem.c: the model, on the target thread. */
struct nvmf_subsystem *nvmf_subsystem_find(const char *nqn);
int nvmf_subsystem_create(const char *nqn, bool discovery, struct nvmf_subsystem **out);
void nvmf_subsystem_free(struct nvmf_subsystem *s);
int nvmf_subsystem_set_sn(struct nvmf_subsystem *s, const char *sn);
int nvmf_subsystem_set_mn(struct nvmf_subsystem *s, const char *mn);
int nvmf_subsystem_add_host(struct nvmf_subsystem *s, const char *hostnqn);
int nvmf_subsystem_remove_host(struct nvmf_subsystem *s, const char *hostnqn);
bool nvmf_subsystem_host_allowed(const struct nvmf_subsystem *s, const char *hostnqn);
int nvmf_subsystem_add_ns(struct nvmf_subsystem *s, const char *bdev_name, uint32_t nsid,
			  const struct usk_uuid *uuid, uint32_t *nsid_out);
int nvmf_subsystem_add_listener(struct nvmf_subsystem *s, const char *traddr, const char *trsvcid,
				bool ipv6);
int nvmf_subsystem_remove_listener(struct nvmf_subsystem *s, const char *traddr,
				   const char *trsvcid);
/* Close every listen address of @s (at shutdown). */
void nvmf_subsystem_stop_listening(struct nvmf_subsystem *s);
bool nvmf_subsystem_listener_allowed(const struct nvmf_subsystem *s, uint64_t listener_id);
uint32_t nvmf_subsystem_ns_count(const struct nvmf_subsystem *s);
/* Whether @nqn is an NQN as base 4.5 spells them (length, "nqn." prefix, printable). */
bool nvmf_nqn_is_valid(const char *nqn);
/* Delete: disconnect its hosts, release the namespaces, then @done(@ctx). */
int nvmf_subsystem_delete(struct nvmf_subsystem *s, void (*done)(void *ctx), void *ctx);

/* nvmf_tgt.c. */
void nvmf_tgt_write_config(struct usk_json_write_ctx *w);
int nvmf_tgt_create_transport(const struct nvmf_transport_opts *opts);
/* Run @fn(@group, @ctx) on every poll group's thread, then @cpl(@ctx) on the target thread. */
int nvmf_tgt_for_each_group(void (*fn)(struct nvmf_poll_group *g, void *ctx), void *ctx,
			    void (*cpl)(void *ctx));

/* nvmf_rpc.c, nvmf_rpc_subsystem.c. */
int nvmf_rpc_register(void);
int nvmf_rpc_subsystem_register(void);
/* The members of a listen address, a namespace, the transport's options, as SPDK names them
 * (for save_config and the get methods alike); a subsystem's serial and model numbers,
 * namespace and controller ID limits (nvmf_create_subsystem's parameters but its nqn and
 * allow_any_host). */
void nvmf_rpc_write_subsystem_params(struct usk_json_write_ctx *w, const struct nvmf_subsystem *s);
void nvmf_rpc_write_listener(struct usk_json_write_ctx *w, const struct nvmf_listener *l);
void nvmf_rpc_write_ns(struct usk_json_write_ctx *w, const struct nvmf_ns *ns);
void nvmf_rpc_write_transport_opts(struct usk_json_write_ctx *w);

/* nvmf_ctrlr.c: Fabrics commands and controller lifetimes, on the target thread. */
/* On the queue pair's thread: run an admin or Fabrics command on the target thread. */
void nvmf_ctrlr_forward(struct nvmf_req *req);
/* On the queue pair's thread: the queue pair is closed and idle; the target lets go of it. */
void nvmf_ctrlr_detach_qpair(struct nvmf_qpair *qpair);
void nvmf_ctrlr_disconnect(struct nvmf_ctrlr *c);
void nvmf_ctrlr_destroy_all(struct nvmf_subsystem *s);
/* Close the queue pairs of @s's controllers that came in on listener @listener_id. */
void nvmf_ctrlr_disconnect_listener(struct nvmf_subsystem *s, uint64_t listener_id);
int nvmf_ctrlr_keep_alive_poll(void *ctx);
/* On the target thread: @c's Keep Alive Timeout is now @kato_ms, counted from this poll. */
void nvmf_ctrlr_set_kato(struct nvmf_ctrlr *c, uint32_t kato_ms);
void nvmf_ctrlr_notify_ns_changed(struct nvmf_subsystem *s, uint32_t nsid);
/* Answer @req from the target thread: its response goes back to its queue pair. */
void nvmf_ctrlr_req_done(struct nvmf_req *req);

/*
 * Whether @c is enabled (CC.EN): one that is not, before the host enables it
 * or after it reset it, runs Fabrics commands only. On any thread.
 */
static inline bool nvmf_ctrlr_enabled(const struct nvmf_ctrlr *c)
{
	return (__atomic_load_n(&c->cc, __ATOMIC_RELAXED) & USK_NVME_CC_EN) != 0;
}

/*
 * Whether @c takes I/O: enabled, and no shutdown notice (CC.SHN) since;
 * a shut down controller needs a reset before it runs commands again
 * (base 3.6). On any thread.
 */
static inline bool nvmf_ctrlr_io_ready(const struct nvmf_ctrlr *c)
{
	uint32_t cc = __atomic_load_n(&c->cc, __ATOMIC_RELAXED);

	return (cc & (USK_NVME_CC_EN | USK_NVME_CC_SHN_MASK)) == USK_NVME_CC_EN;
}

/* nvmf_admin.c: admin commands of a connected controller, on the target thread. */
/* Returns false when the command stays pending (an AER). */
bool nvmf_admin_exec(struct nvmf_ctrlr *c, struct nvmf_req *req);
/* Complete a waiting AER with the namespace-changed event, if one is due and an AER waits. */
void nvmf_admin_send_pending_event(struct nvmf_ctrlr *c);
/* @src into the @size bytes of @dst, padded with spaces, no NUL: Identify's and the
 * discovery log's text fields. */
void nvmf_put_space_padded(char *dst, size_t size, const char *src);
void nvmf_admin_fill_ctrlr_data(const struct nvmf_ctrlr *c, struct usk_nvme_ctrlr_data *cd);

/* nvmf_features.c: Set and Get Features, on the target thread. */
/* A new controller's features, at their defaults. */
void nvmf_features_init(struct nvmf_ctrlr *c);
void nvmf_admin_set_features(struct nvmf_ctrlr *c, struct nvmf_req *req);
void nvmf_admin_get_features(struct nvmf_ctrlr *c, struct nvmf_req *req);
/* Whether the composite temperature is over or under the host's thresholds. */
bool nvmf_features_temperature_crossed(const struct nvmf_ctrlr *c);

/* nvmf_discovery.c. */
/* The discovery log for @hostnqn into @buf (@len bytes, from byte @offset of the log). */
void nvmf_discovery_log(const char *hostnqn, uint64_t offset, uint8_t *buf, uint32_t len);

/* nvmf_io.c: I/O commands on the queue pair's thread. */
void nvmf_io_exec(struct nvmf_req *req);
/* The namespace table slot @nsid of @s, as I/O reads it (NULL: none). */
struct nvmf_ns *nvmf_ns_get(const struct nvmf_subsystem *s, uint32_t nsid);

/* nvmf_req.c: what every transport does with a command. */
/* @req's response status. */
void nvmf_req_set_status(struct nvmf_req *req, int sct, int sc);
/* A command is in, with its data: run it. */
void nvmf_req_exec(struct nvmf_req *req);
/* The command is done: fill the response's identity and send it. */
void nvmf_req_complete(struct nvmf_req *req);
/* The data direction @cmd declares. */
enum nvmf_xfer nvmf_req_xfer(const struct usk_nvme_sqe *cmd);

/* nvmf_poll_group.c. */
struct nvmf_poll_group;
int nvmf_poll_group_create(uint32_t index, int core, struct nvmf_poll_group **out);
uint32_t nvmf_poll_group_index(const struct nvmf_poll_group *g);
struct usk_thread *nvmf_poll_group_thread(const struct nvmf_poll_group *g);
struct usk_sock;
/* Hand a new connection to the group (from the target thread); takes @sock on success. */
int nvmf_poll_group_add_sock(struct nvmf_poll_group *g, struct usk_sock *sock,
			     uint64_t listener_id);
/* Close the group's connections, let go of everything, exit its thread, then @stopped(@ctx)
 * on the target thread; nvmf_poll_group_free() after that. */
int nvmf_poll_group_stop(struct nvmf_poll_group *g, void (*stopped)(void *ctx), void *ctx);
void nvmf_poll_group_free(struct nvmf_poll_group *g);
/* On the group's thread: put its channels to @s's namespaces. */
void nvmf_poll_group_put_channels(struct nvmf_poll_group *g, struct nvmf_subsystem *s);

/* nvmf_tcp*.c: the TCP transport. */
int nvmf_tcp_listener_get(const char *traddr, const char *trsvcid, struct nvmf_tcp_listener **out);
void nvmf_tcp_listener_put(struct nvmf_tcp_listener *tl);
/* Never reused by another listener, unlike its address. */
uint64_t nvmf_tcp_listener_id(const struct nvmf_tcp_listener *tl);

#endif /* USK_NVMF_INTERNAL_H */
