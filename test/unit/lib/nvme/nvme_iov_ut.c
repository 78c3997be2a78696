/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nvme_internal.h"
#include "nvme_model.h"
#include "ut.h"
#include "usk/env.h"
#include "usk/log.h"

#define PAGE NVME_PAGE_SIZE

static uint8_t *g_buf; /* 16 pages of DMA memory */
static uint64_t *g_list;
static uint64_t g_list_iova;

static uint64_t iova_of(const void *p)
{
	return usk_vtoiova(p, NULL);
}

static struct iovec iov_at(uint32_t off, uint32_t len)
{
	return (struct iovec){.iov_base = g_buf + off, .iov_len = len};
}

static uint64_t iov_total(const struct iovec *iov, int n)
{
	uint64_t total = 0;

	for (int i = 0; i < n; i++) {
		total += iov[i].iov_len;
	}
	return total;
}

/* The whole of an iovec array as a command's data. */
#define WHOLE(iov, n) \
	(&(struct nvme_payload){.buf = (iov), .len = iov_total((iov), (n)), .iovcnt = (n)})

/* First element off a page, a middle one of two pages, a short last one. */
static void test_prps_meeting_on_pages(void)
{
	struct iovec iov[3] = {iov_at(512, PAGE - 512), iov_at(4 * PAGE, 2 * PAGE),
			       iov_at(8 * PAGE, 1000)};
	struct usk_nvme_sqe sqe = {0};

	CU_ASSERT_EQUAL_FATAL(nvme_build_prps_iov(&sqe, WHOLE(iov, 3), g_list, g_list_iova), 0);
	CU_ASSERT_EQUAL(sqe.prp1, iova_of(g_buf + 512));
	CU_ASSERT_EQUAL(sqe.prp2, g_list_iova);
	CU_ASSERT_EQUAL(g_list[0], iova_of(g_buf + 4 * PAGE));
	CU_ASSERT_EQUAL(g_list[1], iova_of(g_buf + 5 * PAGE));
	CU_ASSERT_EQUAL(g_list[2], iova_of(g_buf + 8 * PAGE));
	/* Two pages in all: PRP2 is the second page itself, not a list. */
	CU_ASSERT_EQUAL_FATAL(nvme_build_prps_iov(&sqe, WHOLE(iov, 1), g_list, g_list_iova), 0);
	CU_ASSERT_EQUAL(sqe.prp2, 0);
	struct iovec two[2] = {iov_at(100, PAGE - 100), iov_at(9 * PAGE, 512)};

	CU_ASSERT_EQUAL_FATAL(nvme_build_prps_iov(&sqe, WHOLE(two, 2), g_list, g_list_iova), 0);
	CU_ASSERT_EQUAL(sqe.prp1, iova_of(g_buf + 100));
	CU_ASSERT_EQUAL(sqe.prp2, iova_of(g_buf + 9 * PAGE));
}

