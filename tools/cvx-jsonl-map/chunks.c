/* SPDX-License-Identifier: MIT */
/*
 * chunks.c: process a stream's lines on several threads, output in order.
 *
 * The reader (the calling thread) cuts the input into chunks of whole
 * lines; worker threads process chunks in any order; whichever worker
 * finds the next chunk in input order done writes it.  Chunk number s
 * lives in slot s % nslots and the reader refills a slot only once it has
 * been written, so memory is bounded by the slots, not by the input.
 */
#define _GNU_SOURCE		/* memrchr */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cvx-jsonl-map.h"

/* Input handed out at a time, at line ends (more for a longer line). */
#define CHUNK_SIZE	(1024 * 1024)

enum { FREE, FILLED, BUSY, DONE };

/* One run of the machinery: the ring and where each party is in it. */
struct ring {
	const struct cvx_chunk_ops *ops;
	struct cvx_chunk *slots;
	size_t	 nslots;
	uint64_t next_read;	/* chunks handed to the workers */
	uint64_t next_work;	/* chunks taken by a worker */
	uint64_t next_write;	/* chunks written */
	bool	 reading_done;
	bool	 writing;	/* a worker is writing next_write */
	pthread_mutex_t lock;
	pthread_cond_t work_cond;	/* a chunk was filled, or the end */
	pthread_cond_t free_cond;	/* a chunk was written */
};

struct worker_arg {
	struct ring *ring;
	void	*worker;
	pthread_t thread;
};

/* Write every chunk that is done and next in line (lock held). */
static void
write_ready(struct ring *r)
{
	struct cvx_chunk *c;

	while (!r->writing && r->next_write < r->next_read &&
	    (c = &r->slots[r->next_write % r->nslots])->state == DONE) {
		r->writing = true;
		pthread_mutex_unlock(&r->lock);
		r->ops->write(c);
		pthread_mutex_lock(&r->lock);
		c->state = FREE;
		r->next_write++;
		pthread_cond_broadcast(&r->free_cond);
		/*
		 * Caught up with the reader: the input is slower than the
		 * workers, so what is buffered goes out now, not later.
		 */
		if (r->next_write == r->next_read && r->ops->flush != NULL) {
			pthread_mutex_unlock(&r->lock);
			r->ops->flush();
			pthread_mutex_lock(&r->lock);
		}
		r->writing = false;
	}
}

/* A worker thread: take chunks in order, process them, write in turn. */
static void *
worker_main(void *arg)
{
	struct worker_arg *a = arg;
	struct ring *r = a->ring;
	struct cvx_chunk *c;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		while (r->next_work == r->next_read && !r->reading_done)
			pthread_cond_wait(&r->work_cond, &r->lock);
		if (r->next_work == r->next_read)
			break;
		c = &r->slots[r->next_work++ % r->nslots];
		c->state = BUSY;
		pthread_mutex_unlock(&r->lock);
		r->ops->process(a->worker, c);
		pthread_mutex_lock(&r->lock);
		c->state = DONE;
		write_ready(r);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

/* Wait until the next slot is free and hand it over emptied. */
static struct cvx_chunk *
slot_take(struct ring *r)
{
	struct cvx_chunk *c;

	pthread_mutex_lock(&r->lock);
	c = &r->slots[r->next_read % r->nslots];
	while (c->state != FREE)
		pthread_cond_wait(&r->free_cond, &r->lock);
	pthread_mutex_unlock(&r->lock);
	cvx_buf_reset(&c->in);
	cvx_buf_reset(&c->out);
	return c;
}

/* Hand the slot just filled to the workers. */
static void
slot_give(struct ring *r)
{
	pthread_mutex_lock(&r->lock);
	r->slots[r->next_read % r->nslots].state = FILLED;
	r->next_read++;
	pthread_cond_signal(&r->work_cond);
	pthread_mutex_unlock(&r->lock);
}

/*
 * The reader: cut the input into chunks of whole lines.  A chunk goes out
 * when it is half full or when a read comes back short (the producer has
 * nothing more for now), so a slow producer's lines are not held back.
 * Returns 0, or an errno.
 */
static int
read_input(struct ring *r, int fd)
{
	struct cvx_buf carry = {0};
	struct cvx_chunk *c;
	const char *nl = NULL;
	size_t want, cut;
	ssize_t n;
	bool eof = false;
	int rval = 0;

	while (!eof) {
		c = slot_take(r);
		cvx_buf_add(&c->in, carry.p, carry.len);
		cvx_buf_reset(&carry);
		for (;;) {
			want = c->in.len < CHUNK_SIZE / 2 ?
			    CHUNK_SIZE - c->in.len : c->in.len;
			cvx_buf_grow(&c->in, want);
			n = read(fd, c->in.p + c->in.len, want);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				rval = errno;
				n = 0;
			}
			if (n == 0)
				eof = true;
			c->in.len += (size_t)n;
			c->in.p[c->in.len] = '\0';
			nl = c->in.len > 0 ?
			    memrchr(c->in.p, '\n', c->in.len) : NULL;
			if (eof || (nl != NULL &&
			    (c->in.len >= CHUNK_SIZE / 2 || (size_t)n < want)))
				break;
		}
		/* After a read error, only the whole lines before it count. */
		if (rval != 0)
			cut = nl != NULL ? (size_t)(nl - c->in.p) + 1 : 0;
		else
			cut = eof ? c->in.len : (size_t)(nl - c->in.p) + 1;
		cvx_buf_add(&carry, c->in.p + cut, c->in.len - cut);
		c->in.len = cut;
		c->in.p[cut] = '\0';
		if (cut > 0)
			slot_give(r);
	}
	cvx_buf_free(&carry);
	return rval;
}

int
cvx_chunks_run(int fd, size_t nworkers, void **workers,
    const struct cvx_chunk_ops *ops)
{
	struct worker_arg *args;
	struct ring r;
	size_t i;
	int rval, e;

	memset(&r, 0, sizeof(r));
	r.ops = ops;
	r.nslots = nworkers * 2 + 2;
	r.slots = cvx_calloc(r.nslots, sizeof(*r.slots));
	if ((e = pthread_mutex_init(&r.lock, NULL)) != 0 ||
	    (e = pthread_cond_init(&r.work_cond, NULL)) != 0 ||
	    (e = pthread_cond_init(&r.free_cond, NULL)) != 0)
		cvx_die("pthread: %s", strerror(e));
	args = cvx_calloc(nworkers, sizeof(*args));
	for (i = 0; i < nworkers; i++) {
		args[i].ring = &r;
		args[i].worker = workers[i];
		if ((e = pthread_create(&args[i].thread, NULL, worker_main,
		    &args[i])) != 0)
			cvx_die("pthread_create: %s", strerror(e));
	}
	rval = read_input(&r, fd);
	pthread_mutex_lock(&r.lock);
	r.reading_done = true;
	pthread_cond_broadcast(&r.work_cond);
	pthread_mutex_unlock(&r.lock);
	for (i = 0; i < nworkers; i++)
		pthread_join(args[i].thread, NULL);
	for (i = 0; i < r.nslots; i++) {
		if (ops->release != NULL)
			ops->release(&r.slots[i]);
		cvx_buf_free(&r.slots[i].in);
		cvx_buf_free(&r.slots[i].out);
	}
	free(r.slots);
	free(args);
	pthread_mutex_destroy(&r.lock);
	pthread_cond_destroy(&r.work_cond);
	pthread_cond_destroy(&r.free_cond);
	return rval;
}
