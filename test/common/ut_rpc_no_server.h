/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * For a test that links the app framework (lib/event) and answers on the
 * fake connection of ut_rpc_conn.h: the socket server stays out, since its
 * connections would be a second definition of the fake one's. Its two
 * functions the app framework calls are stood in for here: an app the test
 * starts must not listen (usk_app_opts.rpc_addr NULL), and then has no
 * server to close. Include it in one file of the program.
 */
#ifndef USK_TEST_UT_RPC_NO_SERVER_H
#define USK_TEST_UT_RPC_NO_SERVER_H

#include <errno.h>

int usk_rpc_listen(const char *path)
{
	return -ENOTSUP;
}

void usk_rpc_close(void)
{
}

#endif /* USK_TEST_UT_RPC_NO_SERVER_H */