static void test_prps_refuse_what_pages_cannot_say(void)
{
	struct usk_nvme_sqe sqe = {0};
	/* A middle element that does not start on a page. */
	struct iovec mid_off[2] = {iov_at(0, PAGE), iov_at(2 * PAGE + 512, 512)};
	/* A first element that ends inside a page, with another after it. */
	struct iovec first_short[2] = {iov_at(0, 512), iov_at(2 * PAGE, 512)};
	/* Data not dword-aligned. */
	struct iovec odd[1] = {iov_at(2, 512)};
	/* Memory no device can reach. */
	static uint8_t plain[2 * PAGE] __attribute__((aligned(PAGE)));
	struct iovec unmapped[2] = {iov_at(0, PAGE), {.iov_base = plain, .iov_len = PAGE}};

	CU_ASSERT_EQUAL(nvme_build_prps_iov(&sqe, WHOLE(mid_off, 2), g_list, g_list_iova), -EINVAL);
	CU_ASSERT_EQUAL(nvme_build_prps_iov(&sqe, WHOLE(first_short, 2), g_list, g_list_iova),
			-EINVAL);
	CU_ASSERT_EQUAL(nvme_build_prps_iov(&sqe, WHOLE(odd, 1), g_list, g_list_iova), -EINVAL);
	CU_ASSERT_EQUAL(nvme_build_prps_iov(&sqe, WHOLE(unmapped, 2), g_list, g_list_iova),
			-EINVAL);
	/* Checking alone (no list) gives the same answers. */
	CU_ASSERT_EQUAL(nvme_build_prps_iov(&sqe, WHOLE(mid_off, 2), NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(nvme_build_prps_iov(&sqe, WHOLE(first_short, 1), NULL, 0), 0);
}

struct sgl_desc {
	uint64_t address;
	uint32_t length;
	uint8_t reserved[3];
	uint8_t id;
};

/* SGLs take elements of any size at any byte: one descriptor each. */
static void test_sgl_elements_anywhere(void)
{
	struct iovec iov[3] = {iov_at(3, 100), iov_at(PAGE + 7, 2000), iov_at(6 * PAGE + 1, 5)};
	const struct sgl_desc *d = (const void *)g_list;
	struct usk_nvme_sqe sqe = {0};

	CU_ASSERT_EQUAL_FATAL(nvme_build_sgl_iov(&sqe, WHOLE(iov, 3), g_list, g_list_iova), 0);
	CU_ASSERT_EQUAL(sqe.prp1, g_list_iova);
	CU_ASSERT_EQUAL((uint32_t)sqe.prp2, 3 * sizeof(struct sgl_desc));
	CU_ASSERT_EQUAL(sqe.prp2 >> 56, 0x30); /* Last Segment */
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(d[i].address, iova_of(iov[i].iov_base));
		CU_ASSERT_EQUAL(d[i].length, iov[i].iov_len);
		CU_ASSERT_EQUAL(d[i].id, 0);
	}
}

/* A window of the elements, as a piece of a split request has: clipped at both ends. */
static void test_windows_take_part_of_the_elements(void)
{
	struct iovec prp[2] = {iov_at(0, 4 * PAGE), iov_at(8 * PAGE, 4 * PAGE)};
	struct iovec sgl[3] = {iov_at(3, 100), iov_at(PAGE + 7, 2000), iov_at(6 * PAGE + 1, 5)};
	struct nvme_payload w = {.buf = prp, .iovcnt = 2, .skip = 3 * PAGE, .len = 2 * PAGE};
	const struct sgl_desc *d = (const void *)g_list;
	struct usk_nvme_sqe sqe = {0};

	/* The last page of one element and the first of the next: two PRPs, no list. */
	CU_ASSERT_EQUAL_FATAL(nvme_build_prps_iov(&sqe, &w, g_list, g_list_iova), 0);
	CU_ASSERT_EQUAL(sqe.prp1, iova_of(g_buf + 3 * PAGE));
	CU_ASSERT_EQUAL(sqe.prp2, iova_of(g_buf + 8 * PAGE));
	/* Starting inside a page is the first element's right; ending inside, the last's. */
	w.skip = 3 * PAGE + 512;
	CU_ASSERT_EQUAL_FATAL(nvme_build_prps_iov(&sqe, &w, g_list, g_list_iova), 0);
	CU_ASSERT_EQUAL(sqe.prp1, iova_of(g_buf + 3 * PAGE + 512));
	CU_ASSERT_EQUAL(sqe.prp2, g_list_iova);
	CU_ASSERT_EQUAL(g_list[0], iova_of(g_buf + 8 * PAGE));
	CU_ASSERT_EQUAL(g_list[1], iova_of(g_buf + 9 * PAGE));
	/* A window past the end of the array is refused, by both builders. */
	w.skip = 7 * PAGE;
	CU_ASSERT_EQUAL(nvme_build_prps_iov(&sqe, &w, NULL, 0), -EINVAL);
	w = (struct nvme_payload){.buf = sgl, .iovcnt = 3, .skip = 2100, .len = 10};
	CU_ASSERT_EQUAL(nvme_build_sgl_iov(&sqe, &w, NULL, 0), -EINVAL);
	/* Half of the first element, all of the second, two bytes of the third. */
	w = (struct nvme_payload){.buf = sgl, .iovcnt = 3, .skip = 50, .len = 50 + 2000 + 2};
	CU_ASSERT_EQUAL_FATAL(nvme_build_sgl_iov(&sqe, &w, g_list, g_list_iova), 0);
	CU_ASSERT_EQUAL((uint32_t)sqe.prp2, 3 * sizeof(struct sgl_desc));
	CU_ASSERT_EQUAL(d[0].address, iova_of(g_buf + 53));
	CU_ASSERT_EQUAL(d[0].length, 50);
	CU_ASSERT_EQUAL(d[1].address, iova_of(g_buf + PAGE + 7));
	CU_ASSERT_EQUAL(d[1].length, 2000);
	CU_ASSERT_EQUAL(d[2].address, iova_of(g_buf + 6 * PAGE + 1));
	CU_ASSERT_EQUAL(d[2].length, 2);
	/* Skipping whole elements: the window starts in the third. */
	w = (struct nvme_payload){.buf = sgl, .iovcnt = 3, .skip = 2101, .len = 4};
	CU_ASSERT_EQUAL_FATAL(nvme_build_sgl_iov(&sqe, &w, g_list, g_list_iova), 0);
	CU_ASSERT_EQUAL(sqe.prp1, iova_of(g_buf + 6 * PAGE + 2));
	CU_ASSERT_EQUAL((uint32_t)sqe.prp2, 4);
}

struct io_result {
	int calls;
	uint16_t status;
};

static void io_done(void *arg, const struct usk_nvme_cqe *cpl)
{
	struct io_result *r = arg;

	r->calls++;
	r->status = USK_NVME_STATUS_CODE(cpl->status);
}

static void device_up(struct nvme_model_fixture *d, bool sgls)
{
	struct nvme_model_opts mo;

	nvme_model_opts_init(&mo);
	mo.sgls = sgls;
	CU_ASSERT_EQUAL_FATAL(nvme_model_fixture_up(d, &mo, NULL, 16), 0);
}

/* Polls until @r has been called; returns its status. */
static int wait_for(struct usk_nvme_qpair *q, struct io_result *r)
{
	nvme_model_poll_until(q, &r->calls, 1, 5);
	CU_ASSERT_EQUAL(r->calls, 1);
	return r->status;
}

/*
 * 8 blocks written from three elements and read back into two others land
 * where a flat write would put them, with PRPs and with SGLs; compare
 * agrees with what is there and finds a difference.
 */
static void check_vectored_io(bool sgls)
{
	struct nvme_model_fixture d;
	struct io_result r;
	uint8_t *src = g_buf, *dst = g_buf + 8 * PAGE;
	/* SGLs: any byte, any length. PRPs: elements meet on pages. */
	struct iovec sgl_w[3] = {
		{src + 1, 1000}, {src + PAGE + 5, 2072}, {src + 2 * PAGE + 9, 1024}};
	struct iovec sgl_rd[2] = {{dst + 3, 3000}, {dst + 4 * PAGE + 1, 1096}};
	struct iovec prp_w[3] = {
		{src + PAGE - 1024, 1024}, {src + PAGE, PAGE}, {src + 2 * PAGE, 2048}};
	struct iovec prp_rd[2] = {{dst + PAGE - 1024, 1024}, {dst + PAGE, 6144}};
	struct iovec *w = sgls ? sgl_w : prp_w;
	struct iovec *rd = sgls ? sgl_rd : prp_rd;

	device_up(&d, sgls);
	for (uint32_t i = 0; i < 3 * PAGE; i++) {
		src[i] = (uint8_t)(i * 7 + 1);
	}
	size_t total = 0;

	for (int i = 0; i < 3; i++) {
		total += w[i].iov_len;
	}
	r = (struct io_result){0};
	CU_ASSERT_EQUAL_FATAL(
		usk_nvme_ns_writev(d.ns, d.q, w, 3, 16, (uint32_t)(total / 512), io_done, &r), 0);
	CU_ASSERT_EQUAL(wait_for(d.q, &r), 0);
	/* The model holds the elements back to back. */
	const uint8_t *disk = nvme_model_ns_data(d.model, 1) + 16 * 512;
	size_t at = 0;

	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(memcmp(disk + at, w[i].iov_base, w[i].iov_len), 0);
		at += w[i].iov_len;
	}
	/* Read back into the other shape. */
	size_t rtotal = rd[0].iov_len + rd[1].iov_len;

	memset(dst, 0, 8 * PAGE);
	r = (struct io_result){0};
	CU_ASSERT_EQUAL_FATAL(
		usk_nvme_ns_readv(d.ns, d.q, rd, 2, 16, (uint32_t)(rtotal / 512), io_done, &r), 0);
	CU_ASSERT_EQUAL(wait_for(d.q, &r), 0);
	CU_ASSERT_EQUAL(memcmp(rd[0].iov_base, disk, rd[0].iov_len), 0);
	CU_ASSERT_EQUAL(memcmp(rd[1].iov_base, disk + rd[0].iov_len, rd[1].iov_len), 0);
	/* Compare: the same data agrees; one byte changed is a Compare Failure. */
	r = (struct io_result){0};
	CU_ASSERT_EQUAL(
		usk_nvme_ns_comparev(d.ns, d.q, w, 3, 16, (uint32_t)(total / 512), io_done, &r), 0);
	CU_ASSERT_EQUAL(wait_for(d.q, &r), 0);
	((uint8_t *)w[2].iov_base)[5] ^= 0xff;
	r = (struct io_result){0};
	CU_ASSERT_EQUAL(
		usk_nvme_ns_comparev(d.ns, d.q, w, 3, 16, (uint32_t)(total / 512), io_done, &r), 0);
	CU_ASSERT_EQUAL(wait_for(d.q, &r), USK_NVME_SCT_MEDIA << 8 | USK_NVME_SC_COMPARE_FAILURE);
	/* Elements that do not add up to the blocks, or none: refused. */
	CU_ASSERT_EQUAL(usk_nvme_ns_readv(d.ns, d.q, rd, 2, 16, 1, io_done, &r), -EINVAL);
	CU_ASSERT_EQUAL(usk_nvme_ns_readv(d.ns, d.q, rd, 0, 16, 1, io_done, &r), -EINVAL);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&d), 0);
}

