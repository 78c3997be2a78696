/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Namespace formats with metadata and protection information, against the
 * NVMe controller model: separate and extended metadata, splits, PRACT and
 * PRCHK, formats the driver refuses, Format NVM.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nvme_model.h"
#include "ut.h"
#include "usk/env.h"
#include "usk/log.h"
#include "usk/nvme.h"

/* The model's table: formats 0..4. */
static const struct nvme_model_lbaf g_lbaf[] = {
	{.lbads = 9},  {.ms = 8, .lbads = 9},  {.ms = 16, .lbads = 12},
	{.lbads = 13}, {.ms = 8, .lbads = 12},
};

/* A model whose namespaces 1 and 2 (1 MiB each) have @f1 and @f2, MDTS @mdts. */
static int md_fixture_up(struct nvme_model_fixture *f, struct nvme_model_ns_format f1,
			 struct nvme_model_ns_format f2, uint8_t mdts)
{
	struct nvme_model_opts mo;

	nvme_model_opts_init(&mo);
	mo.ns_count = 2;
	mo.mdts = mdts;
	mo.nlbaf = USK_COUNTOF(g_lbaf);
	memcpy(mo.lbaf, g_lbaf, sizeof(g_lbaf));
	mo.ns_format[0] = f1;
	mo.ns_format[1] = f2;
	/* Blocks of the format each starts in: 1 MiB whatever the block size. */
	mo.ns_blocks[0] = (1u << 20) >> g_lbaf[f1.lbaf].lbads;
	mo.ns_blocks[1] = (1u << 20) >> g_lbaf[f2.lbaf].lbads;
	return nvme_model_fixture_up(f, &mo, NULL, 0);
}

static void fill(uint8_t *p, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++) {
		p[i] = (uint8_t)(seed + i * 13);
	}
}

static int run(struct nvme_model_fixture *f, struct nvme_model_result *r, int rc)
{
	if (rc == 0) {
		nvme_model_poll_until(f->q, &r->calls, r->calls + 1, 30);
	}
	return rc;
}

/*
 * Writes @n blocks of @bs bytes from f->buf at @lba, with @o's separate
 * metadata of @ms bytes a block, and checks that the model stored both.
 */
static void write_separate(struct nvme_model_fixture *f, struct nvme_model_result *r,
			   const struct usk_nvme_io_opts *o, uint64_t lba, uint32_t n, uint32_t bs,
			   uint32_t ms)
{
	CU_ASSERT_EQUAL(run(f, r,
			    usk_nvme_ns_write_ext(f->ns, f->q, f->buf, lba, n,
						  nvme_model_result_done, r, o)),
			0);
	CU_ASSERT_EQUAL(r->status, 0);
	CU_ASSERT_EQUAL(memcmp(nvme_model_ns_data(f->model, 1) + lba * bs, f->buf, n * bs), 0);
	CU_ASSERT_EQUAL(memcmp(nvme_model_ns_md(f->model, 1) + lba * ms, o->md, n * ms), 0);
}

/* 40 blocks of 512 + 8 bytes of separate metadata: written, stored, read back; also split. */
static void test_separate_md_round_trip(void)
{
	struct nvme_model_fixture f;
	struct nvme_model_result r = {0};
	struct usk_nvme_io_opts o;
	uint8_t *md = usk_dma_zmalloc(4096, 4096, USK_ENV_NUMA_ANY);

	CU_ASSERT_EQUAL_FATAL(md_fixture_up(&f, (struct nvme_model_ns_format){.lbaf = 1},
					    (struct nvme_model_ns_format){0}, 1),
			      0);
	CU_ASSERT_EQUAL(usk_nvme_ns_get_md_size(f.ns), 8);
	CU_ASSERT_FALSE(usk_nvme_ns_supports_extended_lba(f.ns));
	CU_ASSERT_EQUAL(usk_nvme_ns_get_extended_block_size(f.ns), 512);
	CU_ASSERT_PTR_NULL(usk_nvme_ns_get_unsupported_reason(f.ns));
	fill(f.buf, 40 * 512, 1);
	fill(md, 40 * 8, 99);
	usk_nvme_io_opts_init(&o, sizeof(o));
	/* Without the buffer the device would read metadata at IOVA 0: refused, nothing sent. */
	CU_ASSERT_EQUAL(usk_nvme_ns_write(f.ns, f.q, f.buf, 10, 4, nvme_model_result_done, &r),
			-EINVAL);
	CU_ASSERT_EQUAL(
		usk_nvme_ns_write_ext(f.ns, f.q, f.buf, 10, 4, nvme_model_result_done, &r, &o),
		-EINVAL);
	o.md = md;
	/* 40 blocks are 20 KiB: above MDTS 1 (8 KiB), three commands, each with its metadata. */
	write_separate(&f, &r, &o, 10, 40, 512, 8);
	memset(f.buf, 0, 40 * 512);
	memset(md, 0, 40 * 8);
	CU_ASSERT_EQUAL(
		run(&f, &r,
		    usk_nvme_ns_read_ext(f.ns, f.q, f.buf, 10, 40, nvme_model_result_done, &r, &o)),
		0);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_EQUAL(r.calls, 2);
	CU_ASSERT_EQUAL(memcmp(nvme_model_ns_data(f.model, 1) + 10 * 512, f.buf, 40 * 512), 0);
	CU_ASSERT_EQUAL(memcmp(nvme_model_ns_md(f.model, 1) + 10 * 8, md, 40 * 8), 0);
	CU_ASSERT_EQUAL(nvme_model_dma_faults(f.model), 0);
	/* A namespace without metadata has no place for a buffer. */
	CU_ASSERT_EQUAL(usk_nvme_ns_read_ext(usk_nvme_ctrlr_get_ns(f.c, 2), f.q, f.buf, 0, 1,
					     nvme_model_result_done, &r, &o),
			-EINVAL);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
	usk_dma_free(md);
}

