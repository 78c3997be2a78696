usk_include_HEADERS += \
	include/usk/log.h \
	include/usk/util.h \
	include/usk/histogram.h
