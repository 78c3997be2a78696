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
	uint32_t num_io_queues;
};

static const struct usk_json_object_decoder g_attach_decoders[] = {
	{"name", offsetof(struct attach_params, name), usk_json_decode_string, false},
	{"trtype", offsetof(struct attach_params, trtype), usk_json_decode_string, true},
	{"traddr", offsetof(struct attach_params, traddr), usk_json_decode_string, false},
	{"num_io_queues", offsetof(struct attach_params, num_io_queues), usk_json_decode_uint32,
	 true},
};

#define NVME_RPC_FABRICS      "fabrics only: a PCIe controller has none"
#define NVME_RPC_NO_RECONNECT "USK does not reconnect: a failed controller's bdevs go at once"
#define NVME_RPC_ONE_PATH     "one path per controller: a second attach of a name is refused"

/* SPDK's members USK has no use for on PCIe, each accepted only with a value that changes nothing.
 */
static const struct usk_json_compat_member g_attach_compat[] = {
	{"adrfam", NULL, NVME_RPC_FABRICS},
	{"trsvcid", NULL, NVME_RPC_FABRICS},
	{"priority", NULL, NVME_RPC_FABRICS},
	{"subnqn", NULL, NVME_RPC_FABRICS},
	{"hostnqn", NULL, NVME_RPC_FABRICS},
	{"hostaddr", NULL, NVME_RPC_FABRICS},
	{"hostsvcid", NULL, NVME_RPC_FABRICS},
	{"fabrics_connect_timeout_us", NULL, NVME_RPC_FABRICS},
	{"disable_sq_flow_control", NULL, NVME_RPC_FABRICS},
	{"hdgst", "false", "digests are NVMe/TCP's, which USK's bdev_nvme does not attach yet"},
	{"ddgst", "false", "digests are NVMe/TCP's, which USK's bdev_nvme does not attach yet"},
	{"psk", "null", "TLS is NVMe/TCP's, which USK's bdev_nvme does not attach yet"},
	{"dhchap_key", "null", "DH-HMAC-CHAP is not supported"},
	{"dhchap_ctrlr_key", "null", "DH-HMAC-CHAP is not supported"},
	{"prchk_reftag", "false", "USK does not check protection information"},
	{"prchk_guard", "false", "USK does not check protection information"},
	{"ctrlr_loss_timeout_sec", "0", NVME_RPC_NO_RECONNECT},
	{"reconnect_delay_sec", "0", NVME_RPC_NO_RECONNECT},
	{"fast_io_fail_timeout_sec", "0", NVME_RPC_NO_RECONNECT},
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

static void rpc_bdev_nvme_attach_controller(struct usk_rpc_request *req,
					    const struct usk_json_val *params)
{
	struct attach_params p = {0};
	struct nvme_bdev_ctrlr *nc;
	struct usk_pci_addr addr;
	char traddr[USK_PCI_ADDR_STRLEN];
	char trid[64];
	char err[512];
	int rc;

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
	if (p.trtype != NULL && strcasecmp(p.trtype, "PCIe") != 0) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS,
				   "params: field 'trtype': '%s' is not supported (PCIe only)",
				   p.trtype);
		goto out;
	}
	/* Parsed here, so a traddr cannot carry transport ID keys of its own. */
	if (usk_pci_addr_parse(&addr, p.traddr) != 0) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS,
				   "params: field 'traddr': '%s' is not a PCI address "
				   "(dddd:bb:dd.f or bb:dd.f)",
				   p.traddr);
		goto out;
	}
	usk_pci_addr_fmt(traddr, sizeof(traddr), &addr);
	snprintf(trid, sizeof(trid), "trtype:PCIe traddr:%s", traddr);
	rc = bdev_nvme_attach(p.name, trid, p.num_io_queues, &nc, err, sizeof(err));
	if (rc != 0) {
		usk_rpc_send_error(
			req, rc == -EINVAL || rc == -EEXIST ? USK_JSONRPC_ERROR_INVALID_PARAMS : rc,
			"params: %s", err);
		goto out;
	}
	attach_answer(req, nc);
out:
	free(p.name);
	free(p.trtype);
	free(p.traddr);
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

	if (nc == NULL) {
		return 0;
	}
	if (p->trtype != NULL && strcasecmp(p->trtype, "PCIe") != 0) {
		snprintf(err, errlen, "field 'trtype': controller '%s' has no %s path (it is PCIe)",
			 p->name, p->trtype);
		return -EINVAL;
	}
	if (p->traddr != NULL &&
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
	return usk_nvme_ctrlr_is_failed(nc->ctrlr) ? "failed" : "enabled";
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
