/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bdev_nvme_attach_controller, bdev_nvme_detach_controller,
 * bdev_nvme_get_controllers and bdev_nvme_reset_controller, with SPDK's
 * names, params and answers. What SPDK's client and saved configs send for
 * a PCIe controller that changes nothing here (fabrics fields, timers at
 * their default, checks switched off) is accepted and noted; a value USK
 * cannot honour is refused naming the field.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "usk/pci.h"
#include "usk/rpc.h"
#include "usk/util.h"
#include "bdev_nvme.h"

struct attach_params {
	char *name;
	char *trtype;
	char *traddr;
	char *adrfam;
	char *trsvcid;
	char *subnqn;
	char *hostnqn;
	bool hdgst;
	bool ddgst;
	uint32_t num_io_queues;
	bool enable_interrupts;
	int32_t ctrlr_loss_timeout_sec;
	uint32_t reconnect_delay_sec;
	uint32_t fast_io_fail_timeout_sec;
};

static const struct usk_json_object_decoder g_attach_decoders[] = {
	{"name", offsetof(struct attach_params, name), usk_json_decode_string, false},
	{"trtype", offsetof(struct attach_params, trtype), usk_json_decode_string, true},
	{"traddr", offsetof(struct attach_params, traddr), usk_json_decode_string, false},
	{"adrfam", offsetof(struct attach_params, adrfam), usk_json_decode_string, true},
	{"trsvcid", offsetof(struct attach_params, trsvcid), usk_json_decode_string, true},
	{"subnqn", offsetof(struct attach_params, subnqn), usk_json_decode_string, true},
	{"hostnqn", offsetof(struct attach_params, hostnqn), usk_json_decode_string, true},
	{"hdgst", offsetof(struct attach_params, hdgst), usk_json_decode_bool, true},
	{"ddgst", offsetof(struct attach_params, ddgst), usk_json_decode_bool, true},
	{"num_io_queues", offsetof(struct attach_params, num_io_queues), usk_json_decode_uint32,
	 true},
	/* SPDK's driver option's name (spdk_nvme_ctrlr_opts.enable_interrupts). */
	{"enable_interrupts", offsetof(struct attach_params, enable_interrupts),
	 usk_json_decode_bool, true},
	{"ctrlr_loss_timeout_sec", offsetof(struct attach_params, ctrlr_loss_timeout_sec),
	 usk_json_decode_int32, true},
	{"reconnect_delay_sec", offsetof(struct attach_params, reconnect_delay_sec),
	 usk_json_decode_uint32, true},
	{"fast_io_fail_timeout_sec", offsetof(struct attach_params, fast_io_fail_timeout_sec),
	 usk_json_decode_uint32, true},
};

#define NVME_RPC_FABRICS      "fabrics only: a PCIe controller has none"
#define NVME_RPC_ONE_PATH     "one path per controller: a second attach of a name is refused"

/* SPDK's members USK has no use for on PCIe, each accepted only with a value that changes nothing.
 */
static const struct usk_json_compat_member g_attach_compat[] = {
	{"priority", NULL, NVME_RPC_FABRICS},
	{"hostaddr", NULL, "the host's own address and port are the system's choice"},
	{"hostsvcid", NULL, "the host's own address and port are the system's choice"},
	{"fabrics_connect_timeout_us", NULL, "the Connect waits for the admin timeout"},
	{"disable_sq_flow_control", NULL, "SQ flow control changes nothing here"},
	{"psk", "null", "NVMe/TCP without TLS: no pre-shared key"},
	{"dhchap_key", "null", "DH-HMAC-CHAP is not supported"},
	{"dhchap_ctrlr_key", "null", "DH-HMAC-CHAP is not supported"},
	{"prchk_reftag", "false", "USK does not check protection information"},
	{"prchk_guard", "false", "USK does not check protection information"},
	{"multipath", NULL, NVME_RPC_ONE_PATH},
	{"multipath_opts", NULL, NVME_RPC_ONE_PATH},
	{"max_bdevs", NULL, "the answer names every bdev made"},
	{"allow_unrecognized_csi", "false", "bdevs are made of NVM command set namespaces only"},
};

