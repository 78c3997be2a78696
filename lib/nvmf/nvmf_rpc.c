/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The transport's RPC methods, SPDK's names and params:
 * nvmf_create_transport and nvmf_get_transports. What SPDK's client sends
 * and the TCP transport here has no use for is accepted with the value
 * that changes nothing, and named in the log once.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <strings.h>

#include "usk/util.h"
#include "nvmf_internal.h"

struct transport_params {
	char *trtype;
	struct nvmf_transport_opts o;
};

#define OPT(name, type)                                                                        \
	{                                                                                      \
#name, offsetof(struct transport_params, o.name), usk_json_decode_##type, true \
	}

static const struct usk_json_object_decoder g_transport_decoders[] = {
	{"trtype", offsetof(struct transport_params, trtype), usk_json_decode_string, false},
	OPT(max_queue_depth, uint32),
	OPT(max_io_qpairs_per_ctrlr, uint32),
	OPT(in_capsule_data_size, uint32),
	OPT(max_io_size, uint32),
	OPT(io_unit_size, uint32),
	OPT(max_aq_depth, uint32),
	OPT(num_shared_buffers, uint32),
	OPT(buf_cache_size, uint32),
	OPT(acceptor_poll_rate, uint32),
	OPT(c2h_success, bool),
};

static const struct usk_json_compat_member g_transport_compat[] = {
	{"tgt_name", NULL, "USK runs one target"},
	{"zcopy", NULL, "a command's buffer is its bdev I/O's buffer already"},
	{"dif_insert_or_strip", "false", "USK bdevs carry no protection information"},
	{"sock_priority", "0", "sockets keep the system's priority"},
	{"abort_timeout_sec", NULL, "Abort is answered at once: commands finish on their own"},
	{"acceptor_backlog", NULL, "the socket layer sets the backlog"},
	{"ack_timeout", NULL, "an RDMA option"},
	{"data_wr_pool_size", NULL, "an RDMA option"},
	{"num_cqe", NULL, "an RDMA option"},
	{"max_srq_depth", NULL, "an RDMA option"},
	{"no_srq", NULL, "an RDMA option"},
	{"no_wr_batching", NULL, "an RDMA option"},
	{"control_msg_num", NULL, "the TCP transport here keeps no control messages"},
	{"iobuf_small_cache_size", NULL, "each poll group has its own buffers"},
	{"iobuf_large_cache_size", NULL, "each poll group has its own buffers"},
	{"kas", NULL, "keep alive granularity is the keep alive poller's, 100 ms"},
	{"min_kato", NULL, "the host's keep alive timeout is taken as it asks"},
};

static void rpc_nvmf_create_transport(struct usk_rpc_request *req,
				      const struct usk_json_val *params)
{
	struct transport_params p = {0};
	const char *why;
	int rc;

	nvmf_transport_opts_default(&p.o);
	if (usk_rpc_decode_params_compat(req, params, g_transport_decoders,
					 USK_COUNTOF(g_transport_decoders), g_transport_compat,
					 USK_COUNTOF(g_transport_compat), &p) != 0) {
		goto free_params;
	}
	if (strcasecmp(p.trtype, "TCP") != 0) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS,
				   "params: field 'trtype': only TCP is a transport here");
		goto free_params;
	}
	if (nvmf_transport_opts_check(&p.o, &why) != 0) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS, "params: %s", why);
		goto free_params;
	}
	rc = nvmf_tgt_create_transport(&p.o);
	if (rc == -EEXIST) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS,
				   "transport TCP already exists");
	} else {
		usk_rpc_send_bool(req, true);
	}
free_params:
	free(p.trtype);
}

struct get_transports_params {
	char *trtype;
	char *tgt_name;
};

static const struct usk_json_object_decoder g_get_transports_decoders[] = {
	{"trtype", offsetof(struct get_transports_params, trtype), usk_json_decode_string, true},
	{"tgt_name", offsetof(struct get_transports_params, tgt_name), usk_json_decode_string,
	 true},
};

void nvmf_rpc_write_transport_opts(struct usk_json_write_ctx *w)
{
	const struct nvmf_transport_opts *o = &g_nvmf.opts;

	usk_json_write_named_string(w, "trtype", "TCP");
	usk_json_write_named_uint64(w, "max_queue_depth", o->max_queue_depth);
	usk_json_write_named_uint64(w, "max_io_qpairs_per_ctrlr", o->max_io_qpairs_per_ctrlr);
	usk_json_write_named_uint64(w, "in_capsule_data_size", o->in_capsule_data_size);
	usk_json_write_named_uint64(w, "max_io_size", o->max_io_size);
	usk_json_write_named_uint64(w, "io_unit_size", o->io_unit_size);
	usk_json_write_named_uint64(w, "max_aq_depth", o->max_aq_depth);
	usk_json_write_named_uint64(w, "num_shared_buffers", o->num_shared_buffers);
	usk_json_write_named_uint64(w, "buf_cache_size", o->buf_cache_size);
	usk_json_write_named_uint64(w, "acceptor_poll_rate", o->acceptor_poll_rate);
	usk_json_write_named_bool(w, "c2h_success", o->c2h_success);
}

static void rpc_nvmf_get_transports(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	struct get_transports_params p = {0};
	struct usk_json_write_ctx *w;

	if (usk_rpc_decode_params(req, params, g_get_transports_decoders,
				  USK_COUNTOF(g_get_transports_decoders), &p) != 0) {
		goto free_params;
	}
	if (p.trtype != NULL && (strcasecmp(p.trtype, "TCP") != 0 || !g_nvmf.has_transport)) {
		usk_rpc_send_error(req, -ENODEV, "no transport %s", p.trtype);
		goto free_params;
	}
	w = usk_rpc_begin_result(req);
	if (w == NULL) {
		goto free_params;
	}
	usk_json_write_array_begin(w);
	if (g_nvmf.has_transport) {
		usk_json_write_object_begin(w);
		nvmf_rpc_write_transport_opts(w);
		usk_json_write_object_end(w);
	}
	usk_json_write_array_end(w);
	usk_rpc_end_result(req, w);
free_params:
	free(p.trtype);
	free(p.tgt_name);
}

int nvmf_rpc_register(void)
{
	int rc = usk_rpc_register_method("nvmf_create_transport", rpc_nvmf_create_transport);

	if (rc == 0) {
		rc = usk_rpc_register_method("nvmf_get_transports", rpc_nvmf_get_transports);
	}
	return rc;
}
