/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "perf_nvme.h"
#include "usk/util.h"

static void perf_nvme_io_done(void *cb_arg, const struct usk_nvme_cqe *cpl)
{
	perf_task_complete(cb_arg, USK_NVME_STATUS_CODE(cpl->status));
}

static int perf_nvme_submit(void *qpair, bool is_read, void *buf, uint64_t lba, uint32_t blocks,
			    struct perf_task *task)
{
	struct perf_nvme_qpair *q = qpair;

	if (is_read) {
		return usk_nvme_ns_read(q->ns, q->qpair, buf, lba, blocks, perf_nvme_io_done, task);
	}
	return usk_nvme_ns_write(q->ns, q->qpair, buf, lba, blocks, perf_nvme_io_done, task);
}

static int perf_nvme_poll(void *qpair, uint32_t max)
{
	return usk_nvme_qpair_process_completions(((struct perf_nvme_qpair *)qpair)->qpair, max);
}

static int perf_nvme_interrupt_fd(void *qpair)
{
	return usk_nvme_qpair_get_interrupt_fd(((struct perf_nvme_qpair *)qpair)->qpair);
}

static int perf_nvme_arm(void *qpair)
{
	return usk_nvme_qpair_arm_interrupt(((struct perf_nvme_qpair *)qpair)->qpair);
}

static int perf_nvme_disarm(void *qpair)
{
	return usk_nvme_qpair_disarm_interrupt(((struct perf_nvme_qpair *)qpair)->qpair);
}

const struct perf_qpair_ops g_perf_nvme_ops = {
	.submit = perf_nvme_submit,
	.poll = perf_nvme_poll,
	.interrupt_fd = perf_nvme_interrupt_fd,
	.arm = perf_nvme_arm,
	.disarm = perf_nvme_disarm,
};

/* The controllers to attach: PCIe devices found or named, fabrics' transport IDs as given. */
struct discovery {
	struct usk_nvme_transport_id trids[PERF_MAX_CTRLRS];
	const char *texts[PERF_MAX_CTRLRS]; /* -r's text of a fabric's ID, for the attach */
	int count;
	char others[256]; /* NVMe controllers on other drivers */
};

static int discover_one(void *ctx, const struct usk_pci_device_info *info)
{
	struct discovery *d = ctx;
	char bdf[USK_PCI_ADDR_STRLEN];

	usk_pci_addr_fmt(bdf, sizeof(bdf), &info->addr);
	if (strcmp(info->driver, "vfio-pci") == 0 && d->count < PERF_MAX_CTRLRS) {
		d->trids[d->count++] = (struct usk_nvme_transport_id){.pci_addr = info->addr};
	} else if (strlen(d->others) + 40 < sizeof(d->others)) {
		size_t len = strlen(d->others);

		snprintf(d->others + len, sizeof(d->others) - len, " %s (%s)", bdf,
			 info->driver[0] != '\0' ? info->driver : "no driver");
	}
	return 0;
}

/* Fills @d from -r, checking each device is there and on vfio-pci. */
static int discover_from_trids(const struct perf_opts *opts, struct discovery *d, FILE *err)
{
	for (uint32_t i = 0; i < opts->trid_count; i++) {
		struct usk_pci_device_info info;
		struct usk_nvme_transport_id trid;

		if (usk_nvme_transport_id_parse(opts->trids[i], &trid) != 0) {
			fprintf(err,
				"usk_nvme_perf: -r '%s' is not a transport ID such as "
				"'trtype:PCIe traddr:0000:01:00.0' or 'trtype:TCP adrfam:IPv4 "
				"traddr:127.0.0.1 trsvcid:4420 subnqn:nqn...'\n",
				opts->trids[i]);
			return -EINVAL;
		}
		if (d->count == PERF_MAX_CTRLRS) {
			fprintf(err, "usk_nvme_perf: at most %d controllers\n", PERF_MAX_CTRLRS);
			return -EINVAL;
		}
		d->texts[d->count] = opts->trids[i];
		if (trid.trtype != USK_NVME_TRANSPORT_PCIE) {
			d->trids[d->count++] = trid;
			continue;
		}
		if (usk_pci_device_info_get(&trid.pci_addr, &info) != 0) {
			fprintf(err,
				"usk_nvme_perf: -r '%s' names no device; "
				"'scripts/setup.sh status' lists the controllers\n",
				opts->trids[i]);
			return -EINVAL;
		}
		if (strcmp(info.driver, "vfio-pci") != 0) {
			fprintf(err,
				"usk_nvme_perf: -r '%s' is on the %s driver, not vfio-pci: "
				"run scripts/setup.sh (as root) to bind it\n",
				opts->trids[i], info.driver[0] != '\0' ? info.driver : "no");
			return -EINVAL;
		}
		d->trids[d->count++] = trid;
	}
	return 0;
}