/* Answers the names of the controller's bdevs, as SPDK does. */
static void attach_answer(struct usk_rpc_request *req, const struct nvme_bdev_ctrlr *nc)
{
	struct usk_json_write_ctx *w = usk_rpc_begin_result(req);

	if (w == NULL) {
		return;
	}
	usk_json_write_array_begin(w);
	for (uint32_t i = 0; i < nc->num_bdevs; i++) {
		if (nc->bdevs[i] != NULL) {
			usk_json_write_string(w, usk_bdev_get_name(&nc->bdevs[i]->bdev));
		}
	}
	usk_json_write_array_end(w);
	usk_rpc_end_result(req, w);
}

/* The answer, once the controller is ready and its bdevs registered, or why not. */
static void attach_done(void *cb_arg, struct nvme_bdev_ctrlr *nc, int rc, const char *err)
{
	struct usk_rpc_request *req = cb_arg;

	if (rc != 0) {
		usk_rpc_send_error(
			req, rc == -EINVAL || rc == -EEXIST ? USK_JSONRPC_ERROR_INVALID_PARAMS : rc,
			"params: %s", err);
		return;
	}
	attach_answer(req, nc);
}

/*
 * The transport ID of a PCIe controller: traddr parsed here, so it cannot
 * carry transport ID keys of its own. SPDK's fabrics members, if sent, are
 * ignored as before.
 */
static int attach_trid_pcie(struct usk_rpc_request *req, const struct attach_params *p,
			    char *trid, size_t len)
{
	struct usk_pci_addr addr;
	char traddr[USK_PCI_ADDR_STRLEN];

	if (usk_pci_addr_parse(&addr, p->traddr) != 0) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS,
				   "params: field 'traddr': '%s' is not a PCI address "
				   "(dddd:bb:dd.f or bb:dd.f)",
				   p->traddr);
		return -EINVAL;
	}
	usk_pci_addr_fmt(traddr, sizeof(traddr), &addr);
	snprintf(trid, len, "trtype:PCIe traddr:%s", traddr);
	return 0;
}

/* The transport ID of an NVMe/TCP controller, checked by the driver's parser. */
static int attach_trid_tcp(struct usk_rpc_request *req, const struct attach_params *p, char *trid,
			   size_t len)
{
	struct usk_nvme_transport_id check;
	const char *fields[] = {p->traddr, p->adrfam, p->trsvcid, p->subnqn};

	/* Each a single word: a space would smuggle in keys of its own. */
	for (size_t i = 0; i < USK_COUNTOF(fields); i++) {
		if (fields[i] != NULL && (fields[i][0] == '\0' || strpbrk(fields[i], " \t\n"))) {
			usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS,
					   "params: '%s' is not a traddr, adrfam, trsvcid or subnqn",
					   fields[i]);
			return -EINVAL;
		}
	}
	snprintf(trid, len, "trtype:TCP traddr:%s%s%s%s%s%s%s", p->traddr,
		 p->adrfam != NULL ? " adrfam:" : "", p->adrfam != NULL ? p->adrfam : "",
		 p->trsvcid != NULL ? " trsvcid:" : "", p->trsvcid != NULL ? p->trsvcid : "",
		 p->subnqn != NULL ? " subnqn:" : "", p->subnqn != NULL ? p->subnqn : "");
	if (usk_nvme_transport_id_parse(trid, &check) != 0) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS,
				   "params: '%s' is not an NVMe/TCP transport ID (traddr an IPv4 or "
				   "IPv6 address, adrfam IPv4 or IPv6, trsvcid a port)",
				   trid);
		return -EINVAL;
	}
	return 0;
}

/*
 * The reconnect policy: the params', else bdev_nvme_set_options', checked
 * as SPDK does. A PCIe controller does not reconnect: it takes none.
 */
