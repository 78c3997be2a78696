/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * I/O devices and their per-thread channels. Getting and putting channels
 * is a control-path affair (a thread gets its channel once and keeps it),
 * so one lock guards the device list and every thread's channel list.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usk/log.h"
#include "thread_internal.h"

struct io_device {
	void *io_device;
	usk_io_channel_create_fn create;
	usk_io_channel_destroy_fn destroy;
	uint32_t ctx_size;
	uint32_t channels;
	/* usk_io_channel_for_each() walks not yet completed: their completion may look at it. */
	uint32_t walks;
	bool unregistering;
	void (*done)(void *io_device);
	struct usk_thread *unregister_thread;
	char name[THREAD_NAME_LEN];
	TAILQ_ENTRY(io_device) link;
};

struct usk_io_channel {
	struct io_device *dev;
	struct usk_thread *thread;
	uint32_t ref;
	bool destroy_pending;
	TAILQ_ENTRY(usk_io_channel) link;
	_Alignas(64) uint8_t ctx[];
};

struct usk_io_channel_iter {
	struct io_device *dev;
	void (*fn)(struct usk_io_channel_iter *iter);
	void (*cpl)(struct usk_io_channel_iter *iter, int status);
	void *ctx;
	struct usk_thread *orig;
	uint64_t last_id;
	struct usk_io_channel *ch;
	int status;
};

pthread_mutex_t g_devlist_lock = PTHREAD_MUTEX_INITIALIZER;
static TAILQ_HEAD(, io_device) g_io_devices = TAILQ_HEAD_INITIALIZER(g_io_devices);

static struct io_device *io_device_find(void *io_device)
{
	struct io_device *dev;

	TAILQ_FOREACH(dev, &g_io_devices, link) {
		if (dev->io_device == io_device) {
			return dev;
		}
	}
	return NULL;
}

static struct usk_io_channel *thread_channel_find(struct usk_thread *t, struct io_device *dev)
{
	struct usk_io_channel *ch;

	TAILQ_FOREACH(ch, &t->channels, link) {
		if (ch->dev == dev) {
			return ch;
		}
	}
	return NULL;
}

int usk_io_device_register(void *io_device, usk_io_channel_create_fn create,
			   usk_io_channel_destroy_fn destroy, uint32_t ctx_size, const char *name)
{
	struct io_device *dev;

	if (io_device == NULL || create == NULL || destroy == NULL) {
		return -EINVAL;
	}
	dev = calloc(1, sizeof(*dev));
	if (dev == NULL) {
		return -ENOMEM;
	}
	dev->io_device = io_device;
	dev->create = create;
	dev->destroy = destroy;
	dev->ctx_size = ctx_size;
	thread_name_copy(dev->name, name);

	pthread_mutex_lock(&g_devlist_lock);
	if (io_device_find(io_device) != NULL) {
		pthread_mutex_unlock(&g_devlist_lock);
		USK_ERRLOG("I/O device '%s': already registered", dev->name);
		free(dev);
		return -EEXIST;
	}
	TAILQ_INSERT_TAIL(&g_io_devices, dev, link);
	pthread_mutex_unlock(&g_devlist_lock);
	return 0;
}

static void io_device_free_msg(void *arg)
{
	struct io_device *dev = arg;

	pthread_mutex_lock(&g_devlist_lock);
	TAILQ_REMOVE(&g_io_devices, dev, link);
	pthread_mutex_unlock(&g_devlist_lock);
	if (dev->done != NULL) {
		dev->done(dev->io_device);
	}
	if (dev->unregister_thread != NULL) {
		dev->unregister_thread->pending_unregisters--;
	}
	free(dev);
}

/*
 * The last channel of an unregistering device is gone: report on the
 * unregistering thread, or here if that thread was forced out meanwhile,
 * or refuses the message (its ring closed as it is forced out, or full):
 * late and elsewhere is better than never. The send is under the lock, so
 * that thread cannot be orphaning its devices and going at the same time.
 */