static void test_vectored_io_prps(void)
{
	check_vectored_io(false);
}

static void test_vectored_io_sgls(void)
{
	check_vectored_io(true);
}

/*
 * 600 KiB from three elements, above the 128 KiB maximum transfer: five
 * commands, each taking its part of the elements (cut inside the long
 * middle one), land back to back; read back into another shape; a changed
 * byte in the last piece fails the comparison of the whole.
 */
static void check_vectored_split(bool sgls)
{
	const uint32_t total = 1200 * 512;
	uint8_t *a = usk_dma_malloc(160 * PAGE, PAGE, -1),
		*b = usk_dma_malloc(160 * PAGE, PAGE, -1);
	struct nvme_model_fixture d;
	struct io_result r = {0};

	CU_ASSERT_FATAL(a != NULL && b != NULL);
	/* SGLs: any byte. PRPs: only the first element starts, only the last ends, off a page. */
	uint32_t first = sgls ? 1000 : PAGE - 512;
	struct iovec w[3] = {{a + (sgls ? 3 : 512), first},
			     {b + (sgls ? 5 : 0), 100 * PAGE},
			     {a + 2 * PAGE + (sgls ? 1 : 0), total - first - 100 * PAGE}};
	struct iovec rd[2] = {{b + (sgls ? 7 : 0), 40 * PAGE}, {a, total - 40 * PAGE}};
	const uint8_t *disk;
	uint32_t at = 0;

	device_up(&d, sgls);
	for (int i = 0; i < 3; i++) {
		for (size_t j = 0; j < w[i].iov_len; j++) {
			((uint8_t *)w[i].iov_base)[j] = (uint8_t)(i * 101 + j * 13 + 1);
		}
	}
	uint64_t before = nvme_model_io_completed(d.model);

	CU_ASSERT_EQUAL_FATAL(usk_nvme_ns_writev(d.ns, d.q, w, 3, 8, 1200, io_done, &r), 0);
	CU_ASSERT_EQUAL(wait_for(d.q, &r), 0);
	CU_ASSERT_EQUAL(nvme_model_io_completed(d.model) - before, 5);
	disk = nvme_model_ns_data(d.model, 1) + 8 * 512;
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(memcmp(disk + at, w[i].iov_base, w[i].iov_len), 0);
		at += (uint32_t)w[i].iov_len;
	}
	/* Compare while the written elements are intact: the read below reuses them. */
	r = (struct io_result){0};
	CU_ASSERT_EQUAL(usk_nvme_ns_comparev(d.ns, d.q, w, 3, 8, 1200, io_done, &r), 0);
	CU_ASSERT_EQUAL(wait_for(d.q, &r), 0);
	((uint8_t *)w[2].iov_base)[w[2].iov_len - 1] ^= 0xff;
	r = (struct io_result){0};
	CU_ASSERT_EQUAL(usk_nvme_ns_comparev(d.ns, d.q, w, 3, 8, 1200, io_done, &r), 0);
	CU_ASSERT_EQUAL(wait_for(d.q, &r), USK_NVME_SCT_MEDIA << 8 | USK_NVME_SC_COMPARE_FAILURE);
	memset(a, 0, 160 * PAGE);
	memset(b, 0, 160 * PAGE);
	r = (struct io_result){0};
	CU_ASSERT_EQUAL_FATAL(usk_nvme_ns_readv(d.ns, d.q, rd, 2, 8, 1200, io_done, &r), 0);
	CU_ASSERT_EQUAL(wait_for(d.q, &r), 0);
	CU_ASSERT_EQUAL(memcmp(rd[0].iov_base, disk, rd[0].iov_len), 0);
	CU_ASSERT_EQUAL(memcmp(rd[1].iov_base, disk + rd[0].iov_len, rd[1].iov_len), 0);
	CU_ASSERT_EQUAL(usk_nvme_qpair_get_outstanding(d.q), 0);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&d), 0);
	usk_dma_free(a);
	usk_dma_free(b);
}