/* Extended LBAs: the data buffer carries 512 + 8 bytes a block; split at 15 blocks a command. */
static void test_extended_md_round_trip(void)
{
	const uint32_t n = 40, ext = 520;
	struct nvme_model_fixture f;
	struct nvme_model_result r = {0};
	uint8_t *copy = malloc(n * ext);

	CU_ASSERT_EQUAL_FATAL(md_fixture_up(&f,
					    (struct nvme_model_ns_format){.lbaf = 1, .mset = true},
					    (struct nvme_model_ns_format){0}, 1),
			      0);
	CU_ASSERT_TRUE(usk_nvme_ns_supports_extended_lba(f.ns));
	CU_ASSERT_EQUAL(usk_nvme_ns_get_extended_block_size(f.ns), ext);
	fill(f.buf, n * ext, 7);
	memcpy(copy, f.buf, n * ext);
	CU_ASSERT_EQUAL(
		run(&f, &r,
		    usk_nvme_ns_write(f.ns, f.q, f.buf, 100, n, nvme_model_result_done, &r)),
		0);
	CU_ASSERT_EQUAL(r.status, 0);
	for (uint32_t i = 0; i < n; i++) {
		CU_ASSERT_EQUAL(memcmp(nvme_model_ns_data(f.model, 1) + (100 + i) * 512,
				       copy + i * ext, 512),
				0);
		CU_ASSERT_EQUAL(memcmp(nvme_model_ns_md(f.model, 1) + (100 + i) * 8,
				       copy + i * ext + 512, 8),
				0);
	}
	memset(f.buf, 0, n * ext);
	CU_ASSERT_EQUAL(
		run(&f, &r, usk_nvme_ns_read(f.ns, f.q, f.buf, 100, n, nvme_model_result_done, &r)),
		0);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_EQUAL(memcmp(f.buf, copy, n * ext), 0);
	CU_ASSERT_EQUAL(nvme_model_dma_faults(f.model), 0);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
	free(copy);
}

/* A block that is not at LBA 0, so CDW14 and the stored reference tags show the LBA. */
#define LBA_PI 1500u