static void io_device_unregister_finish(struct io_device *dev)
{
	struct usk_thread *t;
	int rc = 0;

	pthread_mutex_lock(&g_devlist_lock);
	t = dev->unregister_thread;
	if (t != NULL) {
		rc = usk_thread_send_msg(t, io_device_free_msg, dev);
	}
	if (rc != 0) {
		USK_ERRLOG("I/O device '%s': thread '%s' cannot take its unregister's report (%s); "
			   "reporting on thread '%s'",
			   dev->name, usk_thread_get_name(t), strerror(-rc),
			   usk_thread_get_name(usk_thread_get_current()));
		dev->unregister_thread = NULL;
	}
	pthread_mutex_unlock(&g_devlist_lock);
	if (t == NULL || rc != 0) {
		io_device_free_msg(dev);
	}
}

/* Whether nothing uses the device any more: an unregister may report. Under the lock. */
static bool io_device_unused(const struct io_device *dev)
{
	return dev->channels == 0 && dev->walks == 0;
}

/* A user of @dev is gone (a channel or a walk: @count); an unregister may report. */
static void io_device_drop(struct io_device *dev, uint32_t *count)
{
	bool last;

	pthread_mutex_lock(&g_devlist_lock);
	(*count)--;
	last = dev->unregistering && io_device_unused(dev);
	pthread_mutex_unlock(&g_devlist_lock);
	if (last) {
		io_device_unregister_finish(dev);
	}
}

void io_device_orphan_unregisters(struct usk_thread *t)
{
	struct io_device *dev;

	pthread_mutex_lock(&g_devlist_lock);
	TAILQ_FOREACH(dev, &g_io_devices, link) {
		if (dev->unregistering && dev->unregister_thread == t) {
			dev->unregister_thread = NULL;
		}
	}
	pthread_mutex_unlock(&g_devlist_lock);
	t->pending_unregisters = 0;
}

int usk_io_device_unregister(void *io_device, void (*done)(void *io_device))
{
	struct usk_thread *t = usk_thread_get_current();
	struct io_device *dev;
	bool idle;

	if (t == NULL) {
		return -EINVAL;
	}
	pthread_mutex_lock(&g_devlist_lock);
	dev = io_device_find(io_device);
	if (dev == NULL || dev->unregistering) {
		pthread_mutex_unlock(&g_devlist_lock);
		return dev == NULL ? -ENOENT : -EBUSY;
	}
	dev->unregistering = true;
	dev->done = done;
	dev->unregister_thread = t;
	/* The thread stays until the done callback has run on it, even if asked to exit. */
	t->pending_unregisters++;
	idle = io_device_unused(dev);
	pthread_mutex_unlock(&g_devlist_lock);
	if (idle) {
		io_device_unregister_finish(dev);
	}
	return 0;
}

/*
 * Unlinks and frees a channel, running its destroy function if @created
 * (its create succeeded); the device may then finish unregistering. The
 * channel counts until its destroy function has returned: an unregister on
 * another thread must not report (and its owner free what the destroy
 * function still uses) while that function runs.
 */
static void io_channel_unlink(struct usk_io_channel *ch, bool created)
{
	struct io_device *dev = ch->dev;

	pthread_mutex_lock(&g_devlist_lock);
	TAILQ_REMOVE(&ch->thread->channels, ch, link);
	pthread_mutex_unlock(&g_devlist_lock);

	if (created) {
		dev->destroy(dev->io_device, ch->ctx);
	}
	free(ch);
	io_device_drop(dev, &dev->channels);
}

struct usk_io_channel *usk_io_channel_get(void *io_device)
{
	struct usk_thread *t = usk_thread_get_current();
	struct usk_io_channel *ch;
	struct io_device *dev;
	int rc;

