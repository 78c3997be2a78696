/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The subsystems' RPC methods, SPDK's names and params:
 * nvmf_create_subsystem, nvmf_delete_subsystem, nvmf_subsystem_add_ns,
 * nvmf_subsystem_add_listener / remove_listener, nvmf_subsystem_add_host /
 * remove_host, nvmf_subsystem_allow_any_host, nvmf_get_subsystems.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "usk/util.h"
#include "nvmf_internal.h"

/* Every method takes tgt_name: there is one target here, whatever its name. */
static const struct usk_json_compat_member g_tgt_compat[] = {
	{"tgt_name", NULL, "USK runs one target"},
};

static int decode_val(const struct usk_json_val *val, void *out)
{
	*(const struct usk_json_val **)out = val;
	return 0;
}

static struct nvmf_subsystem *find_subsystem(struct usk_rpc_request *req, const char *nqn)
{
	struct nvmf_subsystem *s = nvmf_subsystem_find(nqn);

	if (s == NULL || s->deleting) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS,
				   "params: field 'nqn': no subsystem is called '%s'", nqn);
		return NULL;
	}
	return s;
}

struct create_params {
	char *nqn;
	char *serial_number;
	char *model_number;
	bool allow_any_host;
	uint32_t max_namespaces;
	uint32_t min_cntlid;
	uint32_t max_cntlid;
};

static const struct usk_json_object_decoder g_create_decoders[] = {
	{"nqn", offsetof(struct create_params, nqn), usk_json_decode_string, false},
	{"serial_number", offsetof(struct create_params, serial_number), usk_json_decode_string,
	 true},
	{"model_number", offsetof(struct create_params, model_number), usk_json_decode_string,
	 true},
	{"allow_any_host", offsetof(struct create_params, allow_any_host), usk_json_decode_bool,
	 true},
	{"max_namespaces", offsetof(struct create_params, max_namespaces), usk_json_decode_uint32,
	 true},
	{"min_cntlid", offsetof(struct create_params, min_cntlid), usk_json_decode_uint32, true},
	{"max_cntlid", offsetof(struct create_params, max_cntlid), usk_json_decode_uint32, true},
};

static const struct usk_json_compat_member g_create_compat[] = {
	{"tgt_name", NULL, "USK runs one target"},
	{"ana_reporting", "false", "USK reports no ANA states"},
	{"passthrough", "false", "admin commands are answered here, not passed to a device"},
	{"enable_nssr", "false", "a subsystem here has no NVM Subsystem Reset"},
	{"admin_label", NULL, "no admin-only controller here"},
	{"dmrsl", NULL, "Dataset Management has no range size limit here"},
	{"wzsl", NULL, "Write Zeroes has no size limit here"},
};

/* The params' checks the decoder cannot make; answers and returns false on the first. */
static bool create_params_ok(struct usk_rpc_request *req, const struct create_params *p)
{
	const char *why = NULL;

	if (!nvmf_nqn_is_valid(p->nqn)) {
		why = "field 'nqn': expected an NQN: \"nqn.\" then up to 219 printable characters";
	} else if (p->max_namespaces > NVMF_MAX_NAMESPACES) {
		why = "field 'max_namespaces': at most 32 here (0: 32)";
	} else if (p->min_cntlid < 1 || p->max_cntlid > NVMF_MAX_CNTLID ||
		   p->min_cntlid > p->max_cntlid) {
		why = "fields 'min_cntlid', 'max_cntlid': expected 1 <= min <= max <= 65519";
	}
	if (why != NULL) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS, "params: %s", why);
	}
	return why == NULL;
}

static int create_apply(struct nvmf_subsystem *s, const struct create_params *p)
{
	if (p->serial_number != NULL && nvmf_subsystem_set_sn(s, p->serial_number) != 0) {
		return -1;
	}
	if (p->model_number != NULL && nvmf_subsystem_set_mn(s, p->model_number) != 0) {
		return -2;
	}
	s->allow_any_host = p->allow_any_host;
	s->max_namespaces = p->max_namespaces != 0 ? p->max_namespaces : NVMF_MAX_NAMESPACES;
	s->min_cntlid = (uint16_t)p->min_cntlid;
	s->max_cntlid = (uint16_t)p->max_cntlid;
	s->next_cntlid = s->min_cntlid;
	return 0;
}

