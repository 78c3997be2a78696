/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The subsystem model: subsystems with their identity, the hosts allowed
 * in, the namespaces (bdevs) and the addresses they listen on. Everything
 * here runs on the target thread.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "usk/log.h"
#include "usk/util.h"
#include "usk_internal/utf8.h"
#include "nvmf_internal.h"

struct nvmf_tgt g_nvmf = {
	.subsystems = TAILQ_HEAD_INITIALIZER(g_nvmf.subsystems),
};

/* Base 4.5: UTF-8, at most 223 bytes; USK also keeps out spaces and control characters. */
bool nvmf_nqn_is_valid(const char *nqn)
{
	const unsigned char *s = (const unsigned char *)nqn;
	size_t len = strlen(nqn);

	if (len < 5 || len > USK_NVMF_NQN_MAX_LEN || strncmp(nqn, "nqn.", 4) != 0) {
		return false;
	}
	for (size_t i = 0; i < len;) {
		size_t n = s[i] < 0x80 ? (isgraph(s[i]) != 0) : utf8_char_len(s + i, len - i);

		if (n == 0) {
			return false;
		}
		i += n;
	}
	return true;
}

struct nvmf_subsystem *nvmf_subsystem_find(const char *nqn)
{
	struct nvmf_subsystem *s;

	TAILQ_FOREACH(s, &g_nvmf.subsystems, link) {
		if (strcmp(s->nqn, nqn) == 0) {
			return s;
		}
	}
	return NULL;
}

int nvmf_subsystem_create(const char *nqn, bool discovery, struct nvmf_subsystem **out)
{
	struct nvmf_subsystem *s;

	if (!nvmf_nqn_is_valid(nqn)) {
		return -EINVAL;
	}
	if (nvmf_subsystem_find(nqn) != NULL) {
		return -EEXIST;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		return -ENOMEM;
	}
	strcpy(s->nqn, nqn);
	memset(s->sn, '0', NVMF_SN_LEN);
	strcpy(s->mn, "USK bdev Controller");
	s->discovery = discovery;
	s->allow_any_host = discovery;
	s->max_namespaces = NVMF_MAX_NAMESPACES;
	s->min_cntlid = 1;
	s->max_cntlid = NVMF_MAX_CNTLID;
	s->next_cntlid = 1;
	TAILQ_INIT(&s->hosts);
	TAILQ_INIT(&s->listeners);
	TAILQ_INIT(&s->ctrlrs);
	TAILQ_INSERT_TAIL(&g_nvmf.subsystems, s, link);
	g_nvmf.discovery_genctr++;
	*out = s;
	return 0;
}

/* Fields of Identify Controller are ASCII, printable: a bad one would show in every host's log. */
static int set_ascii(char *dst, size_t max, const char *src)
{
	size_t len = strlen(src);

	if (len == 0 || len > max) {
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		if (src[i] < 0x20 || src[i] > 0x7e) {
			return -EINVAL;
		}
	}
	memcpy(dst, src, len + 1);
	return 0;
}

int nvmf_subsystem_set_sn(struct nvmf_subsystem *s, const char *sn)
{
	return set_ascii(s->sn, NVMF_SN_LEN, sn);
}

int nvmf_subsystem_set_mn(struct nvmf_subsystem *s, const char *mn)
{
	return set_ascii(s->mn, NVMF_MN_LEN, mn);
}

static struct nvmf_host *host_find(const struct nvmf_subsystem *s, const char *hostnqn)
{
	struct nvmf_host *h;

	TAILQ_FOREACH(h, &s->hosts, link) {
		if (strcmp(h->nqn, hostnqn) == 0) {
			return h;
		}
	}
	return NULL;
}

int nvmf_subsystem_add_host(struct nvmf_subsystem *s, const char *hostnqn)
{
	struct nvmf_host *h;

	if (!nvmf_nqn_is_valid(hostnqn)) {
		return -EINVAL;
	}
	if (host_find(s, hostnqn) != NULL) {
		return -EEXIST;
	}
	h = calloc(1, sizeof(*h));
	if (h == NULL) {
		return -ENOMEM;
	}
	strcpy(h->nqn, hostnqn);
	TAILQ_INSERT_TAIL(&s->hosts, h, link);
	g_nvmf.discovery_genctr++;
	return 0;
}

/* As SPDK: controllers the host already has stay; only new connections are refused. */
int nvmf_subsystem_remove_host(struct nvmf_subsystem *s, const char *hostnqn)
{
	struct nvmf_host *h = host_find(s, hostnqn);

	if (h == NULL) {
		return -ENOENT;
	}
	TAILQ_REMOVE(&s->hosts, h, link);
	free(h);
	g_nvmf.discovery_genctr++;
	return 0;
}