static int attach_reconnect(struct usk_rpc_request *req, const struct usk_json_val *params,
			    const struct attach_params *p, bool tcp,
			    struct bdev_nvme_attach_opts *ao)
{
	const char *why;

	const char *given_nonzero =
		usk_json_object_get(params, "ctrlr_loss_timeout_sec") && p->ctrlr_loss_timeout_sec
			? "ctrlr_loss_timeout_sec"
		: usk_json_object_get(params, "reconnect_delay_sec") && p->reconnect_delay_sec
			? "reconnect_delay_sec"
		: usk_json_object_get(params, "fast_io_fail_timeout_sec") &&
				p->fast_io_fail_timeout_sec
			? "fast_io_fail_timeout_sec"
			: NULL;

	if (!tcp) {
		if (given_nonzero != NULL) {
			usk_rpc_send_error(
				req, USK_JSONRPC_ERROR_INVALID_PARAMS,
				"params: field '%s': only 0 is accepted with trtype PCIe "
				"(reconnecting is NVMe/TCP's)",
				given_nonzero);
			return -EINVAL;
		}
		return 0;
	}
	ao->ctrlr_loss_timeout_sec = p->ctrlr_loss_timeout_sec;
	ao->reconnect_delay_sec = p->reconnect_delay_sec;
	ao->fast_io_fail_timeout_sec = p->fast_io_fail_timeout_sec;
	if (usk_nvme_reconnect_opts_check(ao->ctrlr_loss_timeout_sec, ao->reconnect_delay_sec,
					  ao->fast_io_fail_timeout_sec, &why) != 0) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS, "params: %s", why);
		return -EINVAL;
	}
	return 0;
}

static void rpc_bdev_nvme_attach_controller(struct usk_rpc_request *req,
					    const struct usk_json_val *params)
{
	struct attach_params p = {.enable_interrupts = true};
	struct bdev_nvme_attach_opts ao = {0};
	char trid[USK_NVMF_TRADDR_MAX_LEN + USK_NVMF_NQN_MAX_LEN + 128];
	char err[768];
	bool tcp;
	int rc;

	nvme_bdev_options_reconnect_defaults(&ao);
	p.ctrlr_loss_timeout_sec = ao.ctrlr_loss_timeout_sec;
	p.reconnect_delay_sec = ao.reconnect_delay_sec;
	p.fast_io_fail_timeout_sec = ao.fast_io_fail_timeout_sec;
	ao = (struct bdev_nvme_attach_opts){0};
	if (usk_rpc_decode_params_compat(req, params, g_attach_decoders,
					 USK_COUNTOF(g_attach_decoders), g_attach_compat,
					 USK_COUNTOF(g_attach_compat), &p) != 0) {
		goto out;
	}
	/* SPDK's range: the Number of Queues feature counts up to 65536 (base 5.27.1.5). */
	if (usk_json_object_get(params, "num_io_queues") != NULL &&
	    (p.num_io_queues == 0 || p.num_io_queues > 65536)) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS,
				   "params: field 'num_io_queues': expected 1 to 65536");
		goto out;
	}
	tcp = p.trtype != NULL && strcasecmp(p.trtype, "TCP") == 0;
	if (p.trtype != NULL && !tcp && strcasecmp(p.trtype, "PCIe") != 0) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS,
				   "params: field 'trtype': '%s' is not supported (PCIe or TCP)",
				   p.trtype);
		goto out;
	}
	if (p.hostnqn != NULL && strlen(p.hostnqn) > USK_NVMF_NQN_MAX_LEN) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS,
				   "params: field 'hostnqn': longer than %d bytes",
				   USK_NVMF_NQN_MAX_LEN);
		goto out;
	}
	if (!tcp && (p.hdgst || p.ddgst)) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS,
				   "params: field '%s': only false is accepted with trtype PCIe "
				   "(digests are NVMe/TCP's)",
				   p.hdgst ? "hdgst" : "ddgst");
		goto out;
	}
	rc = tcp ? attach_trid_tcp(req, &p, trid, sizeof(trid))
		 : attach_trid_pcie(req, &p, trid, sizeof(trid));
	if (rc != 0 || attach_reconnect(req, params, &p, tcp, &ao) != 0) {
		goto out;
	}
	ao.num_io_queues = p.num_io_queues;
	ao.no_interrupts = !p.enable_interrupts;
	/* A PCIe controller has no host NQN: as before, it is accepted and not kept. */
	if (tcp) {
		ao.hdgst = p.hdgst;
		ao.ddgst = p.ddgst;
		snprintf(ao.hostnqn, sizeof(ao.hostnqn), "%s", p.hostnqn != NULL ? p.hostnqn : "");
	}
	rc = bdev_nvme_attach(p.name, trid, &ao, attach_done, req, err, sizeof(err));
	if (rc != 0) {
		attach_done(req, NULL, rc, err);
	}
