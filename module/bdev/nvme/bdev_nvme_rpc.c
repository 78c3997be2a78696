/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bdev_nvme_attach_controller and bdev_nvme_detach_controller, with SPDK's
 * names and params. The fields SPDK writes for PCIe controllers that mean
 * nothing here (end-to-end protection checks, fabrics reconnect timers)
 * are accepted and ignored, so SPDK's saved configs load.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "usk/pci.h"
#include "usk/rpc.h"
#include "bdev_nvme.h"

struct attach_params {
	char *name;
	char *trtype;
	char *traddr;
	bool ignored_bool;
	int32_t ignored_int;
};

static const struct usk_json_object_decoder g_attach_decoders[] = {
	{"name", offsetof(struct attach_params, name), usk_json_decode_string, false},
	{"trtype", offsetof(struct attach_params, trtype), usk_json_decode_string, true},
	{"traddr", offsetof(struct attach_params, traddr), usk_json_decode_string, false},
	{"prchk_reftag", offsetof(struct attach_params, ignored_bool), usk_json_decode_bool, true},
	{"prchk_guard", offsetof(struct attach_params, ignored_bool), usk_json_decode_bool, true},
	{"ctrlr_loss_timeout_sec", offsetof(struct attach_params, ignored_int),
	 usk_json_decode_int32, true},
	{"reconnect_delay_sec", offsetof(struct attach_params, ignored_int), usk_json_decode_int32,
	 true},
	{"fast_io_fail_timeout_sec", offsetof(struct attach_params, ignored_int),
	 usk_json_decode_int32, true},
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

	if (usk_rpc_decode_params(req, params, g_attach_decoders,
				  sizeof(g_attach_decoders) / sizeof(g_attach_decoders[0]),
				  &p) != 0) {
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
	rc = bdev_nvme_attach(p.name, trid, &nc, err, sizeof(err));
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

static const struct usk_json_object_decoder g_detach_decoders[] = {
	{"name", 0, usk_json_decode_string, false},
};

static void rpc_bdev_nvme_detach_controller(struct usk_rpc_request *req,
					    const struct usk_json_val *params)
{
	char *name = NULL;
	int rc;

	if (usk_rpc_decode_params(req, params, g_detach_decoders, 1, &name) != 0) {
		return;
	}
	rc = bdev_nvme_detach(name, detach_done, req);
	if (rc != 0) {
		usk_rpc_send_error(
			req, USK_JSONRPC_ERROR_INVALID_PARAMS, "params: field 'name': %s",
			rc == -ENODEV ? "no such controller" : "the controller is already going");
	}
	free(name);
}

int bdev_nvme_rpc_register(void)
{
	int rc = usk_rpc_register_method("bdev_nvme_attach_controller",
					 rpc_bdev_nvme_attach_controller);

	return rc ? rc
		  : usk_rpc_register_method("bdev_nvme_detach_controller",
					    rpc_bdev_nvme_detach_controller);
}