	if (t == NULL) {
		USK_ERRLOG("an I/O channel was asked for outside a usk_thread");
		return NULL;
	}
	pthread_mutex_lock(&g_devlist_lock);
	dev = io_device_find(io_device);
	if (dev == NULL || dev->unregistering) {
		pthread_mutex_unlock(&g_devlist_lock);
		return NULL;
	}
	ch = thread_channel_find(t, dev);
	if (ch != NULL) {
		ch->ref++;
		pthread_mutex_unlock(&g_devlist_lock);
		return ch;
	}
	/* On cache lines of its own: channels of different threads never share one. */
	ch = aligned_alloc(64, (sizeof(*ch) + dev->ctx_size + 63) & ~(size_t)63);
	if (ch != NULL) {
		memset(ch, 0, sizeof(*ch) + dev->ctx_size);
	}
	if (ch == NULL) {
		pthread_mutex_unlock(&g_devlist_lock);
		return NULL;
	}
	ch->dev = dev;
	ch->thread = t;
	ch->ref = 1;
	dev->channels++;
	TAILQ_INSERT_TAIL(&t->channels, ch, link);
	pthread_mutex_unlock(&g_devlist_lock);

	rc = dev->create(io_device, ch->ctx);
	if (rc != 0) {
		USK_ERRLOG("I/O device '%s': thread '%s' could not create its channel: %s",
			   dev->name, t->name, strerror(-rc));
		/* An unregister that came meanwhile waits for this channel too. */
		io_channel_unlink(ch, false);
		return NULL;
	}
	return ch;
}

static void io_channel_destroy_msg(void *arg)
{
	struct usk_io_channel *ch = arg;

	ch->destroy_pending = false;
	/* Got again since the last put: keep it. */
	if (ch->ref == 0) {
		io_channel_unlink(ch, true);
	}
}

void usk_io_channel_put(struct usk_io_channel *ch)
{
	if (ch == NULL) {
		return;
	}
	if (ch->thread != usk_thread_get_current()) {
		USK_ERRLOG("I/O device '%s': channel of thread '%s' put from another thread",
			   ch->dev->name, ch->thread->name);
		return;
	}
	if (ch->ref == 0 || --ch->ref > 0 || ch->destroy_pending) {
		return;
	}
	/* Deferred, so the caller may still use the channel until it returns. */
	ch->destroy_pending = true;
	if (usk_thread_send_msg(ch->thread, io_channel_destroy_msg, ch) != 0) {
		ch->destroy_pending = false;
		io_channel_unlink(ch, true);
	}
}

void *usk_io_channel_get_ctx(struct usk_io_channel *ch)
{
	return ch->ctx;
}

struct usk_thread *usk_io_channel_get_thread(struct usk_io_channel *ch)
{
	return ch->thread;
}

void *usk_io_channel_get_io_device(struct usk_io_channel *ch)
{
	return ch->dev->io_device;
}

void usk_thread_for_each_io_channel(void (*fn)(const struct usk_io_channel_info *info, void *ctx),
				    void *ctx)
{
	struct usk_thread *t = usk_thread_get_current();
	struct usk_io_channel_info info;
	struct usk_io_channel *ch;

	if (t == NULL) {
		return;
	}
	/* Other threads' unregisters read this thread's list under the lock. */
	pthread_mutex_lock(&g_devlist_lock);
	TAILQ_FOREACH(ch, &t->channels, link) {
		info.name = ch->dev->name;
		info.ref = ch->ref;
		fn(&info, ctx);
	}
	pthread_mutex_unlock(&g_devlist_lock);
}

bool thread_has_channels(struct usk_thread *t)
{
	bool any;

	pthread_mutex_lock(&g_devlist_lock);
	any = !TAILQ_EMPTY(&t->channels);
	pthread_mutex_unlock(&g_devlist_lock);
	return any;
}

void thread_release_channels(struct usk_thread *t)
{
	struct usk_io_channel *ch;

	pthread_mutex_lock(&g_devlist_lock);
	while ((ch = TAILQ_FIRST(&t->channels)) != NULL) {
		pthread_mutex_unlock(&g_devlist_lock);
		USK_ERRLOG("thread '%s': destroyed holding a channel of I/O device '%s'", t->name,
			   ch->dev->name);
		io_channel_unlink(ch, true);
		pthread_mutex_lock(&g_devlist_lock);
	}
	pthread_mutex_unlock(&g_devlist_lock);
}

