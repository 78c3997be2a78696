# Headers of log and util; every other layer lists its own in its local.mk.
usk_include_HEADERS += \
	include/usk/log.h \
	include/usk/util.h \
	include/usk/histogram.h \
	include/usk/ticks.h \
	include/usk/idle_spell.h \
	include/usk/uuid.h \
	include/usk/crc32c.h \
	include/usk/pci.h