static void rpc_nvmf_create_subsystem(struct usk_rpc_request *req,
				      const struct usk_json_val *params)
{
	struct create_params p = {.min_cntlid = 1, .max_cntlid = NVMF_MAX_CNTLID};
	struct nvmf_subsystem *s;
	int rc;

	if (usk_rpc_decode_params_compat(req, params, g_create_decoders,
					 USK_COUNTOF(g_create_decoders), g_create_compat,
					 USK_COUNTOF(g_create_compat), &p) != 0 ||
	    !create_params_ok(req, &p)) {
		goto free_params;
	}
	rc = nvmf_subsystem_create(p.nqn, false, &s);
	if (rc != 0) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS,
				   rc == -EEXIST ? "subsystem %s already exists"
						 : "cannot create subsystem %s",
				   p.nqn);
		goto free_params;
	}
	rc = create_apply(s, &p);
	if (rc != 0) {
		nvmf_subsystem_free(s);
		usk_rpc_send_error(
			req, USK_JSONRPC_ERROR_INVALID_PARAMS,
			"params: field '%s': expected 1 to %d printable ASCII characters",
			rc == -1 ? "serial_number" : "model_number",
			rc == -1 ? NVMF_SN_LEN : NVMF_MN_LEN);
		goto free_params;
	}
	usk_rpc_send_bool(req, true);
free_params:
	free(p.nqn);
	free(p.serial_number);
	free(p.model_number);
}

struct nqn_params {
	char *nqn;
	char *host;
	bool allow_any_host;
	uint32_t nsid;
	const struct usk_json_val *object; /* namespace or listen_address */
};

static const struct usk_json_object_decoder g_nqn_decoder[] = {
	{"nqn", offsetof(struct nqn_params, nqn), usk_json_decode_string, false},
};

static void delete_done(void *ctx)
{
	usk_rpc_send_bool(ctx, true);
}

static void rpc_nvmf_delete_subsystem(struct usk_rpc_request *req,
				      const struct usk_json_val *params)
{
	struct nqn_params p = {0};
	struct nvmf_subsystem *s;
	int rc;

	if (usk_rpc_decode_params_compat(req, params, g_nqn_decoder, 1, g_tgt_compat,
					 USK_COUNTOF(g_tgt_compat), &p) != 0 ||
	    (s = find_subsystem(req, p.nqn)) == NULL) {
		goto free_params;
	}
	rc = nvmf_subsystem_delete(s, delete_done, req);
	if (rc == -EPERM) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS,
				   "the discovery subsystem cannot be deleted");
	} else if (rc != 0) {
		usk_rpc_send_error(req, rc, "cannot delete subsystem %s: %s", p.nqn, strerror(-rc));
	}
free_params:
	free(p.nqn);
}

static const struct usk_json_object_decoder g_host_decoders[] = {
	{"nqn", offsetof(struct nqn_params, nqn), usk_json_decode_string, false},
	{"host", offsetof(struct nqn_params, host), usk_json_decode_string, false},
};

static const struct usk_json_compat_member g_add_host_compat[] = {
	{"tgt_name", NULL, "USK runs one target"},
	{"psk", NULL, "TLS is not offered here: a PSK would not be used"},
	{"dhchap_key", NULL, "in-band authentication is not offered here"},
	{"dhchap_ctrlr_key", NULL, "in-band authentication is not offered here"},
};