out:
	free(p.name);
	free(p.trtype);
	free(p.traddr);
	free(p.adrfam);
	free(p.trsvcid);
	free(p.subnqn);
	free(p.hostnqn);
}

static void detach_done(void *cb_arg)
{
	usk_rpc_send_bool(cb_arg, true);
}

struct detach_params {
	char *name;
	char *trtype;
	char *traddr;
};

static const struct usk_json_object_decoder g_detach_decoders[] = {
	{"name", offsetof(struct detach_params, name), usk_json_decode_string, false},
	{"trtype", offsetof(struct detach_params, trtype), usk_json_decode_string, true},
	{"traddr", offsetof(struct detach_params, traddr), usk_json_decode_string, true},
};

/* SPDK's path members that a PCIe path has none of. */
static const struct usk_json_compat_member g_detach_compat[] = {
	{"adrfam", NULL, NVME_RPC_FABRICS},    {"trsvcid", NULL, NVME_RPC_FABRICS},
	{"subnqn", NULL, NVME_RPC_FABRICS},    {"hostaddr", NULL, NVME_RPC_FABRICS},
	{"hostsvcid", NULL, NVME_RPC_FABRICS},
};

/*
 * A path named in a detach must be the controller's one path: SPDK then
 * detaches the controller, as here; any other path is not there to remove.
 */
static int detach_path_check(const struct detach_params *p, char *err, size_t errlen)
{
	const struct nvme_bdev_ctrlr *nc = nvme_bdev_ctrlr_get(p->name);
	struct usk_pci_addr addr, own;
	bool tcp;

	if (nc == NULL) {
		return 0;
	}
	tcp = usk_nvme_ctrlr_get_trtype(nc->ctrlr) == USK_NVME_TRANSPORT_TCP;
	if (p->trtype != NULL && strcasecmp(p->trtype, tcp ? "TCP" : "PCIe") != 0) {
		snprintf(err, errlen, "field 'trtype': controller '%s' has no %s path (it is %s)",
			 p->name, p->trtype, tcp ? "TCP" : "PCIe");
		return -EINVAL;
	}
	if (tcp && p->traddr != NULL &&
	    strcmp(p->traddr, usk_nvme_ctrlr_get_transport_id(nc->ctrlr)->traddr) != 0) {
		snprintf(err, errlen, "field 'traddr': controller '%s' has no path at '%s'",
			 p->name, p->traddr);
		return -EINVAL;
	}
	if (!tcp && p->traddr != NULL &&
	    (usk_pci_addr_parse(&addr, p->traddr) != 0 ||
	     usk_pci_addr_parse(&own, usk_nvme_ctrlr_get_name(nc->ctrlr)) != 0 ||
	     usk_pci_addr_compare(&addr, &own) != 0)) {
		snprintf(err, errlen,
			 "field 'traddr': controller '%s' has no path at '%s' (it is at %s)",
			 p->name, p->traddr, usk_nvme_ctrlr_get_name(nc->ctrlr));
		return -EINVAL;
	}
	return 0;
}

