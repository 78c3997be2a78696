# usk_tgt: the service daemon (app framework, JSON-RPC, JSON config).
bin_PROGRAMS += app/tgt/usk_tgt
app_tgt_usk_tgt_SOURCES = app/tgt/usk_tgt.c
app_tgt_usk_tgt_LDADD = lib/libusk.la
app_tgt_usk_tgt_LDFLAGS = $(AM_LDFLAGS) -static
