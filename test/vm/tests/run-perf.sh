#!/bin/bash
# Guest: binds the controllers and runs usk_nvme_perf with the given options.
HUGEMEM=${HUGEMEM:-256} /usk/scripts/setup.sh config >/dev/null || exit 1
exec /usk/bin/usk_nvme_perf "$@"
