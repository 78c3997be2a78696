/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include "fio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fio_nvme_ctrlr.h"
#include "usk/env.h"

static pthread_mutex_t g_ctrlrs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct usk_fio_nvme_ctrlr *g_ctrlrs;
static bool g_env_owned;

static int env_init_once(void)
{
	int rc;

	if (g_env_owned) {
		return 0;
	}
	rc = usk_env_init(NULL);
	if (rc != 0 && rc != -EALREADY) {
		log_err("usk_nvme: cannot set up USK's environment: %s\n", strerror(-rc));
		return rc;
	}
	g_env_owned = rc == 0;
	return 0;
}

/* The device must exist and be on vfio-pci; says what to do when not. */
static int check_driver(const struct usk_pci_addr *addr, const char *file)
{
	struct usk_pci_device_info info;

	if (usk_pci_device_info_get(addr, &info) != 0) {
		log_err("usk_nvme: '%s' names no PCI device; 'scripts/setup.sh status' "
			"lists the NVMe controllers\n",
			file);
		return -ENODEV;
	}
	if (strcmp(info.driver, "vfio-pci") != 0) {
		log_err("usk_nvme: '%s' is on the %s driver, not vfio-pci: run "
			"scripts/setup.sh (as root) to give it to USK\n",
			file, info.driver[0] != '\0' ? info.driver : "no");
		return -EBUSY;
	}
	return 0;
}

static struct usk_fio_nvme_ctrlr *ctrlr_attach(const struct usk_pci_addr *addr,
					       const struct usk_nvme_ctrlr_opts *opts,
					       const char *file)
{
	struct usk_fio_nvme_ctrlr *c;
	struct usk_pci_device *dev;
	int rc;

	if (env_init_once() != 0 || check_driver(addr, file) != 0) {
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		return NULL;
	}
	rc = usk_pci_device_attach(addr, &dev);
	if (rc == 0) {
		rc = usk_nvme_ctrlr_attach_pci(dev, opts, &c->ctrlr);
	}
	if (rc != 0) {
		log_err("usk_nvme: cannot attach the controller of '%s': %s (the log above "
			"says more)\n",
			file, strerror(-rc));
		free(c);
		return NULL;
	}
	c->addr = *addr;
	c->opts = *opts;
	pthread_mutex_init(&c->admin_lock, NULL);
	c->next = g_ctrlrs;
	g_ctrlrs = c;
	return c;
}

/*
 * A controller is attached once, with the first job's options: a later
 * job that asks for others cannot have them, and must not run believing
 * it does. The name of the first option that differs, or NULL.
 */
static const char *ctrlr_opts_differ(const struct usk_nvme_ctrlr_opts *a,
				     const struct usk_nvme_ctrlr_opts *b)
{
	if (a->sgls != b->sgls) {
		return "enable_sgl";
	}
	if (a->shadow_doorbells != b->shadow_doorbells) {
		return "shadow_doorbells";
	}
	if (a->io_timeout_ms != b->io_timeout_ms) {
		return "io_timeout_ms";
	}
	return NULL;
}

struct usk_fio_nvme_ctrlr *usk_fio_nvme_ctrlr_get(const struct usk_pci_addr *addr,
						  const struct usk_nvme_ctrlr_opts *opts,
						  const char *file)
{
	const char *differs = NULL;
	struct usk_fio_nvme_ctrlr *c;

	pthread_mutex_lock(&g_ctrlrs_lock);
	for (c = g_ctrlrs; c != NULL; c = c->next) {
		if (usk_pci_addr_compare(&c->addr, addr) == 0) {
			break;
		}
	}
	if (c == NULL) {
		c = ctrlr_attach(addr, opts, file);
	} else {
		differs = ctrlr_opts_differ(&c->opts, opts);
	}
	if (differs != NULL) {
		log_err("usk_nvme: '%s': the controller is already in use with another %s; "
			"every job on one controller needs the same enable_sgl, "
			"shadow_doorbells and io_timeout_ms\n",
			file, differs);
		c = NULL;
	}
	pthread_mutex_unlock(&g_ctrlrs_lock);
	return c;
}

void usk_fio_nvme_ctrlr_poll_admin(struct usk_fio_nvme_ctrlr *c)
{
	if (pthread_mutex_trylock(&c->admin_lock) == 0) {
		usk_nvme_ctrlr_process_admin_completions(c->ctrlr);
		pthread_mutex_unlock(&c->admin_lock);
	}
}

/*
 * fio unloads the engine after its last job: every queue pair is freed by
 * then, so the controllers can shut down.
 */
__attribute__((destructor)) static void ctrlrs_detach_all(void)
{
	while (g_ctrlrs != NULL) {
		struct usk_fio_nvme_ctrlr *c = g_ctrlrs;

		g_ctrlrs = c->next;
		usk_nvme_ctrlr_detach(c->ctrlr);
		pthread_mutex_destroy(&c->admin_lock);
		free(c);
	}
	if (g_env_owned) {
		usk_env_fini();
		g_env_owned = false;
	}
}
