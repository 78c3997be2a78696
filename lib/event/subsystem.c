/* SPDX-License-Identifier: BSD-3-Clause */
/* Subsystems: registered explicitly, initialised in order, finished in reverse. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "usk/log.h"
#include "usk/util.h"
#include "event_internal.h"

#define SUBSYSTEM_MAX 32

static const struct usk_subsystem *g_subsystems[SUBSYSTEM_MAX] = {&g_log_subsystem};
static uint32_t g_count = 1;
/* Subsystems [0, g_initialised) are up; g_cursor is the one being worked on. */
static uint32_t g_initialised;
static uint32_t g_cursor;
static void (*g_init_done)(int rc);
static void (*g_fini_done)(void);

static const struct usk_subsystem *subsystem_find(const char *name);

bool subsystem_exists(const char *name)
{
	return subsystem_find(name) != NULL;
}

int usk_subsystem_register(const struct usk_subsystem *s)
{
	if (s == NULL || s->name == NULL) {
		return -EINVAL;
	}
	if (subsystem_exists(s->name)) {
		return -EEXIST;
	}
	if (g_count == SUBSYSTEM_MAX) {
		return -ENOSPC;
	}
	g_subsystems[g_count++] = s;
	return 0;
}

static void subsystem_init_next(void)
{
	while (g_cursor < g_count && g_subsystems[g_cursor]->init == NULL) {
		g_initialised = ++g_cursor;
	}
	if (g_cursor == g_count) {
		g_init_done(0);
		return;
	}
	USK_DEBUGLOG(EVENT, "subsystem '%s': initialising", g_subsystems[g_cursor]->name);
	g_subsystems[g_cursor]->init();
}

void subsystems_init(void (*done)(int rc))
{
	g_init_done = done;
	g_cursor = 0;
	g_initialised = 0;
	subsystem_init_next();
}

void usk_subsystem_init_done(int rc)
{
	if (rc != 0) {
		USK_ERRLOG("subsystem '%s': failed to start: %s", g_subsystems[g_cursor]->name,
			   strerror(-rc));
		g_init_done(rc);
		return;
	}
	g_initialised = ++g_cursor;
	subsystem_init_next();
}

static void subsystem_fini_next(void)
{
	while (g_cursor > 0 && g_subsystems[g_cursor - 1]->fini == NULL) {
		g_cursor--;
	}
	if (g_cursor == 0) {
		g_initialised = 0;
		g_fini_done();
		return;
	}
	USK_DEBUGLOG(EVENT, "subsystem '%s': finishing", g_subsystems[g_cursor - 1]->name);
	g_subsystems[g_cursor - 1]->fini();
}

void subsystems_fini(void (*done)(void))
{
	g_fini_done = done;
	g_cursor = g_initialised;
	subsystem_fini_next();
}

void usk_subsystem_fini_done(void)
{
	g_cursor--;
	subsystem_fini_next();
}

static const struct usk_subsystem *subsystem_find(const char *name)
{
	for (uint32_t i = 0; i < g_count; i++) {
		if (strcmp(g_subsystems[i]->name, name) == 0) {
			return g_subsystems[i];
		}
	}
	return NULL;
}

/* The subsystem's config entries, into an array the caller began. */
static void subsystem_write_config_entries(const struct usk_subsystem *s,
					   struct usk_json_write_ctx *w)
{
	if (s->write_config_json != NULL) {
		s->write_config_json(w);
	}
}

int subsystem_write_config(const char *name, struct usk_json_write_ctx *w)
{
	const struct usk_subsystem *s = subsystem_find(name);

	if (s == NULL) {
		return -ENOENT;
	}
	usk_json_write_array_begin(w);
	subsystem_write_config_entries(s, w);
	usk_json_write_array_end(w);
	return 0;
}

void subsystems_write_config(struct usk_json_write_ctx *w)
{
	usk_json_write_object_begin(w);
	usk_json_write_named_array_begin(w, "subsystems");
	for (uint32_t i = 0; i < g_count; i++) {
		usk_json_write_object_begin(w);
		usk_json_write_named_string(w, "subsystem", g_subsystems[i]->name);
		usk_json_write_named_array_begin(w, "config");
		subsystem_write_config_entries(g_subsystems[i], w);
		usk_json_write_array_end(w);
		usk_json_write_object_end(w);
	}
	usk_json_write_array_end(w);
	usk_json_write_object_end(w);
}

/*
 * USK's subsystems declare no dependencies: each starts after every one
 * registered before it, which is the only order they can rely on.
 */
void subsystems_write_list(struct usk_json_write_ctx *w)
{
	usk_json_write_array_begin(w);
	for (uint32_t i = 0; i < g_count; i++) {
		usk_json_write_object_begin(w);
		usk_json_write_named_string(w, "subsystem", g_subsystems[i]->name);
		usk_json_write_named_array_begin(w, "depends_on");
		usk_json_write_array_end(w);
		usk_json_write_object_end(w);
	}
	usk_json_write_array_end(w);
}
