#!/bin/sh
# Host side of test/vm/tests/hotplug.sh: boots the guest it needs and runs it.
exec "$top_srcdir/test/vm/vmlab.sh" --timeout 240 -c ns=64M -c ns=32M "$top_srcdir/test/vm/tests/hotplug.sh"