bool nvmf_subsystem_host_allowed(const struct nvmf_subsystem *s, const char *hostnqn)
{
	return s->allow_any_host || host_find(s, hostnqn) != NULL;
}

uint32_t nvmf_subsystem_ns_count(const struct nvmf_subsystem *s)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < NVMF_MAX_NAMESPACES; i++) {
		n += s->ns[i] != NULL;
	}
	return n;
}

/* The namespace's bdev goes away: its hosts see I/O fail; the namespace stays until deleted. */
static void ns_bdev_event(enum usk_bdev_event_type type, struct usk_bdev *bdev, void *ctx)
{
	struct nvmf_ns *ns = ctx;

	if (type == USK_BDEV_EVENT_REMOVE) {
		USK_WARNLOG("nvmf: namespace %u: bdev '%s' is being removed; delete the "
			    "subsystem to let it go",
			    ns->nsid, ns->bdev_name);
	}
}

static uint32_t ns_free_slot(const struct nvmf_subsystem *s)
{
	for (uint32_t i = 0; i < s->max_namespaces && i < NVMF_MAX_NAMESPACES; i++) {
		if (s->ns[i] == NULL) {
			return i + 1;
		}
	}
	return 0;
}

int nvmf_subsystem_add_ns(struct nvmf_subsystem *s, const char *bdev_name, uint32_t nsid,
			  const struct usk_uuid *uuid, uint32_t *nsid_out)
{
	struct nvmf_ns *ns;
	int rc;

	if (s->discovery) {
		return -EPERM;
	}
	if (nsid == 0) {
		nsid = ns_free_slot(s);
		if (nsid == 0) {
			return -ENOSPC;
		}
	}
	if (nsid > s->max_namespaces || nsid > NVMF_MAX_NAMESPACES) {
		return -ERANGE;
	}
	if (s->ns[nsid - 1] != NULL) {
		return -EEXIST;
	}
	ns = calloc(1, sizeof(*ns));
	if (ns == NULL) {
		return -ENOMEM;
	}
	ns->nsid = nsid;
	ns->bdev_name = strdup(bdev_name);
	rc = ns->bdev_name == NULL ? -ENOMEM
				   : usk_bdev_open(bdev_name, true, ns_bdev_event, ns, &ns->desc);
	if (rc != 0) {
		free(ns->bdev_name);
		free(ns);
		return rc;
	}
	ns->bdev = usk_bdev_desc_get_bdev(ns->desc);
	if (usk_bdev_get_md_size(ns->bdev) != 0) {
		usk_bdev_close(ns->desc);
		free(ns->bdev_name);
		free(ns);
		return -ENOTSUP;
	}
	ns->uuid = uuid != NULL && !usk_uuid_is_nil(uuid) ? *uuid : *usk_bdev_get_uuid(ns->bdev);
	/* I/O on the poll groups reads the slot: the namespace is whole before it shows. */
	__atomic_store_n(&s->ns[nsid - 1], ns, __ATOMIC_RELEASE);
	nvmf_ctrlr_notify_ns_changed(s, nsid);
	*nsid_out = nsid;
	return 0;
}

static struct nvmf_listener *listener_find(const struct nvmf_subsystem *s, const char *traddr,
					   const char *trsvcid)
{
	struct nvmf_listener *l;

	TAILQ_FOREACH(l, &s->listeners, link) {
		if (strcmp(l->traddr, traddr) == 0 && strcmp(l->trsvcid, trsvcid) == 0) {
			return l;
		}
	}
	return NULL;
}

int nvmf_subsystem_add_listener(struct nvmf_subsystem *s, const char *traddr, const char *trsvcid,
				bool ipv6)
{
	struct nvmf_listener *l;
	int rc;

	if (strlen(traddr) >= sizeof(l->traddr) || strlen(trsvcid) >= sizeof(l->trsvcid)) {
		return -EINVAL;
	}
	if (listener_find(s, traddr, trsvcid) != NULL) {
		return -EEXIST;
	}
	l = calloc(1, sizeof(*l));
	if (l == NULL) {
		return -ENOMEM;
	}
	rc = nvmf_tcp_listener_get(traddr, trsvcid, &l->tl);
	if (rc != 0) {
		free(l);
		return rc;
	}
	strcpy(l->traddr, traddr);
	strcpy(l->trsvcid, trsvcid);
	l->ipv6 = ipv6;
	TAILQ_INSERT_TAIL(&s->listeners, l, link);
	g_nvmf.discovery_genctr++;
	return 0;
}