static void rpc_host(struct usk_rpc_request *req, const struct usk_json_val *params, bool add)
{
	struct nqn_params p = {0};
	struct nvmf_subsystem *s;
	int rc;

	if (usk_rpc_decode_params_compat(req, params, g_host_decoders, USK_COUNTOF(g_host_decoders),
					 g_add_host_compat,
					 add ? USK_COUNTOF(g_add_host_compat) : 1, &p) != 0 ||
	    (s = find_subsystem(req, p.nqn)) == NULL) {
		goto free_params;
	}
	rc = add ? nvmf_subsystem_add_host(s, p.host) : nvmf_subsystem_remove_host(s, p.host);
	if (rc == 0 || (add && rc == -EEXIST)) {
		usk_rpc_send_bool(req, true);
	} else {
		usk_rpc_send_error(
			req, USK_JSONRPC_ERROR_INVALID_PARAMS, "params: field 'host': %s",
			rc == -ENOENT ? "not in the subsystem's list" : "expected an NQN");
	}
free_params:
	free(p.nqn);
	free(p.host);
}

static void rpc_nvmf_subsystem_add_host(struct usk_rpc_request *req,
					const struct usk_json_val *params)
{
	rpc_host(req, params, true);
}

static void rpc_nvmf_subsystem_remove_host(struct usk_rpc_request *req,
					   const struct usk_json_val *params)
{
	rpc_host(req, params, false);
}

static const struct usk_json_object_decoder g_allow_decoders[] = {
	{"nqn", offsetof(struct nqn_params, nqn), usk_json_decode_string, false},
	{"allow_any_host", offsetof(struct nqn_params, allow_any_host), usk_json_decode_bool,
	 false},
};

static void rpc_nvmf_subsystem_allow_any_host(struct usk_rpc_request *req,
					      const struct usk_json_val *params)
{
	struct nqn_params p = {0};
	struct nvmf_subsystem *s;

	if (usk_rpc_decode_params_compat(req, params, g_allow_decoders,
					 USK_COUNTOF(g_allow_decoders), g_tgt_compat,
					 USK_COUNTOF(g_tgt_compat), &p) == 0 &&
	    (s = find_subsystem(req, p.nqn)) != NULL) {
		s->allow_any_host = p.allow_any_host;
		g_nvmf.discovery_genctr++;
		usk_rpc_send_bool(req, true);
	}
	free(p.nqn);
}

static const struct usk_json_object_decoder g_add_ns_decoders[] = {
	{"nqn", offsetof(struct nqn_params, nqn), usk_json_decode_string, false},
	{"namespace", offsetof(struct nqn_params, object), decode_val, false},
};

struct ns_params {
	uint32_t nsid;
	char *bdev_name;
	char *uuid;
};

static const struct usk_json_object_decoder g_ns_decoders[] = {
	{"nsid", offsetof(struct ns_params, nsid), usk_json_decode_uint32, true},
	{"bdev_name", offsetof(struct ns_params, bdev_name), usk_json_decode_string, false},
	{"uuid", offsetof(struct ns_params, uuid), usk_json_decode_string, true},
};

static const struct usk_json_compat_member g_ns_compat[] = {
	{"nguid", NULL, "the NGUID is the namespace's UUID here"},
	{"eui64", NULL, "no EUI-64 is reported here"},
	{"ptpl_file", NULL, "no reservations here, so nothing persists through power loss"},
	{"anagrpid", NULL, "USK reports no ANA groups"},
	{"no_auto_visible", "false", "every namespace is visible to every allowed host"},
	{"hide_metadata", NULL, "namespaces here carry no metadata"},
};

static const char *add_ns_error(int rc)
{
	switch (rc) {
	case -ENODEV:
		return "field 'bdev_name': no such bdev";
	case -EEXIST:
		return "field 'nsid': in use";
	case -ERANGE:
		return "field 'nsid': above the subsystem's max_namespaces";
	case -ENOSPC:
		return "the subsystem has max_namespaces already";
	case -EPERM:
		return "field 'bdev_name': the bdev is claimed, or the subsystem is the discovery "
		       "one";
	case -ENOTSUP:
		return "field 'bdev_name': bdevs with metadata cannot be namespaces here";
	default:
		return "cannot open the bdev";
	}
}