/*
 * Why usk_nvme_perf cannot run on @ns, or NULL: its buffers hold data
 * only, so metadata (extended or separate) has no place in them.
 */
static const char *target_problem(const struct usk_nvme_ns *ns)
{
	const char *why = usk_nvme_ns_get_unsupported_reason(ns);

	if (why != NULL) {
		return why;
	}
	return usk_nvme_ns_get_md_size(ns) != 0 ? "its format has metadata, which usk_nvme_perf "
						  "does not move"
						: NULL;
}

static int add_targets(const struct perf_opts *opts, struct usk_nvme_ctrlr *c,
		       struct perf_target *targets, int n, FILE *err)
{
	uint32_t last = opts->nsid_count > 0 ? opts->nsid_count : usk_nvme_ctrlr_get_num_ns(c);

	for (uint32_t i = 0; i < last && n < PERF_MAX_TARGETS; i++) {
		uint32_t nsid = opts->nsid_count > 0 ? opts->nsids[i] : i + 1;
		struct usk_nvme_ns *ns = usk_nvme_ctrlr_get_ns(c, nsid);

		if (ns == NULL) {
			if (opts->nsid_count > 0) {
				fprintf(err,
					"usk_nvme_perf: -n %u: %s has no active namespace %u\n",
					nsid, usk_nvme_ctrlr_get_name(c), nsid);
				return -EINVAL;
			}
			continue;
		}
		const char *why = target_problem(ns);

		if (why != NULL) {
			fprintf(err, "usk_nvme_perf: %s namespace %u is %s: %s\n",
				usk_nvme_ctrlr_get_name(c), nsid,
				opts->nsid_count > 0 ? "refused" : "skipped", why);
			if (opts->nsid_count > 0) {
				return -EINVAL;
			}
			continue;
		}
		targets[n] = (struct perf_target){.ctrlr = c, .ns = ns};
		snprintf(targets[n].name, sizeof(targets[n].name), "%s (%s) NSID %u",
			 usk_nvme_ctrlr_get_trtype(c) == USK_NVME_TRANSPORT_TCP ? "TCP" : "PCIE",
			 usk_nvme_ctrlr_get_name(c), nsid);
		n++;
	}
	return n;
}

/* Attaches the controller @i of @d: a PCIe device through VFIO, a fabric's by its ID. */
static int attach_one(const struct discovery *d, int i, const struct usk_nvme_ctrlr_opts *copts,
		      struct usk_nvme_ctrlr **ctrlr, FILE *err)
{
	struct usk_nvme_ctrlr_opts o = *copts; /* a hostnqn: in -r goes in through the attach */
	struct usk_pci_device *dev;
	char bdf[USK_PCI_ADDR_STRLEN];

	if (d->trids[i].trtype != USK_NVME_TRANSPORT_PCIE) {
		if (usk_nvme_ctrlr_attach(d->texts[i], &o, ctrlr) != 0) {
			fprintf(err, "usk_nvme_perf: cannot attach '%s' (the log above says why)\n",
				d->texts[i]);
			return -EINVAL;
		}
		return 0;
	}
	usk_pci_addr_fmt(bdf, sizeof(bdf), &d->trids[i].pci_addr);
	if (usk_pci_device_attach(&d->trids[i].pci_addr, &dev) != 0 ||
	    usk_nvme_ctrlr_attach_pci(dev, &o, ctrlr) != 0) {
		fprintf(err, "usk_nvme_perf: cannot attach %s (the log above says why)\n", bdf);
		return -EINVAL;
	}
	return 0;
}

int perf_nvme_attach(const struct perf_opts *opts, struct usk_nvme_ctrlr **ctrlrs, int *nctrlrs,
		     struct perf_target *targets, FILE *err)
{
	struct discovery d = {.count = 0};
	struct usk_nvme_ctrlr_opts ctrlr_opts;
	int ntargets = 0;
	int rc = opts->trid_count > 0
			 ? discover_from_trids(opts, &d, err)
			 : usk_pci_enumerate(USK_PCI_CLASS_NVME, NULL, NULL, discover_one, &d);

