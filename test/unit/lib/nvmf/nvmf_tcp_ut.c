/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TCP transport and the commands it carries, over loopback sockets:
 * the test is the host (plain sockets, PDUs built by hand from the
 * specification), the target runs on two threads polled here (the target
 * thread and one poll group) over a malloc bdev. ICReq/ICResp, Connect
 * (admin, I/O, refused hosts), Property Get/Set, commands refused while
 * the controller is not enabled, Identify, writes in the
 * capsule and by R2T/H2CData, reads by C2HData, the I/O status codes, a
 * malformed PDU ending its connection only, and the keep alive timeout.
 * The target's threads are polled at a mocked tick that only the test
 * moves (the keep alive is checked to the tick); waits for bytes on the
 * loopback are bounded by counts of short naps, never by a time limit.
 *
 * Sources it covers (lib/nvmf): nvmf_tcp_conn.c, nvmf_tcp_listen.c,
 * nvmf_tcp_req.c, nvmf_req.c, nvmf_ctrlr.c, nvmf_admin.c, nvmf_io.c and
 * nvmf_poll_group.c.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../../../lib/rpc/rpc_request.c"
#include "usk/env.h"
#include "usk/event.h"
#include "usk/ticks.h"
#include "usk/util.h"
#include "nvmf_internal.h"
#include "nvmf_tcp.h"
#include "bdev_internal.h"
#include "bdev_modules.h"
#include "ut.h"
#include "ut_rpc_conn.h"
#include "ut_rpc_call.h"
#include "ut_free_port.h"
#include "ut_nvmf_app.h"
#include "ut_thread.h"

#define NQN   "nqn.2016-06.io.spdk:cnode1"
#define HOST1 "nqn.2014-08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555"
#define HOST2 "nqn.2014-08.org.nvmexpress:uuid:11111111-2222-3333-4444-666666666666"

/* threads[0]: the target thread; threads[1]: the poll group's. */
static struct usk_thread *g_threads[2];
static struct nvmf_poll_group *g_group;
static char g_port[8];
/* The tick the threads are polled at: moved by the test alone (advance()). */
static uint64_t g_now;

/* Up to 20 s of 1 ms naps: enough on a loaded machine, finite on a broken one. */
#define NAP_ROUNDS 20000

static void pump(void)
{
	ut_poll_threads_at(g_threads, 2, g_now);
}

/* Moves the mocked clock on to @end, in steps of the keep alive poller's period, pumping each. */
static void advance_to(uint64_t end)
{
	while (g_now < end) {
		g_now = USK_MIN(end, g_now + usk_us_to_ticks(10000));
		pump();
	}
}

static void advance(uint64_t us)
{
	advance_to(g_now + usk_us_to_ticks(us));
}

static void nap_real_ms(int ms)
{
	poll(NULL, 0, ms);
}

/*
 * Sleeps up to 1 ms, less when bytes (or EOF) come on @fd: the kernel
 * moves loopback bytes, and needs real time for it, not a clock.
 */
static void nap(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	poll(&p, 1, 1);
}

static void dispatch_msg(void *ctx)
{
	ut_rpc_dispatch(ctx);
}

static void rpc_ok(const char *method, const char *params)
{
	int answers = g_conn.answers;

	CU_ASSERT_EQUAL(
		usk_thread_send_msg(g_threads[0], dispatch_msg, ut_rpc_request_new(method, params)),
		0);
	pump();
	CU_ASSERT_EQUAL(g_conn.answers, answers + 1);
	CU_ASSERT_PTR_NULL(json_object_get(g_conn.last, "error"));
}

/* A host connection: a plain non-blocking socket. */
struct host {
	int fd;
	uint16_t cid;
};

static void host_connect_port(struct host *h, const char *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(port))};

	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	h->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	h->cid = 0;
	CU_ASSERT_FATAL(h->fd >= 0);
	connect(h->fd, (struct sockaddr *)&a, sizeof(a));
	/* The listener and the group take the connection. */
	for (int i = 0; i < 100; i++) {
		struct pollfd p = {.fd = h->fd, .events = POLLOUT};

		pump();
		if (poll(&p, 1, 10) == 1) {
			break;
		}
	}
	pump();
}

static void host_connect(struct host *h)
{
	host_connect_port(h, g_port);
}

