// SPDX-License-Identifier: GPL-2.0
/*
 * The prefetch: a few kernel threads read one byte of every frame of the last
 * snapshot's prefetch order (highest category first, then by frame number),
 * skipping frames that are free at that moment. On the destination of a
 * post-copy migration each read of a page that has not arrived yet makes QEMU
 * request it from the source, which then goes on pushing from there: the pages
 * the guest needs arrive first instead of in address order.
 *
 * The threads take chunks of the order from one shared counter, so together
 * they move through the categories in order whatever their number. Between
 * passes they wait; an armed trigger creates them in advance
 * (cvn_prefetch_prepare): on the destination, where every page the guest
 * touches first costs a round trip to the source, creating threads would take
 * longer than waking them. Reads go
 * through copy_from_kernel_nofault: a frame that left the direct map since the
 * snapshot (secretmem, a KFENCE guard page) is skipped instead of oopsing.
 */
#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/uaccess.h>

#include "convoy_enlight.h"

#define CHUNK_PAGES 64
#define MAX_STREAMS 8

static struct {
	struct task_struct *threads[MAX_STREAMS];
	unsigned int streams;
	wait_queue_head_t wq;
	/* A pass is one walk through the order; the threads wait between passes. */
	unsigned int pass;
	atomic_long_t next_chunk;
	atomic_t finished; /* threads done with the current pass */
	atomic_long_t touched, skipped_free, unreadable;
	u64 start_ns, end_ns;
	u64 generation;
	unsigned long order_len;
	/* index just past each category's last frame in the order, and when a
	 * thread finished the chunk holding it (0: not yet) */
	unsigned long category_end[CVN_NR_CATEGORIES];
	u64 category_done_ns[CVN_NR_CATEGORIES];
	unsigned int runs;
} pf;

static void touch(unsigned long pfn)
{
	u8 byte;

	if (!pfn_valid(pfn) ||
	    copy_from_kernel_nofault(&byte, page_address(pfn_to_page(pfn)), 1))
		atomic_long_inc(&pf.unreadable);
	else
		atomic_long_inc(&pf.touched);
}

/* One chunk of the order; false when the pass has no chunk left. */
static bool run_chunk(const u32 *order, unsigned long len)
{
	unsigned long chunk = atomic_long_fetch_add(1, &pf.next_chunk);
	unsigned long first = chunk * CHUNK_PAGES, last, i;
	unsigned int c;

	if (first >= len)
		return false;
	last = min(first + CHUNK_PAGES, len);
	for (i = first; i < last; i++) {
		if (cvn_page_is_free(order[i]))
			atomic_long_inc(&pf.skipped_free);
		else
			touch(order[i]);
	}
	for (c = 0; c < CVN_NR_CATEGORIES; c++) {
		if (pf.category_end[c] > first && pf.category_end[c] <= last)
			pf.category_done_ns[c] = ktime_get_ns();
	}
	return true;
}

static int prefetch_thread(void *arg)
{
	const u32 *order = cvn_snap.order; /* a snapshot stops the threads before replacing it */
	unsigned int seen = 0;

	while (!kthread_should_stop()) {
		unsigned int pass;

		wait_event_interruptible(pf.wq, READ_ONCE(pf.pass) != seen || kthread_should_stop());
		pass = READ_ONCE(pf.pass);
		if (pass == seen)
			continue;
		seen = pass;
		while (!kthread_should_stop() && READ_ONCE(pf.pass) == pass &&
		       run_chunk(order, pf.order_len))
			cond_resched();
		if (READ_ONCE(pf.pass) == pass &&
		    atomic_inc_return(&pf.finished) == (int)pf.streams)
			pf.end_ns = ktime_get_ns();
	}
	return 0;
}

bool cvn_prefetch_running(void)
{
	return pf.streams && pf.pass && atomic_read(&pf.finished) < (int)pf.streams;
}

void cvn_prefetch_stop(void)
{
	unsigned int i;

	for (i = 0; i < pf.streams; i++) {
		if (pf.threads[i]) {
			kthread_stop(pf.threads[i]);
			put_task_struct(pf.threads[i]);
			pf.threads[i] = NULL;
		}
	}
	pf.streams = 0;
	pf.pass = 0;
}