static void listener_free(struct nvmf_subsystem *s, struct nvmf_listener *l)
{
	TAILQ_REMOVE(&s->listeners, l, link);
	nvmf_tcp_listener_put(l->tl);
	free(l);
	g_nvmf.discovery_genctr++;
}

int nvmf_subsystem_remove_listener(struct nvmf_subsystem *s, const char *traddr,
				   const char *trsvcid)
{
	struct nvmf_listener *l = listener_find(s, traddr, trsvcid);

	if (l == NULL) {
		return -ENOENT;
	}
	nvmf_ctrlr_disconnect_listener(s, nvmf_tcp_listener_id(l->tl));
	listener_free(s, l);
	return 0;
}

void nvmf_subsystem_stop_listening(struct nvmf_subsystem *s)
{
	struct nvmf_listener *l;

	while ((l = TAILQ_FIRST(&s->listeners)) != NULL) {
		listener_free(s, l);
	}
}

/* The discovery subsystem answers on every address the target listens on, as SPDK's. */
bool nvmf_subsystem_listener_allowed(const struct nvmf_subsystem *s, uint64_t listener_id)
{
	const struct nvmf_listener *l;

	if (s->discovery) {
		return true;
	}
	TAILQ_FOREACH(l, &s->listeners, link) {
		if (nvmf_tcp_listener_id(l->tl) == listener_id) {
			return true;
		}
	}
	return false;
}

/* Only once no controller and no poll group holds anything of it. */
void nvmf_subsystem_free(struct nvmf_subsystem *s)
{
	struct nvmf_host *h;

	while ((h = TAILQ_FIRST(&s->hosts)) != NULL) {
		TAILQ_REMOVE(&s->hosts, h, link);
		free(h);
	}
	nvmf_subsystem_stop_listening(s);
	for (uint32_t i = 0; i < NVMF_MAX_NAMESPACES; i++) {
		struct nvmf_ns *ns = s->ns[i];

		if (ns != NULL) {
			usk_bdev_close(ns->desc);
			free(ns->bdev_name);
			free(ns);
		}
	}
	TAILQ_REMOVE(&g_nvmf.subsystems, s, link);
	g_nvmf.discovery_genctr++;
	free(s);
}

struct subsystem_delete {
	struct nvmf_subsystem *s;
	void (*done)(void *ctx);
	void *ctx;
	struct usk_poller *poller;
};

static void delete_channels_put(void *arg)
{
	struct subsystem_delete *d = arg;

	nvmf_subsystem_free(d->s);
	d->done(d->ctx);
	free(d);
}

static void delete_group_put(struct nvmf_poll_group *g, void *arg)
{
	struct subsystem_delete *d = arg;

	nvmf_poll_group_put_channels(g, d->s);
}

/* Waits for the controllers to go: their queue pairs close on their own threads. */
static int delete_wait_ctrlrs(void *arg)
{
	struct subsystem_delete *d = arg;

	if (!TAILQ_EMPTY(&d->s->ctrlrs)) {
		return USK_POLLER_IDLE;
	}
	usk_poller_unregister(&d->poller);
	if (nvmf_tgt_for_each_group(delete_group_put, d, delete_channels_put) != 0) {
		USK_ERRLOG("nvmf: subsystem %s: cannot reach the poll groups; its namespaces "
			   "stay open",
			   d->s->nqn);
		d->done(d->ctx);
		free(d);
	}
	return USK_POLLER_BUSY;
}

int nvmf_subsystem_delete(struct nvmf_subsystem *s, void (*done)(void *ctx), void *ctx)
{
	struct subsystem_delete *d;

	if (s->discovery) {
		return -EPERM;
	}
	if (s->deleting) {
		return -EBUSY;
	}
	d = calloc(1, sizeof(*d));
	if (d == NULL) {
		return -ENOMEM;
	}
	*d = (struct subsystem_delete){.s = s, .done = done, .ctx = ctx};
	d->poller = usk_poller_register(delete_wait_ctrlrs, d, 10000, "nvmf_subsystem_delete");
	if (d->poller == NULL) {
		free(d);
		return -ENOMEM;
	}
	s->deleting = true;
	/* The discovery log leaves it out from now on, not only once it is freed. */
	g_nvmf.discovery_genctr++;
	nvmf_ctrlr_destroy_all(s);
	return 0;
}
