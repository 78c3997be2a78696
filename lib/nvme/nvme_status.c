/* SPDX-License-Identifier: BSD-3-Clause */
/* NVMe status codes as text, for logs and tools (base 4.6.1.2). */
#include "config.h"

#include <stddef.h>

#include "usk/nvme.h"
#include "usk/util.h"

struct status_name {
	uint16_t code; /* SCT << 8 | SC */
	const char *name;
};

static const struct status_name g_status_names[] = {
	{0x000, "Successful Completion"},
	{0x001, "Invalid Command Opcode"},
	{0x002, "Invalid Field in Command"},
	{0x003, "Command ID Conflict"},
	{0x004, "Data Transfer Error"},
	{0x005, "Commands Aborted due to Power Loss Notification"},
	{0x006, "Internal Error"},
	{0x007, "Command Abort Requested"},
	{0x008, "Command Aborted due to SQ Deletion"},
	{0x009, "Command Aborted due to Failed Fused Command"},
	{0x00a, "Command Aborted due to Missing Fused Command"},
	{0x00b, "Invalid Namespace or Format"},
	{0x00c, "Command Sequence Error"},
	{0x00d, "Invalid SGL Segment Descriptor"},
	{0x00e, "Invalid Number of SGL Descriptors"},
	{0x00f, "Data SGL Length Invalid"},
	{0x010, "Metadata SGL Length Invalid"},
	{0x011, "SGL Descriptor Type Invalid"},
	{0x012, "Invalid Use of Controller Memory Buffer"},
	{0x013, "Invalid PRP Offset"},
	{0x015, "Operation Denied"},
	{0x016, "SGL Offset Invalid"},
	{0x080, "LBA Out of Range"},
	{0x081, "Capacity Exceeded"},
	{0x082, "Namespace Not Ready"},
	{0x083, "Reservation Conflict"},
	{0x084, "Format In Progress"},
	{0x100, "Completion Queue Invalid"},
	{0x101, "Invalid Queue Identifier"},
	{0x102, "Invalid Queue Size"},
	{0x103, "Abort Command Limit Exceeded"},
	{0x105, "Asynchronous Event Request Limit Exceeded"},
	{0x106, "Invalid Firmware Slot"},
	{0x107, "Invalid Firmware Image"},
	{0x108, "Invalid Interrupt Vector"},
	{0x109, "Invalid Log Page"},
	{0x10a, "Invalid Format"},
	{0x10c, "Invalid Queue Deletion"},
	{0x10d, "Feature Identifier Not Saveable"},
	{0x10e, "Feature Not Changeable"},
	{0x10f, "Feature Not Namespace Specific"},
	{0x180, "Conflicting Attributes"},
	{0x181, "Invalid Protection Information"},
	{0x182, "Attempted Write to Read Only Range"},
	{0x280, "Write Fault"},
	{0x281, "Unrecovered Read Error"},
	{0x282, "End-to-end Guard Check Error"},
	{0x283, "End-to-end Application Tag Check Error"},
	{0x284, "End-to-end Reference Tag Check Error"},
	{0x285, "Compare Failure"},
	{0x286, "Access Denied"},
	{0x287, "Deallocated or Unwritten Logical Block"},
	{0x300, "Internal Path Error"},
	{0x301, "Asymmetric Access Persistent Loss"},
	{0x302, "Asymmetric Access Inaccessible"},
	{0x303, "Asymmetric Access Transition"},
	{0x360, "Controller Pathing Error"},
	{0x370, "Host Pathing Error"},
	{0x371, "Command Aborted By Host"},
};

const char *usk_nvme_status_string(uint16_t status)
{
	for (size_t i = 0; i < USK_COUNTOF(g_status_names); i++) {
		if (g_status_names[i].code == status) {
			return g_status_names[i].name;
		}
	}
	if ((status >> 8) == USK_NVME_SCT_VENDOR) {
		return "Vendor Specific";
	}
	return "Unknown status";
}