static void test_vectored_split_prps(void)
{
	check_vectored_split(false);
}

static void test_vectored_split_sgls(void)
{
	check_vectored_split(true);
}

/* More vectored writes than the queue holds: the rest wait, in order, and all land. */
static void test_vectored_io_waits_for_room(void)
{
	static struct io_result r[40];
	struct iovec iov[40][2];
	uint8_t *bufs = usk_dma_malloc(40 * 2 * PAGE, PAGE, -1);
	struct nvme_model_fixture d;
	int done = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(bufs);
	device_up(&d, false);
	memset(r, 0, sizeof(r));
	/* 15 fill the 16-entry ring; 25 wait for it. */
	for (int i = 0; i < 40; i++) {
		uint8_t *p = bufs + (size_t)i * 2 * PAGE;

		memset(p, i + 1, 2 * PAGE);
		iov[i][0] = (struct iovec){p, PAGE};
		iov[i][1] = (struct iovec){p + PAGE, 512};
		CU_ASSERT_EQUAL_FATAL(usk_nvme_ns_writev(d.ns, d.q, iov[i], 2, (uint64_t)i * 9, 9,
							 io_done, &r[i]),
				      0);
	}
	CU_ASSERT_EQUAL(usk_nvme_qpair_get_outstanding(d.q), 40);
	nvme_model_poll_until(d.q, &r[39].calls, 1, 5);
	for (int i = 0; i < 40; i++) {
		done += r[i].calls == 1 && r[i].status == 0;
		CU_ASSERT_EQUAL(nvme_model_ns_data(d.model, 1)[(uint64_t)i * 9 * 512 + 4096],
				i + 1);
	}
	CU_ASSERT_EQUAL(done, 40);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&d), 0);
	usk_dma_free(bufs);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_prps_meeting_on_pages),
		UT_TEST(test_prps_refuse_what_pages_cannot_say),
		UT_TEST(test_sgl_elements_anywhere),
		UT_TEST(test_windows_take_part_of_the_elements),
		UT_TEST(test_vectored_io_prps),
		UT_TEST(test_vectored_io_sgls),
		UT_TEST(test_vectored_split_prps),
		UT_TEST(test_vectored_split_sgls),
		UT_TEST(test_vectored_io_waits_for_room),
	};
	int rc;

	usk_log_set_level(USK_LOG_ERROR);
	if (usk_env_init(NULL) != 0) {
		return 99;
	}
	g_buf = usk_dma_zmalloc(16 * PAGE, PAGE, -1);
	g_list = usk_dma_zmalloc(PAGE, PAGE, -1);
	if (g_buf == NULL || g_list == NULL) {
		return 99;
	}
	g_list_iova = iova_of(g_list);
	rc = UT_RUN("nvme_iov", tests);
	usk_dma_free(g_list);
	usk_dma_free(g_buf);
	usk_env_fini();
	return rc;
}