static int add_ns(struct usk_rpc_request *req, struct nvmf_subsystem *s, const struct ns_params *n,
		  uint32_t *nsid)
{
	struct usk_uuid uuid = {0};

	if (n->uuid != NULL && usk_uuid_parse(&uuid, n->uuid) != 0) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS,
				   "params: namespace: field 'uuid': expected a UUID");
		return -EINVAL;
	}
	if (n->nsid == 0xffffffffu) {
		usk_rpc_send_error(
			req, USK_JSONRPC_ERROR_INVALID_PARAMS,
			"params: namespace: field 'nsid': 1 to 32, or 0 for the first free");
		return -EINVAL;
	}
	return nvmf_subsystem_add_ns(s, n->bdev_name, n->nsid, &uuid, nsid);
}

static void rpc_nvmf_subsystem_add_ns(struct usk_rpc_request *req,
				      const struct usk_json_val *params)
{
	struct nqn_params p = {0};
	struct ns_params n = {0};
	struct nvmf_subsystem *s;
	struct usk_json_write_ctx *w;
	char err[256];
	uint32_t nsid;
	int rc;

	if (usk_rpc_decode_params_compat(req, params, g_add_ns_decoders,
					 USK_COUNTOF(g_add_ns_decoders), g_tgt_compat,
					 USK_COUNTOF(g_tgt_compat), &p) != 0 ||
	    (s = find_subsystem(req, p.nqn)) == NULL) {
		goto free_params;
	}
	if (usk_json_decode_object_compat(p.object, g_ns_decoders, USK_COUNTOF(g_ns_decoders),
					  g_ns_compat, USK_COUNTOF(g_ns_compat), &n, err,
					  sizeof(err)) != 0) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS, "params: namespace: %s",
				   err);
		goto free_params;
	}
	rc = add_ns(req, s, &n, &nsid);
	if (rc == -EINVAL) {
		goto free_params;
	}
	if (rc != 0) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS, "params: namespace: %s",
				   add_ns_error(rc));
		goto free_params;
	}
	w = usk_rpc_begin_result(req);
	if (w != NULL) {
		usk_json_write_uint64(w, nsid);
		usk_rpc_end_result(req, w);
	}
free_params:
	free(p.nqn);
	free(n.bdev_name);
	free(n.uuid);
}

static const struct usk_json_object_decoder g_listener_decoders[] = {
	{"nqn", offsetof(struct nqn_params, nqn), usk_json_decode_string, false},
	{"listen_address", offsetof(struct nqn_params, object), decode_val, false},
};

static const struct usk_json_compat_member g_listener_compat[] = {
	{"tgt_name", NULL, "USK runs one target"},
	{"secure_channel", "false", "TLS is not offered here"},
	{"ana_state", NULL, "USK reports no ANA states"},
	{"sock_impl", NULL, "one socket layer here"},
	{"numa_id", NULL, "the poll groups take connections in turn"},
};

struct address_params {
	char *trtype;
	char *adrfam;
	char *traddr;
	char *trsvcid;
};

static const struct usk_json_object_decoder g_address_decoders[] = {
	{"trtype", offsetof(struct address_params, trtype), usk_json_decode_string, false},
	{"adrfam", offsetof(struct address_params, adrfam), usk_json_decode_string, true},
	{"traddr", offsetof(struct address_params, traddr), usk_json_decode_string, false},
	{"trsvcid", offsetof(struct address_params, trsvcid), usk_json_decode_string, false},
};

static void address_free(struct address_params *a)
{
	free(a->trtype);
	free(a->adrfam);
	free(a->traddr);
	free(a->trsvcid);
}

/* The listen address, checked; answers and returns -EINVAL when it is wrong. */
static int decode_address(struct usk_rpc_request *req, const struct usk_json_val *val,
			  struct address_params *a, bool *ipv6)
{
	char err[256];