/* With cvn_lock held: the threads, waiting for cvn_prefetch_start. */
int cvn_prefetch_prepare(void)
{
	unsigned int streams = cvn_prefetch_streams, i;

	if (!cvn_snap.order || !cvn_snap.generation)
		return -ENODATA; /* no snapshot yet */
	cvn_prefetch_stop();
	if (!streams)
		streams = min(num_online_cpus(), 4U);
	streams = clamp(streams, 1U, (unsigned int)MAX_STREAMS);
	init_waitqueue_head(&pf.wq);
	for (i = 0; i < streams; i++) {
		struct task_struct *t = kthread_create(prefetch_thread, NULL, "cvn_prefetch/%u", i);

		if (IS_ERR(t))
			break; /* the threads created so far do the work */
		get_task_struct(t);
		set_user_nice(t, clamp(cvn_prefetch_nice, MIN_NICE, MAX_NICE));
		pf.threads[i] = t;
		pf.streams = i + 1;
		wake_up_process(t); /* to wait in prefetch_thread */
	}
	return pf.streams ? 0 : -ENOMEM;
}

/* With cvn_lock held. A new pass from the start of the order, with the waiting threads if there
 * are some (a pass under way starts over: the pages it touched are present, so going over
 * them again is quick). */
int cvn_prefetch_start(void)
{
	unsigned int c;
	unsigned long idx;
	int err;

	if (!pf.streams) {
		err = cvn_prefetch_prepare();
		if (err)
			return err;
	}
	pf.order_len = cvn_snap.order_len;
	pf.generation = cvn_snap.generation;
	atomic_long_set(&pf.touched, 0);
	atomic_long_set(&pf.skipped_free, 0);
	atomic_long_set(&pf.unreadable, 0);
	for (c = 0, idx = 0; c < CVN_NR_CATEGORIES; c++) {
		if (cvn_prefetches_category(c))
			idx += cvn_snap.pages[c];
		pf.category_end[c] = (cvn_prefetches_category(c) && cvn_snap.pages[c]) ? idx : 0;
		pf.category_done_ns[c] = 0;
	}
	pf.start_ns = ktime_get_ns();
	pf.end_ns = 0;
	pf.runs++;
	atomic_set(&pf.finished, 0);
	atomic_long_set(&pf.next_chunk, 0);
	WRITE_ONCE(pf.pass, pf.pass + 1);
	wake_up_all(&pf.wq);
	return 0;
}

static long ms_since_start(u64 ns)
{
	return ns ? (long)div_u64(ns - pf.start_ns, NSEC_PER_MSEC) : -1;
}

int cvn_prefetch_stats(char *buf, size_t size)
{
	int n, c;
	const char *state = !pf.runs ? "idle" : cvn_prefetch_running() ? "running" : "done";

	n = scnprintf(buf, size,
		      "prefetch_state %s\nprefetch_runs %u\nprefetch_generation %llu\n"
		      "prefetch_started_at_ms %llu\n"
		      "prefetch_streams %u\nprefetch_order %lu\nprefetch_touched %ld\n"
		      "prefetch_skipped_free %ld\nprefetch_unreadable %ld\nprefetch_ms %ld\n"
		      "prefetch_category_done_ms",
		      state, pf.runs, pf.generation, div_u64(pf.start_ns, NSEC_PER_MSEC), pf.streams,
		      pf.order_len,
		      atomic_long_read(&pf.touched), atomic_long_read(&pf.skipped_free),
		      atomic_long_read(&pf.unreadable),
		      pf.runs ? ms_since_start(pf.end_ns ? pf.end_ns : ktime_get_ns()) : -1L);
	for (c = 0; c < CVN_NR_CATEGORIES; c++)
		n += scnprintf(buf + n, size - n, " %ld", ms_since_start(pf.category_done_ns[c]));
	n += scnprintf(buf + n, size - n, "\n");
	return n;
}