static void host_send(struct host *h, const void *buf, size_t len)
{
	CU_ASSERT_EQUAL(send(h->fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* Reads @len bytes, pumping the target meanwhile; false on EOF or after NAP_ROUNDS naps. */
static bool host_recv(struct host *h, void *buf, size_t len)
{
	size_t got = 0;

	for (int naps = 0; got < len && naps < NAP_ROUNDS;) {
		ssize_t n = recv(h->fd, (uint8_t *)buf + got, len - got, 0);

		if (n == 0) {
			return false;
		}
		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		pump();
		nap(h->fd);
		naps++;
	}
	return got == len;
}

/*
 * Whether the target closed the connection (EOF, or a reset for bytes it
 * left unread) within NAP_ROUNDS naps, pumping meanwhile: a connection
 * that stays open, or sends bytes, is not closed.
 */
static bool host_sees_eof(struct host *h)
{
	uint8_t b;

	for (int naps = 0; naps < NAP_ROUNDS; naps++) {
		ssize_t n = recv(h->fd, &b, 1, 0);

		if (n >= 0 || errno != EAGAIN) {
			return n == 0 || (n < 0 && errno == ECONNRESET);
		}
		pump();
		nap(h->fd);
	}
	return false;
}

/* The next PDU: its header into @hdr (128 bytes), its data (no digests here) into @data. */
static uint8_t host_recv_pdu(struct host *h, union usk_nvme_tcp_pdu_hdr *hdr, void *data,
			     size_t data_max, uint32_t *data_len)
{
	uint8_t rest[USK_NVME_TCP_TERM_DATA_MAX];

	memset(hdr, 0, sizeof(*hdr));
	*data_len = 0;
	if (!host_recv(h, hdr, 8) || !host_recv(h, hdr->raw + 8, hdr->ch.hlen - 8u)) {
		return 0xff;
	}
	if (hdr->ch.plen > hdr->ch.hlen) {
		uint32_t pad = hdr->ch.pdo != 0 ? hdr->ch.pdo - hdr->ch.hlen : 0;
		uint32_t len = hdr->ch.plen - hdr->ch.hlen - pad;

		CU_ASSERT_FATAL(pad <= sizeof(rest) && len <= data_max);
		CU_ASSERT_FATAL(host_recv(h, rest, pad));
		CU_ASSERT_FATAL(host_recv(h, data, len));
		*data_len = len;
	}
	return hdr->ch.pdu_type;
}

static void host_send_pdu(struct host *h, uint8_t type, const void *psh, uint8_t hlen,
			  const void *data, uint32_t len, uint8_t flags)
{
	struct usk_nvme_tcp_common_hdr ch = {
		.pdu_type = type,
		.flags = flags,
		.hlen = hlen,
		.pdo = len ? hlen : 0,
		.plen = hlen + len,
	};

	host_send(h, &ch, sizeof(ch));
	host_send(h, psh, hlen - sizeof(ch));
	if (len) {
		host_send(h, data, len);
	}
}

static void host_icreq(struct host *h)
{
	struct usk_nvme_tcp_icreq ic = {
		.ch = {.pdu_type = USK_NVME_TCP_PDU_ICREQ, .hlen = 128, .plen = 128}};
	union usk_nvme_tcp_pdu_hdr r;
	uint32_t n;

	host_send(h, &ic, sizeof(ic));
	CU_ASSERT_EQUAL_FATAL(host_recv_pdu(h, &r, NULL, 0, &n), USK_NVME_TCP_PDU_ICRESP);
	CU_ASSERT_EQUAL(r.icresp.pfv, 0);
	CU_ASSERT_EQUAL(r.icresp.dgst, 0);
	CU_ASSERT_EQUAL(r.icresp.maxh2cdata, 131072);
}

/* A command with its SGL; returns the response's status (SCT << 8 | SC), dw0 in *@dw0. */
static int host_cmd(struct host *h, struct usk_nvme_sqe *sqe, const void *icd, uint32_t icd_len,
		    const void *out, void *in, uint32_t *dw0)
{
	union usk_nvme_tcp_pdu_hdr r;
	uint32_t n;
	uint8_t type;

	sqe->cid = ++h->cid;
	sqe->flags = USK_NVME_SQE_PSDT_SGL;
	host_send_pdu(h, USK_NVME_TCP_PDU_CAPSULE_CMD, sqe, 72, icd, icd_len, 0);
	while ((type = host_recv_pdu(h, &r, in, 1 << 20, &n)) != USK_NVME_TCP_PDU_CAPSULE_RESP) {
		if (type == USK_NVME_TCP_PDU_R2T) {
			struct usk_nvme_tcp_data d = {.cccid = r.r2t.cccid,
						      .ttag = r.r2t.ttag,
						      .datao = r.r2t.r2to,
						      .datal = r.r2t.r2tl};

			host_send_pdu(h, USK_NVME_TCP_PDU_H2C_DATA, &d.cccid, 24,
				      (const uint8_t *)out + r.r2t.r2to, r.r2t.r2tl,
				      USK_NVME_TCP_FLAG_LAST_PDU);
			continue;
		}
		CU_ASSERT_EQUAL_FATAL(type, USK_NVME_TCP_PDU_C2H_DATA);
	}
	CU_ASSERT_EQUAL(r.resp.cqe.cid, h->cid);
	if (dw0 != NULL) {
		*dw0 = r.resp.cqe.dw0;
	}
	return USK_NVME_STATUS_CODE(r.resp.cqe.status);
}

static void sgl(struct usk_nvme_sqe *sqe, uint32_t len, uint8_t type)
{
	sqe->prp1 = 0;
	sqe->prp2 = len | (uint64_t)type << 56;
}

static int host_connect_cmd(struct host *h, uint16_t qid, uint16_t cntlid, const char *hostnqn,
			    uint32_t kato, uint32_t *dw0)
{
	struct usk_nvmf_connect_data data = {.cntlid = cntlid};
	struct usk_nvmf_connect_cmd cmd = {.opcode = USK_NVMF_OPC_FABRIC,
					   .fctype = USK_NVMF_FCTYPE_CONNECT,
					   .qid = qid,
					   .sqsize = qid ? 127 : 31,
					   .kato = kato};

	strcpy(data.subnqn, NQN);
	strcpy(data.hostnqn, hostnqn);
	sgl((struct usk_nvme_sqe *)&cmd, sizeof(data), USK_NVME_SGL_TYPE_DATA_BLOCK_OFFSET);
	return host_cmd(h, (struct usk_nvme_sqe *)&cmd, &data, sizeof(data), NULL, NULL, dw0);
}

static int host_prop(struct host *h, uint8_t fctype, uint32_t ofst, uint8_t size, uint64_t val,
		     uint32_t *dw0)
{
	struct usk_nvmf_property_cmd cmd = {.opcode = USK_NVMF_OPC_FABRIC,
					    .fctype = fctype,
					    .attrib = size,
					    .ofst = ofst,
					    .value = val};

	return host_cmd(h, (struct usk_nvme_sqe *)&cmd, NULL, 0, NULL, NULL, dw0);
}

/* An enabled controller's admin queue; its cntlid. */
static uint16_t admin_up(struct host *h, uint32_t kato)
{
	uint32_t dw0 = 0, csts = 0;

	host_connect(h);
	host_icreq(h);
	CU_ASSERT_EQUAL_FATAL(host_connect_cmd(h, 0, 0xffff, HOST1, kato, &dw0), 0);
	CU_ASSERT_EQUAL(host_prop(h, USK_NVMF_FCTYPE_PROPERTY_SET, USK_NVME_REG_CC, 0,
				  USK_NVME_CC_EN, NULL),
			0);
	CU_ASSERT_EQUAL(host_prop(h, USK_NVMF_FCTYPE_PROPERTY_GET, USK_NVME_REG_CSTS, 0, 0, &csts),
			0);
	CU_ASSERT_EQUAL(csts & USK_NVME_CSTS_RDY, USK_NVME_CSTS_RDY);
	return (uint16_t)dw0;
}

static int host_io(struct host *h, uint8_t opc, uint32_t nsid, uint64_t lba, uint32_t bytes,
		   const void *out, void *in, bool in_capsule)
{
	struct usk_nvme_sqe sqe = {.opcode = opc,
				   .nsid = nsid,
				   .cdw10 = (uint32_t)lba,
				   .cdw11 = (uint32_t)(lba >> 32),
				   .cdw12 = bytes / 512 - 1};

	sgl(&sqe, bytes,
	    in_capsule ? USK_NVME_SGL_TYPE_DATA_BLOCK_OFFSET : USK_NVME_SGL_TYPE_TRANSPORT_DATA);
	return host_cmd(h, &sqe, in_capsule ? out : NULL, in_capsule ? bytes : 0, out, in, NULL);
}

static int host_identify(struct host *h, uint8_t cns, uint32_t nsid, void *buf)
{
	struct usk_nvme_sqe sqe = {.opcode = USK_NVME_OPC_IDENTIFY, .nsid = nsid, .cdw10 = cns};

	sgl(&sqe, 4096, USK_NVME_SGL_TYPE_TRANSPORT_DATA);
	return host_cmd(h, &sqe, NULL, 0, NULL, buf, NULL);
}

static void test_admin_connect(void)
{
	struct host h;
	uint32_t dw0;
	uint8_t cd[4096];
	const struct usk_nvmf_ctrlr_data_fabrics *f =
		(const void *)(cd + USK_NVME_CDATA_FABRICS_OFFSET);
	struct usk_nvme_sqe temp = {.opcode = USK_NVME_OPC_GET_FEATURES,
				    .cdw10 = USK_NVME_FEAT_TEMPERATURE_THRESHOLD};

	admin_up(&h, 0);
	CU_ASSERT_EQUAL(host_prop(&h, USK_NVMF_FCTYPE_PROPERTY_GET, USK_NVME_REG_CAP, 1, 0, &dw0),
			0);
	CU_ASSERT_EQUAL(dw0 & 0xffff, 127);
	/* CAP is 8 bytes: a 4-byte read is refused. */
	CU_ASSERT_EQUAL(host_prop(&h, USK_NVMF_FCTYPE_PROPERTY_GET, USK_NVME_REG_CAP, 0, 0, &dw0),
			USK_NVME_SC_INVALID_FIELD);
	CU_ASSERT_EQUAL(host_identify(&h, USK_NVME_CNS_CONTROLLER, 0, cd), 0);
	CU_ASSERT_EQUAL(memcmp(cd + 4, "USK0001             ", 20), 0);
	CU_ASSERT_STRING_EQUAL((char *)cd + USK_NVME_CDATA_SUBNQN_OFFSET, NQN);
	CU_ASSERT_EQUAL(f->ioccsz, (64 + 4096) / 16);
	CU_ASSERT_EQUAL(cd[USK_NVME_CDATA_CNTRLTYPE_OFFSET], USK_NVME_CNTRLTYPE_IO);
	CU_ASSERT_EQUAL(host_identify(&h, USK_NVME_CNS_ACTIVE_NS_LIST, 0, cd), 0);
	CU_ASSERT_EQUAL(((uint32_t *)cd)[0], 1);
	CU_ASSERT_EQUAL(((uint32_t *)cd)[1], 0);
	CU_ASSERT_EQUAL(host_identify(&h, USK_NVME_CNS_NAMESPACE, 1, cd), 0);
	CU_ASSERT_EQUAL(((struct usk_nvme_ns_data *)cd)->nsze, 256);
	CU_ASSERT_EQUAL(host_identify(&h, USK_NVME_CNS_NAMESPACE, 99, cd),
			USK_NVME_SC_INVALID_NAMESPACE);
	/* A new controller's features are at their defaults: no temperature warning. */
	CU_ASSERT_EQUAL(host_cmd(&h, &temp, NULL, 0, NULL, NULL, &dw0), 0);
	CU_ASSERT_TRUE((dw0 & 0xffff) > NVMF_COMPOSITE_TEMPERATURE_K);
	close(h.fd);
}

static void test_io(void)
{
	static uint8_t out[65536], in[65536];
	struct host a, io;
	uint16_t cntlid = admin_up(&a, 0);
	uint32_t dw0;

	host_connect(&io);
	host_icreq(&io);
	/* An I/O queue names its controller: an unknown one is an invalid parameter. */
	CU_ASSERT_EQUAL(host_connect_cmd(&io, 1, (uint16_t)(cntlid + 1), HOST1, 0, &dw0),
			USK_NVME_SCT_COMMAND_SPECIFIC << 8 | USK_NVMF_SC_CONNECT_INVALID_PARAM);
	CU_ASSERT_EQUAL(dw0, 1u | 16u << 16); /* IATTR data, IPO 16: cntlid */
	for (size_t i = 0; i < sizeof(out); i++) {
		out[i] = (uint8_t)(i * 7 + 1);
	}
	CU_ASSERT_EQUAL(host_connect_cmd(&io, 1, cntlid, HOST1, 0, NULL), 0);
	CU_ASSERT_EQUAL(host_io(&io, USK_NVME_OPC_WRITE, 1, 0, 4096, out, NULL, true), 0);
	CU_ASSERT_EQUAL(host_io(&io, USK_NVME_OPC_WRITE, 1, 16, 65536, out, NULL, false), 0);
	CU_ASSERT_EQUAL(host_io(&io, USK_NVME_OPC_READ, 1, 0, 4096, NULL, in, false), 0);
	CU_ASSERT_EQUAL(memcmp(in, out, 4096), 0);
	memset(in, 0, sizeof(in));
	CU_ASSERT_EQUAL(host_io(&io, USK_NVME_OPC_READ, 1, 16, 65536, NULL, in, false), 0);
	CU_ASSERT_EQUAL(memcmp(in, out, 65536), 0);
	CU_ASSERT_EQUAL(host_io(&io, USK_NVME_OPC_READ, 1, 256, 512, NULL, in, false),
			USK_NVME_SC_LBA_OUT_OF_RANGE);
	CU_ASSERT_EQUAL(host_io(&io, USK_NVME_OPC_READ, 2, 0, 512, NULL, in, false),
			USK_NVME_SC_INVALID_NAMESPACE);
	{
		/* The SGL must carry the blocks exactly: 1024 bytes for one block is refused. */
		struct usk_nvme_sqe rd = {.opcode = USK_NVME_OPC_READ, .nsid = 1};

		sgl(&rd, 1024, USK_NVME_SGL_TYPE_TRANSPORT_DATA);
		CU_ASSERT_EQUAL(host_cmd(&io, &rd, NULL, 0, NULL, in, NULL),
				USK_NVME_SC_DATA_SGL_LENGTH_INVALID);
	}
	{
		struct usk_nvme_sqe sqe = {
			.opcode = USK_NVME_OPC_WRITE_ZEROES, .nsid = 1, .cdw10 = 16, .cdw12 = 7};

		CU_ASSERT_EQUAL(host_cmd(&io, &sqe, NULL, 0, NULL, NULL, NULL), 0);
		CU_ASSERT_EQUAL(host_io(&io, USK_NVME_OPC_READ, 1, 16, 4096, NULL, in, false), 0);
		CU_ASSERT_TRUE(in[0] == 0 && in[4095] == 0);
		sqe = (struct usk_nvme_sqe){.opcode = 0x7e, .nsid = 1};
		CU_ASSERT_EQUAL(host_cmd(&io, &sqe, NULL, 0, NULL, NULL, NULL),
				USK_NVME_SC_INVALID_OPCODE);
	}
	close(io.fd);
	close(a.fd);
}

/*
 * A controller that is not enabled (CC.EN 0: before the host enables it, or
 * once it resets it) runs Fabrics commands only: admin and I/O commands end
 * with Command Sequence Error, as in Linux's and SPDK's targets, rather than
 * run as on a ready controller.
 */
static void test_commands_need_an_enabled_controller(void)
{
	struct host a, io;
	uint8_t cd[4096], in[512];
	uint32_t dw0 = 0;

	host_connect(&a);
	host_icreq(&a);
	CU_ASSERT_EQUAL_FATAL(host_connect_cmd(&a, 0, 0xffff, HOST1, 0, &dw0), 0);
	CU_ASSERT_EQUAL(host_identify(&a, USK_NVME_CNS_CONTROLLER, 0, cd),
			USK_NVME_SC_COMMAND_SEQUENCE_ERROR);
	CU_ASSERT_EQUAL(host_prop(&a, USK_NVMF_FCTYPE_PROPERTY_SET, USK_NVME_REG_CC, 0,
				  USK_NVME_CC_EN, NULL),
			0);
	CU_ASSERT_EQUAL(host_identify(&a, USK_NVME_CNS_CONTROLLER, 0, cd), 0);
	host_connect(&io);
	host_icreq(&io);
	CU_ASSERT_EQUAL(host_connect_cmd(&io, 1, (uint16_t)dw0, HOST1, 0, NULL), 0);
	CU_ASSERT_EQUAL(host_io(&io, USK_NVME_OPC_READ, 1, 0, 512, NULL, in, false), 0);
	/* A reset: CC.EN cleared, CSTS.RDY follows. */
	CU_ASSERT_EQUAL(host_prop(&a, USK_NVMF_FCTYPE_PROPERTY_SET, USK_NVME_REG_CC, 0, 0, NULL),
			0);
	CU_ASSERT_EQUAL(host_prop(&a, USK_NVMF_FCTYPE_PROPERTY_GET, USK_NVME_REG_CSTS, 0, 0, &dw0),
			0);
	CU_ASSERT_EQUAL(dw0 & USK_NVME_CSTS_RDY, 0);
	CU_ASSERT_EQUAL(host_identify(&a, USK_NVME_CNS_CONTROLLER, 0, cd),
			USK_NVME_SC_COMMAND_SEQUENCE_ERROR);
	close(io.fd);
	close(a.fd);
}

/* The C2HTermReq a broken PDU gets names @fes; then the connection ends. */
static void assert_term(struct host *h, uint16_t fes)
{
	union usk_nvme_tcp_pdu_hdr r;
	uint8_t data[USK_NVME_TCP_TERM_DATA_MAX];
	uint32_t n;

	CU_ASSERT_EQUAL(host_recv_pdu(h, &r, data, sizeof(data), &n),
			USK_NVME_TCP_PDU_C2H_TERM_REQ);
	CU_ASSERT_EQUAL(r.term.fes, fes);
	CU_ASSERT_TRUE(host_sees_eof(h));
	close(h->fd);
}

static void assert_still_serves(struct host *a)
{
	uint8_t cd[4096];

	CU_ASSERT_EQUAL(host_identify(a, USK_NVME_CNS_CONTROLLER, 0, cd), 0);
}

static void test_malformed(void)
{
	struct host a, b;
	struct usk_nvme_sqe sqe = {.opcode = USK_NVME_OPC_IDENTIFY, .cdw10 = 1};
	struct usk_nvme_tcp_data d = {.cccid = 1, .ttag = 5, .datal = 512};
	struct usk_nvme_tcp_common_hdr ch = {.pdu_type = USK_NVME_TCP_PDU_CAPSULE_CMD,
					     .hlen = 72,
					     .pdo = 72,
					     .plen = 72 + (1u << 20)};
	static uint8_t zero[512];

	admin_up(&a, 0);
	/* A CapsuleCmd whose HLEN is not 72. */
	host_connect(&b);
	host_icreq(&b);
	host_send_pdu(&b, USK_NVME_TCP_PDU_CAPSULE_CMD, &sqe, 40, NULL, 0, 0);
	assert_term(&b, USK_NVME_TCP_FES_INVALID_HEADER_FIELD);
	assert_still_serves(&a);
	/* A capsule of 1 MiB: more than the target takes. */
	host_connect(&b);
	host_icreq(&b);
	host_send(&b, &ch, sizeof(ch));
	host_send(&b, &sqe, sizeof(sqe));
	assert_term(&b, USK_NVME_TCP_FES_LIMIT_EXCEEDED);
	assert_still_serves(&a);
	/* H2CData for no R2T. */
	host_connect(&b);
	host_icreq(&b);
	host_send_pdu(&b, USK_NVME_TCP_PDU_H2C_DATA, &d.cccid, 24, zero, sizeof(zero),
		      USK_NVME_TCP_FLAG_LAST_PDU);
	assert_term(&b, USK_NVME_TCP_FES_INVALID_HEADER_FIELD);
	assert_still_serves(&a);
	/* A command before ICReq. */
	host_connect(&b);
	host_send_pdu(&b, USK_NVME_TCP_PDU_CAPSULE_CMD, &sqe, 72, NULL, 0, 0);
	assert_term(&b, USK_NVME_TCP_FES_PDU_SEQUENCE_ERROR);
	assert_still_serves(&a);
	close(a.fd);
}

static void test_host_not_allowed(void)
{
	struct host h;
	uint32_t dw0;

	host_connect(&h);
	host_icreq(&h);
	CU_ASSERT_EQUAL(host_connect_cmd(&h, 0, 0xffff, HOST2, 0, &dw0),
			USK_NVME_SCT_COMMAND_SPECIFIC << 8 | USK_NVMF_SC_CONNECT_INVALID_HOST);
	close(h.fd);
}

/*
 * An empty Host NQN (SPDK's initiator sends one unless told a name) is no
 * malformed field: an allow list refuses it, allow_any_host lets it in.
 */
static void test_empty_host_nqn(void)
{
	struct host h;
	uint32_t dw0;

	host_connect(&h);
	host_icreq(&h);
	CU_ASSERT_EQUAL(host_connect_cmd(&h, 0, 0xffff, "", 0, &dw0),
			USK_NVME_SCT_COMMAND_SPECIFIC << 8 | USK_NVMF_SC_CONNECT_INVALID_HOST);
	close(h.fd);
	rpc_ok("nvmf_subsystem_allow_any_host", "{\"nqn\": \"" NQN "\", \"allow_any_host\": true}");
	host_connect(&h);
	host_icreq(&h);
	CU_ASSERT_EQUAL(host_connect_cmd(&h, 0, 0xffff, "", 0, &dw0), 0);
	close(h.fd);
	rpc_ok("nvmf_subsystem_allow_any_host",
	       "{\"nqn\": \"" NQN "\", \"allow_any_host\": false}");
}

/* nvmf_subsystem_add_listener or remove_listener of 127.0.0.1 @port. */
static void listener_rpc(const char *method, const char *port)
{
	char params[256];

	snprintf(params, sizeof(params),
		 "{\"nqn\": \"" NQN "\", \"listen_address\": {\"trtype\": \"TCP\", "
		 "\"traddr\": \"127.0.0.1\", \"trsvcid\": \"%s\"}}",
		 port);
	rpc_ok(method, params);
}

static size_t ctrlr_count(void)
{
	struct nvmf_subsystem *s = nvmf_subsystem_find(NQN);
	struct nvmf_ctrlr *c;
	size_t n = 0;

	pump();
	TAILQ_FOREACH(c, &s->ctrlrs, link) {
		n++;
	}
	return n;
}

/*
 * A controller reset (CC.EN 1 to 0) deletes every I/O queue (base 3.7.2);
 * a fabric controller's I/O queue is its connection, so the target closes
 * those, as SPDK's does, and keeps the admin queue. Re-enabled, the
 * controller takes a new I/O queue of the same QID. Before, the I/O queues
 * stayed connected through the reset, and a host reconnecting QID 1 was
 * refused with Connect Invalid Parameters (the QID still in use).
 */
static void test_reset_ends_io_queues(void)
{
	struct host a, io, io2;
	uint16_t cntlid = admin_up(&a, 0);
	uint8_t in[512];
	uint32_t csts = 0;

	host_connect(&io);
	host_icreq(&io);
	CU_ASSERT_EQUAL_FATAL(host_connect_cmd(&io, 1, cntlid, HOST1, 0, NULL), 0);
	CU_ASSERT_EQUAL(host_io(&io, USK_NVME_OPC_READ, 1, 0, 512, NULL, in, false), 0);
	CU_ASSERT_EQUAL(host_prop(&a, USK_NVMF_FCTYPE_PROPERTY_SET, USK_NVME_REG_CC, 0, 0, NULL),
			0);
	CU_ASSERT_EQUAL(host_prop(&a, USK_NVMF_FCTYPE_PROPERTY_SET, USK_NVME_REG_CC, 0,
				  USK_NVME_CC_EN, NULL),
			0);
	CU_ASSERT_EQUAL(host_prop(&a, USK_NVMF_FCTYPE_PROPERTY_GET, USK_NVME_REG_CSTS, 0, 0, &csts),
			0);
	CU_ASSERT_EQUAL(csts & USK_NVME_CSTS_RDY, USK_NVME_CSTS_RDY);
	host_connect(&io2);
	host_icreq(&io2);
	CU_ASSERT_EQUAL(host_connect_cmd(&io2, 1, cntlid, HOST1, 0, NULL), 0);
	CU_ASSERT_EQUAL(host_io(&io2, USK_NVME_OPC_READ, 1, 0, 512, NULL, in, false), 0);
	CU_ASSERT_TRUE(host_sees_eof(&io));
	close(io.fd);
	/* The old queue's end leaves the new one and the controller serving. */
	CU_ASSERT_EQUAL(host_io(&io2, USK_NVME_OPC_READ, 1, 0, 512, NULL, in, false), 0);
	CU_ASSERT_EQUAL(ctrlr_count(), 1);
	close(io2.fd);
	close(a.fd);
}

/*
 * Removing a listen address from a subsystem ends the connections its
 * controllers have through that address, as SPDK's target does; a host
 * that came in on another address keeps its controller. Before, the
 * queues stayed connected and kept serving I/O through an address the
 * subsystem no longer listens on.
 */
static void test_remove_listener_ends_its_connections(void)
{
	struct host a, io, b;
	char port2[8];
	uint16_t cntlid = admin_up(&a, 0);

	host_connect(&io);
	host_icreq(&io);
	CU_ASSERT_EQUAL_FATAL(host_connect_cmd(&io, 1, cntlid, HOST1, 0, NULL), 0);
	ut_free_port(port2, sizeof(port2));
	listener_rpc("nvmf_subsystem_add_listener", port2);
	host_connect_port(&b, port2);
	host_icreq(&b);
	CU_ASSERT_EQUAL_FATAL(host_connect_cmd(&b, 0, 0xffff, HOST1, 0, NULL), 0);
	CU_ASSERT_EQUAL(ctrlr_count(), 2);
	listener_rpc("nvmf_subsystem_remove_listener", g_port);
	CU_ASSERT_TRUE(host_sees_eof(&io));
	CU_ASSERT_TRUE(host_sees_eof(&a));
	CU_ASSERT_EQUAL(ctrlr_count(), 1);
	CU_ASSERT_EQUAL(host_prop(&b, USK_NVMF_FCTYPE_PROPERTY_GET, USK_NVME_REG_VS, 0, 0, NULL),
			0);
	close(io.fd);
	close(a.fd);
	close(b.fd);
	listener_rpc("nvmf_subsystem_add_listener", g_port);
	listener_rpc("nvmf_subsystem_remove_listener", port2);
	CU_ASSERT_EQUAL(ctrlr_count(), 0);
}

/*
 * A connection accepted on an address that is then removed is refused at
 * Connect once the subsystem listens on a new address. Before, the
 * connection kept a pointer to the freed listener, and had the new
 * listener been allocated at the same memory, Connect let it in.
 */
static void test_connect_after_listener_removed(void)
{
	struct host h, ok;
	char port2[8];

	host_connect(&h);
	host_icreq(&h);
	listener_rpc("nvmf_subsystem_remove_listener", g_port);
	ut_free_port(port2, sizeof(port2));
	listener_rpc("nvmf_subsystem_add_listener", port2);
	CU_ASSERT_EQUAL(host_connect_cmd(&h, 0, 0xffff, HOST1, 0, NULL),
			USK_NVME_SCT_COMMAND_SPECIFIC << 8 | USK_NVMF_SC_CONNECT_INVALID_HOST);
	host_connect_port(&ok, port2);
	host_icreq(&ok);
	CU_ASSERT_EQUAL(host_connect_cmd(&ok, 0, 0xffff, HOST1, 0, NULL), 0);
	close(ok.fd);
	close(h.fd);
	listener_rpc("nvmf_subsystem_add_listener", g_port);
	listener_rpc("nvmf_subsystem_remove_listener", port2);
	CU_ASSERT_EQUAL(ctrlr_count(), 0);
}

/* An I/O connection whose close the target asked for but which is not done yet. */
static struct nvmf_qpair_ops g_hold_ops;
static struct nvmf_qpair *g_held;

static void hold_disconnect(struct nvmf_qpair *q)
{
	g_held = q;
}

static void held_disconnect_msg(void *ctx)
{
	g_nvmf_tcp_qpair_ops.disconnect(ctx);
}

static uint32_t csts_shst(struct host *a)
{
	uint32_t csts = 0;

	CU_ASSERT_EQUAL(host_prop(a, USK_NVMF_FCTYPE_PROPERTY_GET, USK_NVME_REG_CSTS, 0, 0, &csts),
			0);
	return csts & USK_NVME_CSTS_SHST_MASK;
}

/*
 * A shutdown notice (CC.SHN 01b) ends the controller's I/O: its I/O queue
 * connections close, no I/O command and no new I/O queue is taken, and
 * CSTS.SHST says processing (01b) until the last I/O queue is gone, then
 * complete (10b); a reset and enable bring it back. Before, SHST said
 * complete at once and the I/O queue went on serving reads.
 */
static void test_shutdown_ends_io_queues(void)
{
	struct host a, io, io2;
	uint16_t cntlid = admin_up(&a, 0);
	struct nvmf_qpair *q;
	uint8_t in[512];

	host_connect(&io);
	host_icreq(&io);
	CU_ASSERT_EQUAL_FATAL(host_connect_cmd(&io, 1, cntlid, HOST1, 0, NULL), 0);
	CU_ASSERT_EQUAL(host_io(&io, USK_NVME_OPC_READ, 1, 0, 512, NULL, in, false), 0);
	q = TAILQ_FIRST(&nvmf_subsystem_find(NQN)->ctrlrs)->io[0];
	g_hold_ops = *q->ops;
	g_hold_ops.disconnect = hold_disconnect;
	q->ops = &g_hold_ops;
	g_held = NULL;
	CU_ASSERT_EQUAL(host_prop(&a, USK_NVMF_FCTYPE_PROPERTY_SET, USK_NVME_REG_CC, 0,
				  USK_NVME_CC_EN | USK_NVME_CC_SHN_NORMAL, NULL),
			0);
	CU_ASSERT_PTR_EQUAL(g_held, q);
	CU_ASSERT_EQUAL(csts_shst(&a), USK_NVME_CSTS_SHST_OCCURRING);
	CU_ASSERT_EQUAL(host_io(&io, USK_NVME_OPC_READ, 1, 0, 512, NULL, in, false),
			USK_NVME_SC_COMMAND_SEQUENCE_ERROR);
	host_connect(&io2);
	host_icreq(&io2);
	CU_ASSERT_EQUAL(host_connect_cmd(&io2, 2, cntlid, HOST1, 0, NULL),
			USK_NVME_SC_COMMAND_SEQUENCE_ERROR);
	close(io2.fd);
	CU_ASSERT_EQUAL(usk_thread_send_msg(g_threads[1], held_disconnect_msg, q), 0);
	CU_ASSERT_TRUE(host_sees_eof(&io));
	close(io.fd);
	CU_ASSERT_EQUAL(csts_shst(&a), USK_NVME_CSTS_SHST_COMPLETE);
	CU_ASSERT_EQUAL(ctrlr_count(), 1);
	/* A reset clears SHST; enabled again, the controller takes I/O queues. */
	CU_ASSERT_EQUAL(host_prop(&a, USK_NVMF_FCTYPE_PROPERTY_SET, USK_NVME_REG_CC, 0, 0, NULL),
			0);
	CU_ASSERT_EQUAL(csts_shst(&a), 0);
	CU_ASSERT_EQUAL(host_prop(&a, USK_NVMF_FCTYPE_PROPERTY_SET, USK_NVME_REG_CC, 0,
				  USK_NVME_CC_EN, NULL),
			0);
	host_connect(&io);
	host_icreq(&io);
	CU_ASSERT_EQUAL(host_connect_cmd(&io, 1, cntlid, HOST1, 0, NULL), 0);
	CU_ASSERT_EQUAL(host_io(&io, USK_NVME_OPC_READ, 1, 0, 512, NULL, in, false), 0);
	/* With no I/O queue, a shutdown is complete at once. */
	close(io.fd);
	CU_ASSERT_EQUAL(host_prop(&a, USK_NVMF_FCTYPE_PROPERTY_SET, USK_NVME_REG_CC, 0,
				  USK_NVME_CC_EN | USK_NVME_CC_SHN_NORMAL, NULL),
			0);
	CU_ASSERT_EQUAL(csts_shst(&a), USK_NVME_CSTS_SHST_COMPLETE);
	close(a.fd);
}

static void test_keep_alive_timeout(void)
{
	struct host h;
	struct usk_nvme_sqe ka = {.opcode = USK_NVME_OPC_KEEP_ALIVE};
	uint64_t last_ka = 0;

	admin_up(&h, 300);
	CU_ASSERT_EQUAL(ctrlr_count(), 1);
	/* Keep alives every 100 ms (of the mocked clock) hold it for 1 s... */
	for (int i = 0; i < 10; i++) {
		last_ka = g_now;
		CU_ASSERT_EQUAL(host_cmd(&h, &ka, NULL, 0, NULL, NULL, NULL), 0);
		advance(100 * 1000);
	}
	CU_ASSERT_EQUAL(ctrlr_count(), 1);
	/* Longer than the timeout on the CPU's clock, which the target must not go by. */
	nap_real_ms(400);
	/* ...silence keeps it up to its 300 ms... */
	advance_to(last_ka + usk_us_to_ticks(300 * 1000) - 1);
	CU_ASSERT_EQUAL(ctrlr_count(), 1);
	/* ...and frees it at the poller's next look: its connection closes. */
	advance(10000);
	CU_ASSERT_TRUE(host_sees_eof(&h));
	close(h.fd);
	for (int i = 0; i < NAP_ROUNDS && ctrlr_count() != 0; i++) {
		nap_real_ms(1);
	}
	CU_ASSERT_EQUAL(ctrlr_count(), 0);
}

/*
 * A silent host's KATO ran out a tick ago: the keep alive poller's next look
 * (within 20 ms) frees its controller before the host closes anything, and
 * the host sees its connection closed.
 */
static void assert_freed_at_next_look(struct host *h)
{
	advance(20000);
	for (int i = 0; i < NAP_ROUNDS && ctrlr_count() != 0; i++) {
		nap_real_ms(1);
	}
	CU_ASSERT_EQUAL(ctrlr_count(), 0);
	CU_ASSERT_TRUE(host_sees_eof(h));
	close(h->fd);
}

/*
 * A host that connects with no KATO and sets one later (Set Features,
 * Keep Alive Timer) gets the whole of it from the Set Features: before, the
 * controller was freed at the keep alive poller's next look, its deadline
 * stamped with the KATO of 0 it had when the command came in.
 */
static void test_keep_alive_timer_set_later(void)
{
	struct host h;
	struct usk_nvme_sqe set = {.opcode = USK_NVME_OPC_SET_FEATURES,
				   .cdw10 = USK_NVME_FEAT_KEEP_ALIVE_TIMER,
				   .cdw11 = 300};
	uint64_t set_at;

	admin_up(&h, 0);
	advance(100 * 1000);
	set_at = g_now;
	CU_ASSERT_EQUAL(host_cmd(&h, &set, NULL, 0, NULL, NULL, NULL), 0);
	advance_to(set_at + usk_us_to_ticks(300 * 1000) - 1);
	CU_ASSERT_EQUAL(ctrlr_count(), 1);
	assert_freed_at_next_look(&h);
}

/*
 * The threads' clock goes back 600 s (a virtual machine restored from a
 * snapshot) while a host is silent: the host's KATO starts again from the
 * new clock, and the controller is freed 300 ms after the step, not 600 s
 * and 300 ms after it, as it was before.
 */
static void test_keep_alive_timeout_across_a_clock_step_back(void)
{
	struct host h;
	struct usk_nvme_sqe ka = {.opcode = USK_NVME_OPC_KEEP_ALIVE};
	uint64_t stepped;

	admin_up(&h, 300);
	CU_ASSERT_EQUAL(host_cmd(&h, &ka, NULL, 0, NULL, NULL, NULL), 0);
	advance(100 * 1000);
	g_now -= usk_us_to_ticks(600 * 1000000ull);
	stepped = g_now;
	pump();
	advance_to(stepped + usk_us_to_ticks(300 * 1000) - 1);
	CU_ASSERT_EQUAL(ctrlr_count(), 1);
	assert_freed_at_next_look(&h);
}

/* A host connection that speaks with digests: PDUs built and parsed by lib/nvme's code. */
struct dhost {
	struct host h;
	struct nvme_tcp_digests d; /* what the target receives */
	struct nvme_tcp_pdu_recv rx;
	uint8_t rx_buf[USK_NVME_TCP_TERM_DATA_MAX + 131072];
};

/* Sends @p and @len bytes of @data @piece bytes at a time, the target polled between pieces. */
static void dhost_send(struct dhost *dh, struct nvme_tcp_pdu_send *p, const void *data,
		       uint32_t len, size_t piece)
{
	struct iovec di = {.iov_base = (void *)(uintptr_t)data, .iov_len = len}, out[8];
	int n = nvme_tcp_pdu_build(p, &dh->d, &di, len != 0, out, 8);

	CU_ASSERT_FATAL(n > 0);
	for (int i = 0; i < n; i++) {
		for (size_t off = 0; off < out[i].iov_len; off += piece) {
			host_send(&dh->h, (uint8_t *)out[i].iov_base + off,
				  USK_MIN(piece, out[i].iov_len - off));
			pump();
		}
	}
}

/* The next PDU the target sends, parsed (digests checked) into dh->rx.pdu. */
static uint8_t dhost_recv(struct dhost *dh)
{
	uint8_t b;

	for (;;) {
		size_t used;
		int ev;

		CU_ASSERT_FATAL(host_recv(&dh->h, &b, 1));
		ev = nvme_tcp_pdu_recv_feed(&dh->rx, &b, 1, &used);
		CU_ASSERT_FATAL(ev >= 0 && ev != NVME_TCP_RECV_PDU_DDGST_ERROR);
		if (ev == NVME_TCP_RECV_PDU) {
			return dh->rx.pdu.hdr->ch.pdu_type;
		}
	}
}

static void dhost_icreq(struct dhost *dh, bool digests)
{
	struct nvme_tcp_pdu_send p;

	host_connect(&dh->h);
	nvme_tcp_pdu_recv_init(&dh->rx, NVME_TCP_ROLE_HOST, dh->rx_buf, sizeof(dh->rx_buf));
	nvme_tcp_pdu_send_init(&p, USK_NVME_TCP_PDU_ICREQ);
	p.hdr.icreq.dgst =
		digests ? USK_NVME_TCP_DGST_HDGST_ENABLE | USK_NVME_TCP_DGST_DDGST_ENABLE : 0;
	dh->d = (struct nvme_tcp_digests){0};
	dhost_send(dh, &p, NULL, 0, 128);
	CU_ASSERT_EQUAL_FATAL(dhost_recv(dh), USK_NVME_TCP_PDU_ICRESP);
	dh->d.hdgst = dh->d.ddgst = digests;
	nvme_tcp_pdu_recv_set_digests(&dh->rx, &dh->d);
}

/* A command whose capsule and H2CData go @piece bytes at a time; its status. */
static int dhost_cmd(struct dhost *dh, struct usk_nvme_sqe *sqe, const void *icd, uint32_t icd_len,
		     const uint8_t *out, uint8_t *in, size_t piece)
{
	struct nvme_tcp_pdu_send p;
	const union usk_nvme_tcp_pdu_hdr *r;

	sqe->cid = ++dh->h.cid;
	sqe->flags = USK_NVME_SQE_PSDT_SGL;
	nvme_tcp_pdu_send_init(&p, USK_NVME_TCP_PDU_CAPSULE_CMD);
	p.hdr.cmd.sqe = *sqe;
	dhost_send(dh, &p, icd, icd_len, piece);
	for (;;) {
		uint8_t type = dhost_recv(dh);

		r = dh->rx.pdu.hdr;
		if (type == USK_NVME_TCP_PDU_CAPSULE_RESP) {
			return USK_NVME_STATUS_CODE(r->resp.cqe.status);
		}
		if (type == USK_NVME_TCP_PDU_C2H_DATA) {
			memcpy(in + r->data.datao, dh->rx.pdu.data, r->data.datal);
			if (r->ch.flags & USK_NVME_TCP_FLAG_SUCCESS) {
				return 0;
			}
			continue;
		}
		CU_ASSERT_EQUAL_FATAL(type, USK_NVME_TCP_PDU_R2T);
		nvme_tcp_pdu_send_init(&p, USK_NVME_TCP_PDU_H2C_DATA);
		p.hdr.data.cccid = r->r2t.cccid;
		p.hdr.data.ttag = r->r2t.ttag;
		p.hdr.data.datao = r->r2t.r2to;
		p.hdr.ch.flags = USK_NVME_TCP_FLAG_LAST_PDU;
		dhost_send(dh, &p, out + r->r2t.r2to, r->r2t.r2tl, piece);
	}
}

/*
 * In-capsule data and H2CData that reach the target a few bytes a read,
 * with and without digests, land whole where they belong: the target
 * reads a data section's rest straight into the request's buffer.
 */
static void data_in_pieces(bool digests, size_t piece)
{
	static uint8_t out[65536], in[65536];
	struct usk_nvmf_connect_data cd = {0};
	struct usk_nvmf_connect_cmd cc = {.opcode = USK_NVMF_OPC_FABRIC,
					  .fctype = USK_NVMF_FCTYPE_CONNECT,
					  .qid = 1,
					  .sqsize = 127};
	struct usk_nvme_sqe sqe;
	static struct dhost dh;
	struct host a;
	uint16_t cntlid = admin_up(&a, 0);

	for (size_t i = 0; i < sizeof(out); i++) {
		out[i] = (uint8_t)(i * 13 + piece);
	}
	dhost_icreq(&dh, digests);
	cd.cntlid = cntlid;
	strcpy(cd.subnqn, NQN);
	strcpy(cd.hostnqn, HOST1);
	sgl((struct usk_nvme_sqe *)&cc, sizeof(cd), USK_NVME_SGL_TYPE_DATA_BLOCK_OFFSET);
	CU_ASSERT_EQUAL(
		dhost_cmd(&dh, (struct usk_nvme_sqe *)&cc, &cd, sizeof(cd), NULL, NULL, piece), 0);
	/* 4 KiB in the capsule at LBA 0, 64 KiB by R2T at LBA 8, both read back. */
	sqe = (struct usk_nvme_sqe){.opcode = USK_NVME_OPC_WRITE, .nsid = 1, .cdw12 = 7};
	sgl(&sqe, 4096, USK_NVME_SGL_TYPE_DATA_BLOCK_OFFSET);
	CU_ASSERT_EQUAL(dhost_cmd(&dh, &sqe, out, 4096, NULL, NULL, piece), 0);
	sqe = (struct usk_nvme_sqe){
		.opcode = USK_NVME_OPC_WRITE, .nsid = 1, .cdw10 = 8, .cdw12 = 127};
	sgl(&sqe, 65536, USK_NVME_SGL_TYPE_TRANSPORT_DATA);
	CU_ASSERT_EQUAL(dhost_cmd(&dh, &sqe, NULL, 0, out, NULL, piece), 0);
	memset(in, 0, sizeof(in));
	sqe = (struct usk_nvme_sqe){.opcode = USK_NVME_OPC_READ, .nsid = 1, .cdw12 = 7};
	sgl(&sqe, 4096, USK_NVME_SGL_TYPE_TRANSPORT_DATA);
	CU_ASSERT_EQUAL(dhost_cmd(&dh, &sqe, NULL, 0, NULL, in, piece), 0);
	CU_ASSERT_EQUAL(memcmp(in, out, 4096), 0);
	sqe = (struct usk_nvme_sqe){
		.opcode = USK_NVME_OPC_READ, .nsid = 1, .cdw10 = 8, .cdw12 = 127};
	sgl(&sqe, 65536, USK_NVME_SGL_TYPE_TRANSPORT_DATA);
	CU_ASSERT_EQUAL(dhost_cmd(&dh, &sqe, NULL, 0, NULL, in, piece), 0);
	CU_ASSERT_EQUAL(memcmp(in, out, 65536), 0);
	close(dh.h.fd);
	close(a.fd);
}

static void test_data_in_pieces(void)
{
	data_in_pieces(false, 7);
	data_in_pieces(true, 7);
	data_in_pieces(true, 1500);
}

/* What a connection held when the target released it (the test's release, then the real one). */
static struct nvmf_qpair_ops g_watch_ops;
static bool g_released;
static uint32_t g_released_nfree, g_released_depth;

static void watch_release(struct nvmf_qpair *q)
{
	struct nvmf_tcp_conn *c = (struct nvmf_tcp_conn *)q;

	g_released = true;
	g_released_nfree = c->nfree;
	g_released_depth = c->depth;
	g_nvmf_tcp_qpair_ops.release(q);
}

/*
 * An AER waits on the target thread when its connection goes: it still
 * ends (once), so its request is free when the connection is released.
 * Found by fuzz_nvmf_tcp_conn (test/fuzz/FINDINGS.md).
 */
static void test_aer_pending_at_close(void)
{
	struct usk_nvme_sqe aer = {.opcode = USK_NVME_OPC_ASYNC_EVENT_REQUEST,
				   .flags = USK_NVME_SQE_PSDT_SGL};
	struct nvmf_subsystem *s;
	struct nvmf_tcp_conn *c;
	struct host h;

	admin_up(&h, 0);
	CU_ASSERT_EQUAL_FATAL(ctrlr_count(), 1);
	aer.cid = ++h.cid;
	host_send_pdu(&h, USK_NVME_TCP_PDU_CAPSULE_CMD, &aer, 72, NULL, 0, 0);
	pump();
	s = nvmf_subsystem_find(NQN);
	c = (struct nvmf_tcp_conn *)TAILQ_FIRST(&s->ctrlrs)->admin;
	g_watch_ops = *c->qpair.ops;
	g_watch_ops.release = watch_release;
	c->qpair.ops = &g_watch_ops;
	g_released = false;
	close(h.fd);
	for (int i = 0; i < 1000 && !g_released; i++) {
		pump();
		usleep(1000);
	}
	CU_ASSERT_TRUE(g_released);
	CU_ASSERT_EQUAL(g_released_nfree, g_released_depth);
	CU_ASSERT_EQUAL(ctrlr_count(), 0);
}

static void tgt_init_msg(void *ctx)
{
	int *rc = ctx;

	*rc = bdev_layer_init(256);
	g_nvmf.thread = usk_thread_get_current();
	nvmf_transport_opts_default(&g_nvmf.opts);
	*rc |= nvmf_subsystem_create(USK_NVMF_DISCOVERY_NQN, true, &g_nvmf.discovery);
	*rc |= nvmf_poll_group_create(0, USK_THREAD_CORE_ANY, &g_group);
	g_nvmf.groups[0] = g_group;
	g_nvmf.ngroups = 1;
	g_nvmf.ka_poller = usk_poller_register(nvmf_ctrlr_keep_alive_poll, NULL, 10000, "ka");
}

static bool g_stopped;

static void group_stopped(void *ctx)
{
	g_stopped = true;
}

static void group_stop_msg(void *ctx)
{
	nvmf_poll_group_stop(g_group, group_stopped, NULL);
}

static void tgt_free_msg(void *ctx)
{
	struct nvmf_subsystem *s;

	while ((s = TAILQ_FIRST(&g_nvmf.subsystems)) != NULL) {
		nvmf_subsystem_free(s);
	}
	usk_poller_unregister(&g_nvmf.ka_poller);
}

static void tgt_fini_msg(void *ctx)
{
	bdev_layer_fini();
	usk_thread_exit(g_threads[0]);
}

static int setup_target(void)
{
	char params[256];
	int rc = -1;

	g_threads[0] = usk_thread_create("nvmf_tgt", USK_THREAD_CORE_ANY);
	if (g_threads[0] == NULL) {
		return -1;
	}
	usk_thread_send_msg(g_threads[0], tgt_init_msg, &rc);
	ut_poll_threads_at(g_threads, 1, g_now);
	if (rc != 0) {
		return -1;
	}
	g_threads[1] = nvmf_poll_group_thread(g_group);
	pump();
	ut_free_port(g_port, sizeof(g_port));
	rpc_ok("bdev_malloc_create",
	       "{\"name\": \"M0\", \"num_blocks\": 256, \"block_size\": 512}");
	/* The clock stands still unless the test moves it: the listener looks on every pass. */
	rpc_ok("nvmf_create_transport", "{\"trtype\": \"TCP\", \"acceptor_poll_rate\": 0}");
	rpc_ok("nvmf_create_subsystem", "{\"nqn\": \"" NQN "\", \"serial_number\": \"USK0001\"}");
	rpc_ok("nvmf_subsystem_add_host", "{\"nqn\": \"" NQN "\", \"host\": \"" HOST1 "\"}");
	rpc_ok("nvmf_subsystem_add_ns",
	       "{\"nqn\": \"" NQN "\", \"namespace\": {\"bdev_name\": \"M0\"}}");
	snprintf(params, sizeof(params),
		 "{\"nqn\": \"" NQN "\", \"listen_address\": {\"trtype\": \"TCP\", "
		 "\"traddr\": \"127.0.0.1\", \"trsvcid\": \"%s\"}}",
		 g_port);
	rpc_ok("nvmf_subsystem_add_listener", params);
	return 0;
}

static int teardown_target(void)
{
	usk_thread_send_msg(g_threads[0], group_stop_msg, NULL);
	/* The group's stop poller looks every 1 ms of the mocked clock. */
	for (int i = 0; i < NAP_ROUNDS && !g_stopped; i++) {
		advance(1000);
	}
	usk_thread_send_msg(g_threads[0], tgt_free_msg, NULL);
	rpc_ok("bdev_malloc_delete", "{\"name\": \"M0\"}");
	usk_thread_send_msg(g_threads[0], tgt_fini_msg, NULL);
	for (int i = 0; i < NAP_ROUNDS && (!usk_thread_is_exited(g_threads[0]) ||
					   !usk_thread_is_exited(g_threads[1]));
	     i++) {
		advance(1000);
	}
	if (!g_stopped || !usk_thread_is_exited(g_threads[0]) ||
	    !usk_thread_is_exited(g_threads[1])) {
		return 1;
	}
	usk_thread_destroy(g_threads[0]);
	usk_thread_destroy(g_threads[1]);
	nvmf_poll_group_free(g_group);
	return 0;
}

/* The target is set up and torn down as tests of their own: CUnit's asserts need a suite. */
static void test_setup(void)
{
	CU_ASSERT_EQUAL_FATAL(setup_target(), 0);
}

static void test_teardown(void)
{
	CU_ASSERT_EQUAL(teardown_target(), 0);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_setup),
		UT_TEST(test_admin_connect),
		UT_TEST(test_io),
		UT_TEST(test_commands_need_an_enabled_controller),
		UT_TEST(test_reset_ends_io_queues),
		UT_TEST(test_shutdown_ends_io_queues),
		UT_TEST(test_malformed),
		UT_TEST(test_host_not_allowed),
		UT_TEST(test_empty_host_nqn),
		UT_TEST(test_keep_alive_timeout),
		UT_TEST(test_keep_alive_timeout_across_a_clock_step_back),
		UT_TEST(test_keep_alive_timer_set_later),
		UT_TEST(test_aer_pending_at_close),
		UT_TEST(test_data_in_pieces),
		UT_TEST(test_remove_listener_ends_its_connections),
		UT_TEST(test_connect_after_listener_removed),
		UT_TEST(test_teardown),
	};
	int rc;

	/* Far from the CPU's clock: a deadline set from that one by mistake shows. */
	g_now = usk_ticks() + 1000 * usk_ticks_hz();
	if (usk_env_init(NULL) != 0 || usk_thread_lib_init(NULL) != 0 ||
	    bdev_modules_register() != 0 || nvmf_rpc_register() != 0 ||
	    nvmf_rpc_subsystem_register() != 0) {
		return 99;
	}
	rc = ut_run("nvmf_tcp", tests, USK_COUNTOF(tests));
	json_decref(g_conn.last);
	usk_thread_lib_fini();
	usk_env_fini();
	return rc;
}