	if (usk_json_decode_object(val, g_address_decoders, USK_COUNTOF(g_address_decoders), a, err,
				   sizeof(err)) != 0) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS,
				   "params: listen_address: %s", err);
		return -EINVAL;
	}
	if (strcasecmp(a->trtype, "TCP") != 0) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS,
				   "params: listen_address: field 'trtype': only TCP here");
		return -EINVAL;
	}
	*ipv6 = strchr(a->traddr, ':') != NULL;
	if (a->adrfam != NULL && strcasecmp(a->adrfam, *ipv6 ? "IPv6" : "IPv4") != 0) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS,
				   "params: listen_address: field 'adrfam': %s does not match "
				   "traddr %s",
				   a->adrfam, a->traddr);
		return -EINVAL;
	}
	return 0;
}

static void listener_error(struct usk_rpc_request *req, const struct address_params *a, int rc)
{
	if (rc == -ENODEV) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS,
				   "no TCP transport yet: call nvmf_create_transport -t TCP first");
	} else if (rc == -EEXIST || rc == -ENOENT) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS,
				   "the subsystem %s listen on %s port %s",
				   rc == -EEXIST ? "already does" : "does not", a->traddr,
				   a->trsvcid);
	} else {
		usk_rpc_send_error(req, rc, "cannot listen on %s port %s: %s", a->traddr,
				   a->trsvcid, strerror(-rc));
	}
}

static void rpc_listener(struct usk_rpc_request *req, const struct usk_json_val *params, bool add)
{
	struct nqn_params p = {0};
	struct address_params a = {0};
	struct nvmf_subsystem *s;
	bool ipv6;
	int rc;

	if (usk_rpc_decode_params_compat(req, params, g_listener_decoders,
					 USK_COUNTOF(g_listener_decoders), g_listener_compat,
					 USK_COUNTOF(g_listener_compat), &p) != 0 ||
	    (s = find_subsystem(req, p.nqn)) == NULL ||
	    decode_address(req, p.object, &a, &ipv6) != 0) {
		goto free_params;
	}
	rc = add ? nvmf_subsystem_add_listener(s, a.traddr, a.trsvcid, ipv6)
		 : nvmf_subsystem_remove_listener(s, a.traddr, a.trsvcid);
	if (rc != 0) {
		listener_error(req, &a, rc);
	} else {
		usk_rpc_send_bool(req, true);
	}
free_params:
	free(p.nqn);
	address_free(&a);
}

static void rpc_nvmf_subsystem_add_listener(struct usk_rpc_request *req,
					    const struct usk_json_val *params)
{
	rpc_listener(req, params, true);
}

static void rpc_nvmf_subsystem_remove_listener(struct usk_rpc_request *req,
					       const struct usk_json_val *params)
{
	rpc_listener(req, params, false);
}

void nvmf_rpc_write_subsystem_params(struct usk_json_write_ctx *w, const struct nvmf_subsystem *s)
{
	usk_json_write_named_string(w, "serial_number", s->sn);
	usk_json_write_named_string(w, "model_number", s->mn);
	usk_json_write_named_uint64(w, "max_namespaces", s->max_namespaces);
	usk_json_write_named_uint64(w, "min_cntlid", s->min_cntlid);
	usk_json_write_named_uint64(w, "max_cntlid", s->max_cntlid);
}

void nvmf_rpc_write_listener(struct usk_json_write_ctx *w, const struct nvmf_listener *l)
{
	usk_json_write_named_string(w, "trtype", "TCP");
	usk_json_write_named_string(w, "adrfam", l->ipv6 ? "IPv6" : "IPv4");
	usk_json_write_named_string(w, "traddr", l->traddr);
	usk_json_write_named_string(w, "trsvcid", l->trsvcid);
}

void nvmf_rpc_write_ns(struct usk_json_write_ctx *w, const struct nvmf_ns *ns)
{
	char uuid[USK_UUID_STRING_LEN];

	usk_uuid_fmt(uuid, sizeof(uuid), &ns->uuid);
	usk_json_write_named_uint64(w, "nsid", ns->nsid);
	usk_json_write_named_string(w, "bdev_name", ns->bdev_name);
	usk_json_write_named_string(w, "uuid", uuid);
}