static void rpc_bdev_nvme_detach_controller(struct usk_rpc_request *req,
					    const struct usk_json_val *params)
{
	struct detach_params p = {0};
	char err[256];
	int rc;

	if (usk_rpc_decode_params_compat(req, params, g_detach_decoders,
					 USK_COUNTOF(g_detach_decoders), g_detach_compat,
					 USK_COUNTOF(g_detach_compat), &p) != 0) {
		goto out;
	}
	if (detach_path_check(&p, err, sizeof(err)) != 0) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS, "params: %s", err);
		goto out;
	}
	rc = bdev_nvme_detach(p.name, detach_done, req);
	if (rc != 0) {
		usk_rpc_send_error(
			req, USK_JSONRPC_ERROR_INVALID_PARAMS, "params: field 'name': %s",
			rc == -ENODEV ? "no such controller" : "the controller is already going");
	}
out:
	free(p.name);
	free(p.trtype);
	free(p.traddr);
}

/* SPDK's states, of those a controller here can be in (a reset here answers when done). */
static const char *ctrlr_state(const struct nvme_bdev_ctrlr *nc)
{
	if (nc->removing || nc->released) {
		return "deleting";
	}
	if (usk_nvme_ctrlr_is_failed(nc->ctrlr)) {
		return "failed";
	}
	return usk_nvme_ctrlr_is_resetting(nc->ctrlr) ? "resetting" : "enabled";
}

/* SPDK's entry: the name, and its controllers, one per path (one here). */
static void write_controller(const struct nvme_bdev_ctrlr *nc, struct usk_json_write_ctx *w)
{
	usk_json_write_object_begin(w);
	usk_json_write_named_string(w, "name", nc->name);
	usk_json_write_named_array_begin(w, "ctrlrs");
	usk_json_write_object_begin(w);
	usk_json_write_named_string(w, "state", ctrlr_state(nc));
	usk_json_write_named_object_begin(w, "trid");
	nvme_bdev_ctrlr_write_trid(nc, w);
	usk_json_write_object_end(w);
	usk_json_write_named_uint64(w, "cntlid", usk_nvme_ctrlr_get_data(nc->ctrlr)->cntlid);
	usk_json_write_named_int64(w, "ctrlr_loss_timeout_sec", nc->attach.ctrlr_loss_timeout_sec);
	usk_json_write_named_uint64(w, "reconnect_delay_sec", nc->attach.reconnect_delay_sec);
	usk_json_write_named_uint64(w, "fast_io_fail_timeout_sec",
				    nc->attach.fast_io_fail_timeout_sec);
	usk_json_write_object_end(w);
	usk_json_write_array_end(w);
	usk_json_write_object_end(w);
}

static const struct usk_json_object_decoder g_get_controllers_decoders[] = {
	{"name", 0, usk_json_decode_string, true},
};

static void rpc_bdev_nvme_get_controllers(struct usk_rpc_request *req,
					  const struct usk_json_val *params)
{
	const struct nvme_bdev_ctrlr *nc = NULL;
	struct usk_json_write_ctx *w;
	char *name = NULL;

	if (usk_rpc_decode_params(req, params, g_get_controllers_decoders, 1, &name) != 0) {
		return;
	}
	if (name != NULL && (nc = nvme_bdev_ctrlr_get(name)) == NULL) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS,
				   "params: field 'name': no controller is called '%s'", name);
	} else if ((w = usk_rpc_begin_result(req)) != NULL) {
		usk_json_write_array_begin(w);
		if (nc != NULL) {
			write_controller(nc, w);
		}
		for (nc = name == NULL ? nvme_bdev_ctrlr_first() : NULL; nc != NULL;
		     nc = nvme_bdev_ctrlr_next(nc)) {
			write_controller(nc, w);
		}
		usk_json_write_array_end(w);
		usk_rpc_end_result(req, w);
	}
	free(name);
}

struct reset_params {
	char *name;
	uint32_t cntlid;
};

static const struct usk_json_object_decoder g_reset_decoders[] = {
	{"name", offsetof(struct reset_params, name), usk_json_decode_string, false},
	{"cntlid", offsetof(struct reset_params, cntlid), usk_json_decode_uint32, true},
};