/* PRACT on 8 bytes of PI type 1: the controller inserts it; PRCHK catches what changed. */
static void test_pract_and_prchk(void)
{
	struct nvme_model_fixture f;
	struct nvme_model_result r = {0};
	struct usk_nvme_io_opts o;
	struct usk_nvme_sqe sqe;
	uint8_t *pi;

	CU_ASSERT_EQUAL_FATAL(md_fixture_up(&f, (struct nvme_model_ns_format){.lbaf = 1, .pi = 1},
					    (struct nvme_model_ns_format){0}, 5),
			      0);
	CU_ASSERT_EQUAL(usk_nvme_ns_get_pi_type(f.ns), USK_NVME_PI_TYPE1);
	CU_ASSERT_FALSE(usk_nvme_ns_pi_is_first(f.ns));
	usk_nvme_io_opts_init(&o, sizeof(o));
	o.io_flags = USK_NVME_IO_FLAGS_PRACT;
	o.apptag = 0x1234;
	fill(f.buf, 4 * 512, 3);
	CU_ASSERT_EQUAL(run(&f, &r,
			    usk_nvme_ns_write_ext(f.ns, f.q, f.buf, LBA_PI, 4,
						  nvme_model_result_done, &r, &o)),
			0);
	CU_ASSERT_EQUAL(r.status, 0);
	nvme_model_last_sqe(f.model, 1, &sqe);
	CU_ASSERT_EQUAL(sqe.cdw14, LBA_PI);
	CU_ASSERT_EQUAL(sqe.cdw15, 0x1234);
	CU_ASSERT_EQUAL(sqe.mptr, 0);
	/* Block 1's PI: application tag 1234h, reference tag its LBA, big-endian. */
	pi = nvme_model_ns_md(f.model, 1) + ((LBA_PI) + 1) * 8;
	CU_ASSERT_EQUAL(pi[2] << 8 | pi[3], 0x1234);
	CU_ASSERT_EQUAL((uint32_t)pi[4] << 24 | pi[5] << 16 | pi[6] << 8 | pi[7], (LBA_PI) + 1);
	o.io_flags = USK_NVME_IO_FLAGS_PRACT | USK_NVME_IO_FLAGS_PRCHK_GUARD |
		     USK_NVME_IO_FLAGS_PRCHK_APPTAG | USK_NVME_IO_FLAGS_PRCHK_REFTAG;
	o.apptag_mask = 0xffff;
	memset(f.buf, 0, 4 * 512);
	CU_ASSERT_EQUAL(run(&f, &r,
			    usk_nvme_ns_read_ext(f.ns, f.q, f.buf, LBA_PI, 4,
						 nvme_model_result_done, &r, &o)),
			0);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_EQUAL(memcmp(nvme_model_ns_data(f.model, 1) + (LBA_PI)*512, f.buf, 4 * 512), 0);
	/* A wrong application tag, then a reference tag changed on the medium. */
	o.apptag = 0x1235;
	CU_ASSERT_EQUAL(run(&f, &r,
			    usk_nvme_ns_read_ext(f.ns, f.q, f.buf, LBA_PI, 4,
						 nvme_model_result_done, &r, &o)),
			0);
	CU_ASSERT_EQUAL(r.status, 0x283);
	o.apptag = 0x1234;
	pi[7] ^= 1;
	CU_ASSERT_EQUAL(run(&f, &r,
			    usk_nvme_ns_read_ext(f.ns, f.q, f.buf, LBA_PI, 4,
						 nvme_model_result_done, &r, &o)),
			0);
	CU_ASSERT_EQUAL(r.status, 0x284);
	/* Without PRACT the host moves the PI itself: a metadata buffer is needed. */
	o.io_flags = USK_NVME_IO_FLAGS_PRCHK_GUARD;
	CU_ASSERT_EQUAL(
		usk_nvme_ns_read_ext(f.ns, f.q, f.buf, 0, 1, nvme_model_result_done, &r, &o),
		-EINVAL);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
}

/* Blocks of 8 KiB: the namespace is listed, says why, and refuses every I/O. */
static void test_unservable_format_refused(void)
{
	struct nvme_model_fixture f;
	struct nvme_model_result r = {0};
	struct usk_nvme_dsm_range *range;
	const char *why;

	CU_ASSERT_EQUAL_FATAL(md_fixture_up(&f, (struct nvme_model_ns_format){.lbaf = 3},
					    (struct nvme_model_ns_format){0}, 5),
			      0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f.ns);
	why = usk_nvme_ns_get_unsupported_reason(f.ns);
	CU_ASSERT_PTR_NOT_NULL_FATAL(why);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "LBA format 3 (LBADS 13, MS 0)"));
	CU_ASSERT_EQUAL(usk_nvme_ns_read(f.ns, f.q, f.buf, 0, 1, nvme_model_result_done, &r),
			-ENOTSUP);
	CU_ASSERT_EQUAL(usk_nvme_ns_write(f.ns, f.q, f.buf, 0, 1, nvme_model_result_done, &r),
			-ENOTSUP);
	CU_ASSERT_EQUAL(usk_nvme_ns_write_zeroes(f.ns, f.q, 0, 1, nvme_model_result_done, &r),
			-ENOTSUP);
	CU_ASSERT_EQUAL(usk_nvme_ns_flush(f.ns, f.q, nvme_model_result_done, &r), -ENOTSUP);
	range = (struct usk_nvme_dsm_range *)f.buf;
	*range = (struct usk_nvme_dsm_range){.lba = 0, .lba_count = 1};
	CU_ASSERT_EQUAL(usk_nvme_ns_deallocate(f.ns, f.q, range, 1, nvme_model_result_done, &r),
			-ENOTSUP);
	CU_ASSERT_EQUAL(r.calls, 0);
	CU_ASSERT_EQUAL(nvme_model_io_completed(f.model), 0);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
}