static void write_namespaces(struct usk_json_write_ctx *w, const struct nvmf_subsystem *s)
{
	usk_json_write_named_array_begin(w, "namespaces");
	for (uint32_t i = 0; i < NVMF_MAX_NAMESPACES; i++) {
		if (s->ns[i] == NULL) {
			continue;
		}
		usk_json_write_object_begin(w);
		nvmf_rpc_write_ns(w, s->ns[i]);
		usk_json_write_named_string(w, "name", s->ns[i]->bdev_name);
		usk_json_write_object_end(w);
	}
	usk_json_write_array_end(w);
}

static void write_subsystem_info(struct usk_json_write_ctx *w, const struct nvmf_subsystem *s)
{
	const struct nvmf_listener *l;
	const struct nvmf_host *h;

	usk_json_write_object_begin(w);
	usk_json_write_named_string(w, "nqn", s->nqn);
	usk_json_write_named_string(w, "subtype", s->discovery ? "Discovery" : "NVMe");
	usk_json_write_named_array_begin(w, "listen_addresses");
	TAILQ_FOREACH(l, &s->listeners, link) {
		usk_json_write_object_begin(w);
		nvmf_rpc_write_listener(w, l);
		usk_json_write_object_end(w);
	}
	usk_json_write_array_end(w);
	usk_json_write_named_bool(w, "allow_any_host", s->allow_any_host);
	usk_json_write_named_array_begin(w, "hosts");
	TAILQ_FOREACH(h, &s->hosts, link) {
		usk_json_write_object_begin(w);
		usk_json_write_named_string(w, "nqn", h->nqn);
		usk_json_write_object_end(w);
	}
	usk_json_write_array_end(w);
	if (!s->discovery) {
		nvmf_rpc_write_subsystem_params(w, s);
		write_namespaces(w, s);
	}
	usk_json_write_object_end(w);
}

static const struct usk_json_object_decoder g_get_decoders[] = {
	{"nqn", offsetof(struct nqn_params, nqn), usk_json_decode_string, true},
};

static void rpc_nvmf_get_subsystems(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	struct nqn_params p = {0};
	const struct nvmf_subsystem *s;
	struct usk_json_write_ctx *w;

	if (usk_rpc_decode_params_compat(req, params, g_get_decoders, 1, g_tgt_compat,
					 USK_COUNTOF(g_tgt_compat), &p) != 0 ||
	    (p.nqn != NULL && find_subsystem(req, p.nqn) == NULL)) {
		goto free_params;
	}
	w = usk_rpc_begin_result(req);
	if (w == NULL) {
		goto free_params;
	}
	usk_json_write_array_begin(w);
	TAILQ_FOREACH(s, &g_nvmf.subsystems, link) {
		if (!s->deleting && (p.nqn == NULL || strcmp(p.nqn, s->nqn) == 0)) {
			write_subsystem_info(w, s);
		}
	}
	usk_json_write_array_end(w);
	usk_rpc_end_result(req, w);
free_params:
	free(p.nqn);
}

int nvmf_rpc_subsystem_register(void)
{
	static const struct {
		const char *name;
		usk_rpc_method_fn fn;
	} methods[] = {
		{"nvmf_create_subsystem", rpc_nvmf_create_subsystem},
		{"nvmf_delete_subsystem", rpc_nvmf_delete_subsystem},
		{"nvmf_subsystem_add_ns", rpc_nvmf_subsystem_add_ns},
		{"nvmf_subsystem_add_listener", rpc_nvmf_subsystem_add_listener},
		{"nvmf_subsystem_remove_listener", rpc_nvmf_subsystem_remove_listener},
		{"nvmf_subsystem_add_host", rpc_nvmf_subsystem_add_host},
		{"nvmf_subsystem_remove_host", rpc_nvmf_subsystem_remove_host},
		{"nvmf_subsystem_allow_any_host", rpc_nvmf_subsystem_allow_any_host},
		{"nvmf_get_subsystems", rpc_nvmf_get_subsystems},
	};
	int rc = 0;

	for (size_t i = 0; i < USK_COUNTOF(methods) && rc == 0; i++) {
		rc = usk_rpc_register_method(methods[i].name, methods[i].fn);
	}
	return rc;
}