/* The controller to reset: named, not going, and with the cntlid given (0: any, as SPDK). */
static struct nvme_bdev_ctrlr *reset_target(const struct reset_params *p, char *err, size_t errlen)
{
	struct nvme_bdev_ctrlr *nc = nvme_bdev_ctrlr_get(p->name);
	uint16_t cntlid;

	if (nc == NULL) {
		snprintf(err, errlen, "field 'name': no controller is called '%s'", p->name);
		return NULL;
	}
	if (nc->removing) {
		snprintf(err, errlen, "field 'name': controller '%s' is being detached", p->name);
		return NULL;
	}
	cntlid = usk_nvme_ctrlr_get_data(nc->ctrlr)->cntlid;
	if (p->cntlid != 0 && p->cntlid != cntlid) {
		snprintf(err, errlen, "field 'cntlid': controller '%s' has cntlid %u, not %u",
			 p->name, cntlid, p->cntlid);
		return NULL;
	}
	return nc;
}

/* A reset request waiting for its reset, and the controller's name for the answer. */
struct reset_rpc {
	struct usk_rpc_request *req;
	char name[];
};

/* On the controller's thread, from its admin poll: the answer, as the detach's. */
static void rpc_reset_done(void *cb_arg, struct usk_nvme_ctrlr *ctrlr, int rc)
{
	struct reset_rpc *r = cb_arg;

	if (rc != 0) {
		usk_rpc_send_error(r->req, rc,
				   "controller '%s': reset failed: %s (the log says more)", r->name,
				   strerror(-rc));
	} else {
		usk_rpc_send_bool(r->req, true);
	}
	free(r);
}

/*
 * Resets the controller and answers once it is ready again. The reset is
 * asked for on the controller's thread, whose admin poll does it: the
 * thread that took the request does not wait. The driver's reset ends
 * every command outstanding, once: the channels' pollers send again the
 * I/O it ended, on the rebuilt queue pairs.
 */
static void rpc_bdev_nvme_reset_controller(struct usk_rpc_request *req,
					   const struct usk_json_val *params)
{
	struct reset_params p = {0};
	struct nvme_bdev_ctrlr *nc;
	struct reset_rpc *r;
	char err[256];
	int rc;

	if (usk_rpc_decode_params(req, params, g_reset_decoders, USK_COUNTOF(g_reset_decoders),
				  &p) != 0) {
		goto out;
	}
	nc = reset_target(&p, err, sizeof(err));
	if (nc == NULL) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS, "params: %s", err);
		goto out;
	}
	r = malloc(sizeof(*r) + strlen(nc->name) + 1);
	rc = r != NULL ? 0 : -ENOMEM;
	if (rc == 0) {
		r->req = req;
		strcpy(r->name, nc->name);
		rc = nvme_bdev_ctrlr_reset(nc, rpc_reset_done, r);
	}
	if (rc != 0) {
		free(r);
		usk_rpc_send_error(req, rc, "controller '%s': cannot start a reset: %s", nc->name,
				   strerror(-rc));
	}
out:
	free(p.name);
}

int bdev_nvme_rpc_register(void)
{
	static const struct {
		const char *name;
		usk_rpc_method_fn fn;
	} methods[] = {
		{"bdev_nvme_attach_controller", rpc_bdev_nvme_attach_controller},
		{"bdev_nvme_detach_controller", rpc_bdev_nvme_detach_controller},
		{"bdev_nvme_get_controllers", rpc_bdev_nvme_get_controllers},
		{"bdev_nvme_reset_controller", rpc_bdev_nvme_reset_controller},
	};
	int rc = 0;

	for (size_t i = 0; i < USK_COUNTOF(methods) && rc == 0; i++) {
		rc = usk_rpc_register_method(methods[i].name, methods[i].fn);
	}
	return rc != 0 ? rc : bdev_nvme_options_rpc_register();
}