/* Format NVM to 4 KiB + 16 bytes separate: the driver reads the new format, I/O works. */
static void test_format_then_io(void)
{
	struct nvme_model_fixture f;
	struct nvme_model_result r = {0};
	struct usk_nvme_format_opts fo;
	struct usk_nvme_io_opts o;
	struct usk_nvme_cqe cpl;
	uint8_t *md = usk_dma_zmalloc(4096, 4096, USK_ENV_NUMA_ANY);

	CU_ASSERT_EQUAL_FATAL(md_fixture_up(&f, (struct nvme_model_ns_format){.lbaf = 3},
					    (struct nvme_model_ns_format){0}, 5),
			      0);
	usk_nvme_format_opts_init(&fo, sizeof(fo));
	fo.lbaf = 2;
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_format(f.c, 1, &fo, &cpl), 0);
	CU_ASSERT_EQUAL(nvme_model_formats(f.model), 1);
	CU_ASSERT_PTR_NULL(usk_nvme_ns_get_unsupported_reason(f.ns));
	CU_ASSERT_EQUAL(usk_nvme_ns_get_block_size(f.ns), 4096);
	CU_ASSERT_EQUAL(usk_nvme_ns_get_md_size(f.ns), 16);
	CU_ASSERT_EQUAL(usk_nvme_ns_get_num_blocks(f.ns), 256);
	usk_nvme_io_opts_init(&o, sizeof(o));
	o.md = md;
	fill(f.buf, 3 * 4096, 5);
	fill(md, 3 * 16, 77);
	write_separate(&f, &r, &o, 253, 3, 4096, 16);
	/* A format the table does not have: Invalid Format, and nothing changes. */
	fo.lbaf = 9;
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_format(f.c, 1, &fo, &cpl), -EIO);
	CU_ASSERT_EQUAL(USK_NVME_STATUS_CODE(cpl.status), 0x10a);
	CU_ASSERT_EQUAL(usk_nvme_ns_get_md_size(f.ns), 16);
	fo.pi = 4;
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_format(f.c, 1, &fo, &cpl), -EINVAL);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_format(f.c, 1, NULL, &cpl), -EINVAL);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
	usk_dma_free(md);
}

/*
 * An extended block (4 KiB of data, 8 KiB of metadata) larger than the
 * maximum transfer (MDTS 1: 8 KiB) cannot go out in any command: the read
 * is refused at once. The bug: the splitter cut it into commands of no
 * block and looped for ever in the submit call.
 */
static void test_block_above_the_maximum_transfer_refused(void)
{
	struct nvme_model_opts mo;
	struct nvme_model_fixture f;
	struct nvme_model_result r = {0};

	nvme_model_opts_init(&mo);
	mo.mdts = 1;
	mo.nlbaf = 1;
	mo.lbaf[0] = (struct nvme_model_lbaf){.ms = 8192, .lbads = 12};
	mo.ns_format[0] = (struct nvme_model_ns_format){.lbaf = 0, .mset = true};
	mo.ns_blocks[0] = 16;
	CU_ASSERT_EQUAL_FATAL(nvme_model_fixture_up(&f, &mo, NULL, 0), 0);
	CU_ASSERT_EQUAL(usk_nvme_ns_get_extended_block_size(f.ns), 12288);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(f.ns, f.q, f.buf, 0, 1, nvme_model_result_done, &r),
			-EINVAL);
	CU_ASSERT_EQUAL(r.calls, 0);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_separate_md_round_trip),
		UT_TEST(test_extended_md_round_trip),
		UT_TEST(test_pract_and_prchk),
		UT_TEST(test_unservable_format_refused),
		UT_TEST(test_format_then_io),
		UT_TEST(test_block_above_the_maximum_transfer_refused),
	};
	int rc;

	usk_log_set_level(USK_LOG_ERROR);
	if (usk_env_init(NULL) != 0) {
		return 99;
	}
	rc = UT_RUN("nvme_ns_io", tests);
	usk_env_fini();
	return rc;
}