	if (rc != 0) {
		return -EINVAL;
	}
	if (d.count == 0) {
		fprintf(err,
			"usk_nvme_perf: no NVMe controller is bound to vfio-pci%s%s; run "
			"scripts/setup.sh (as root) to bind them\n",
			d.others[0] != '\0' ? ". On other drivers:" : "", d.others);
		return -EINVAL;
	}
	usk_nvme_ctrlr_opts_init(&ctrlr_opts, sizeof(ctrlr_opts));
	ctrlr_opts.shadow_doorbells = !opts->mmio_doorbells;
	ctrlr_opts.interrupts = opts->wait_mode != PERF_WAIT_POLL;
	*nctrlrs = 0;
	for (int i = 0; i < d.count; i++) {
		if (attach_one(&d, i, &ctrlr_opts, &ctrlrs[*nctrlrs], err) != 0) {
			return -EINVAL;
		}
		ntargets = add_targets(opts, ctrlrs[(*nctrlrs)++], targets, ntargets, err);
		if (ntargets < 0) {
			return -EINVAL;
		}
	}
	if (ntargets == 0) {
		fprintf(err, "usk_nvme_perf: the controllers have no active namespace\n");
		return -EINVAL;
	}
	return ntargets;
}

void perf_nvme_print_stats(FILE *out, const char *name, const struct perf_nvme_qpair *q)
{
	struct usk_nvme_qpair_stats st = {.stats_size = sizeof(st)};
	/* A run with no completion has no per-I/O figure; divide by 1 to print zeros. */
	double ios;

	usk_nvme_qpair_get_stats(q->qpair, &st);
	ios = st.completions > 0 ? (double)st.completions : 1.0;
	fprintf(out,
		"%s transport:\n"
		"\tpolls:             %" PRIu64 "\n"
		"\tidle_polls:        %" PRIu64 "\n"
		"\tcompletions:       %" PRIu64 "\n"
		"\tsq_mmio_doorbells: %" PRIu64 "\n"
		"\tsq_shadow_updates: %" PRIu64 "\n"
		"\tcq_mmio_doorbells: %" PRIu64 "\n"
		"\tcq_shadow_updates: %" PRIu64 "\n"
		"\tper I/O: %.3f SQ and %.3f CQ MMIO doorbells, %.3f polls\n",
		name, st.polls, st.idle_polls, st.completions, st.sq_mmio_doorbells,
		st.sq_shadow_updates, st.cq_mmio_doorbells, st.cq_shadow_updates,
		(double)st.sq_mmio_doorbells / ios, (double)st.cq_mmio_doorbells / ios,
		(double)st.polls / ios);
}

void perf_nvme_detach(struct usk_nvme_ctrlr **ctrlrs, int nctrlrs)
{
	for (int i = 0; i < nctrlrs; i++) {
		usk_nvme_ctrlr_detach(ctrlrs[i]);
	}
}

/* The most commands a queue pair lets wait (usk_nvme_io_qpair_opts.io_queue_requests). */
#define PERF_MAX_WAITING (1u << 20)

void perf_nvme_qpair_opts(const struct perf_opts *o, const struct usk_nvme_ctrlr *ctrlr,
			  struct usk_nvme_io_qpair_opts *qo)
{
	/* I/Os above the maximum transfer take several commands each. */
	uint32_t max_xfer = usk_nvme_ctrlr_get_max_xfer_size(ctrlr);
	uint32_t per_io = (o->io_size + max_xfer - 1) / max_xfer;

	usk_nvme_io_qpair_opts_init(qo, sizeof(*qo));
	qo->io_queue_size = USK_MAX(o->queue_depth * per_io + 1, 64u);
	/*
	 * The driver caps the ring at CAP.MQES + 1 entries: what is in flight
	 * beyond it waits in the queue pair, and must all find room there.
	 */
	qo->io_queue_requests = USK_MIN(o->queue_depth * per_io, PERF_MAX_WAITING);
	qo->delay_doorbell = o->delay_doorbell;
	qo->interrupts = o->wait_mode != PERF_WAIT_POLL;
	qo->interrupt_keep_completions = o->interrupt_keep;
}
