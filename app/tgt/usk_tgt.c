/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * usk_tgt: the daemon an operator runs. The app framework, its JSON-RPC
 * server and JSON config, the bdev subsystem (block devices made and
 * removed by RPC or config) and the nvmf subsystem (NVMe/TCP target:
 * bdevs exported to hosts).
 */
#include <stdio.h>
#include <stdlib.h>

#include "usk/bdev.h"
#include "usk/event.h"
#include "usk/log.h"
#include "usk/nvmf.h"

static void tgt_usage(FILE *out)
{
	fprintf(out, "Runs the USK service: reactors on the chosen cores, configured through\n"
		     "JSON-RPC (scripts/rpc.py) or a JSON config file. Stops on SIGINT, SIGTERM\n"
		     "or the spdk_kill_instance method. Idle reactors sleep (see\n"
		     "--no-idle-sleep).\n");
}

static void tgt_started(void *ctx)
{
	const struct usk_app_opts *opts = ctx;

	USK_NOTICELOG("usk_tgt: running on %u core(s); RPC socket %s", usk_app_get_core_count(),
		      opts->rpc_addr ? opts->rpc_addr : "(none)");
}

int main(int argc, char **argv)
{
	struct usk_app_opts opts;
	int rc;

	usk_app_opts_init(&opts, sizeof(opts));
	opts.name = "usk_tgt";
	/* A service idles most of its life: it sleeps then, unless told to spin. */
	opts.idle_sleep = true;
	switch (usk_app_parse_args(argc, argv, &opts, NULL, NULL, NULL, tgt_usage)) {
	case USK_APP_PARSE_OK:
		break;
	case USK_APP_PARSE_EXIT:
		return 0;
	default:
		return 2;
	}
	rc = usk_bdev_subsystem_register();
	if (rc != 0) {
		fprintf(stderr, "usk_tgt: cannot set up the bdev subsystem: %d\n", rc);
		return 1;
	}
	/* After the bdevs: the target lets go of them before they go. */
	rc = usk_nvmf_subsystem_register();
	if (rc != 0) {
		fprintf(stderr, "usk_tgt: cannot set up the nvmf subsystem: %d\n", rc);
		return 1;
	}
	rc = usk_app_start(&opts, tgt_started, &opts);
	if (rc != 0) {
		fprintf(stderr, "usk_tgt: stopped with an error (%d); the log above says why\n",
			rc);
		return 1;
	}
	USK_NOTICELOG("usk_tgt: stopped");
	return 0;
}
