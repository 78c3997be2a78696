/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Transport IDs and PCI addresses as users type them (-r of
 * usk_nvme_perf, usk_nvme's device argument, traddr of the attach RPC):
 * usk_nvme_transport_id_parse() and usk_pci_addr_parse() on the input as
 * a string. Besides not crashing, an address either parser accepts must
 * come back unchanged through usk_pci_addr_fmt() and usk_pci_addr_parse().
 */
#include "config.h"

#include "fuzz_common.h"
#include "usk/nvme.h"
#include "usk/pci.h"

/* What was accepted prints as a canonical address that parses to the same. */
static void check_round_trip(const struct usk_pci_addr *addr, const char *input)
{
	struct usk_pci_addr again;
	char text[USK_PCI_ADDR_STRLEN];

	FUZZ_CHECK(usk_pci_addr_fmt(text, sizeof(text), addr) == 0, "'%s' accepted, not printable",
		   input);
	FUZZ_CHECK(usk_pci_addr_parse(&again, text) == 0, "'%s' printed as '%s', refused", input,
		   text);
	FUZZ_CHECK(usk_pci_addr_compare(&again, addr) == 0, "'%s' printed as '%s', parsed apart",
		   input, text);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_logs();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_strdup(data, size);
	struct usk_nvme_transport_id trid;
	struct usk_pci_addr addr;

	if (s == NULL) {
		return 0;
	}
	if (usk_nvme_transport_id_parse(s, &trid) == 0) {
		if (trid.trtype == USK_NVME_TRANSPORT_PCIE) {
			check_round_trip(&trid.pci_addr, s);
		} else {
			FUZZ_CHECK(trid.traddr[0] != '\0' && trid.trsvcid[0] != '\0' &&
					   trid.subnqn[0] != '\0',
				   "'%s' accepted as TCP with an empty field", s);
		}
	}
	if (usk_pci_addr_parse(&addr, s) == 0) {
		check_round_trip(&addr, s);
	}
	free(s);
	return 0;
}