static void io_channel_iter_visit(void *arg);

/* The walk is over: the device it held may report its unregister. */
static void io_channel_iter_free(struct usk_io_channel_iter *i)
{
	struct io_device *dev = i->dev;

	free(i);
	io_device_drop(dev, &dev->walks);
}

static void io_channel_iter_done(void *arg)
{
	struct usk_io_channel_iter *i = arg;

	i->orig->pending_walks--;
	i->cpl(i, i->status);
	io_channel_iter_free(i);
}

static bool thread_holds_channel(struct usk_thread *t, void *arg)
{
	struct usk_io_channel_iter *i = arg;
	bool holds;

	pthread_mutex_lock(&g_devlist_lock);
	holds = thread_channel_find(t, i->dev) != NULL;
	pthread_mutex_unlock(&g_devlist_lock);
	return holds;
}

/* Sends the walk to the next thread (by id) that holds a channel, or home. */
static void io_channel_iter_next(void *arg)
{
	struct usk_io_channel_iter *i = arg;

	if (!thread_walk_step(&i->last_id, thread_holds_channel, io_channel_iter_visit,
			      io_channel_iter_done, i->orig, io_channel_iter_next, i)) {
		io_channel_iter_free(i);
	}
}

static void io_channel_iter_visit(void *arg)
{
	struct usk_io_channel_iter *i = arg;
	struct usk_thread *t = usk_thread_get_current();

	pthread_mutex_lock(&g_devlist_lock);
	i->ch = thread_channel_find(t, i->dev);
	pthread_mutex_unlock(&g_devlist_lock);
	if (i->ch == NULL) {
		/* Released since the walk looked: nothing to visit here. */
		io_channel_iter_next(i);
		return;
	}
	i->fn(i);
}

int usk_io_channel_for_each(void *io_device, void (*fn)(struct usk_io_channel_iter *iter),
			    void *ctx, void (*cpl)(struct usk_io_channel_iter *iter, int status))
{
	struct usk_thread *t = usk_thread_get_current();
	struct usk_io_channel_iter *i;
	struct io_device *dev;

	if (t == NULL || fn == NULL || cpl == NULL) {
		return -EINVAL;
	}
	i = calloc(1, sizeof(*i));
	if (i == NULL) {
		return -ENOMEM;
	}
	pthread_mutex_lock(&g_devlist_lock);
	dev = io_device_find(io_device);
	/* Unused and unregistering: its report is on its way, and it is freed after. */
	if (dev != NULL && dev->unregistering && io_device_unused(dev)) {
		dev = NULL;
	}
	if (dev != NULL) {
		dev->walks++;
	}
	pthread_mutex_unlock(&g_devlist_lock);
	if (dev == NULL) {
		free(i);
		return -ENOENT;
	}
	i->dev = dev;
	i->fn = fn;
	i->cpl = cpl;
	i->ctx = ctx;
	i->orig = t;
	t->pending_walks++;
	io_channel_iter_next(i);
	return 0;
}

void usk_io_channel_iter_continue(struct usk_io_channel_iter *i, int status)
{
	i->ch = NULL;
	if (status == 0) {
		io_channel_iter_next(i);
		return;
	}
	i->status = status;
	i->last_id = UINT64_MAX;
	io_channel_iter_next(i);
}

struct usk_io_channel *usk_io_channel_iter_get_channel(struct usk_io_channel_iter *i)
{
	return i->ch;
}

void *usk_io_channel_iter_get_ctx(struct usk_io_channel_iter *i)
{
	return i->ctx;
}

void *usk_io_channel_iter_get_io_device(struct usk_io_channel_iter *i)
{
	return i->dev->io_device;
}
