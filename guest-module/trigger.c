// SPDX-License-Identifier: GPL-2.0
/*
 * The armed trigger: start the prefetch the moment the VM runs on the
 * destination of a post-copy migration.
 *
 * The host's agent stays connected to the guest's virtio-serial port through
 * the switch-over; the destination QEMU, where nobody is connected, then tells
 * the guest that the host side is closed (virtio-serial carries the connection
 * state across a migration), and the port polls EPOLLHUP. The responder in
 * user space (enlightd) hands its port to the module with "arm <fd> <seconds>"
 * and a real-time kernel thread polls it every couple of milliseconds: on the
 * destination it needs a handful of pages to notice, where a user-space waiter
 * would need its whole code path fetched, with the workload competing for the
 * CPU. Polling without a wait queue (vfs_poll with no table) only reads the
 * port's state, so enlightd's own read on the same port is not disturbed.
 *
 * The thread notices the move before the hangup: each round it writes a
 * canary page, so the page is dirty at the switch-over and missing on the
 * destination, and the first read of it there waits for a page fault's round
 * trip to the source (a millisecond at least) where it takes nanoseconds on
 * the source. A canary read slower than SLOW_NS starts the prefetch at once.
 * The hangup always starts a pass from the beginning: a slow read on the
 * source (the host preempted the vCPU in those nanoseconds) may have started
 * one too early, and the pages that pass touched there are not on the
 * destination.
 */
#include <linux/delay.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>

#include "convoy_enlight.h"

#define POLL_US 2000
#define SLOW_NS (500 * NSEC_PER_USEC)

static struct {
	struct task_struct *thread;
	struct file *port;
	u64 deadline_ns;
	u64 armed_ns, fired_ns;
	unsigned int arms, fires;
	bool waiting; /* armed, no hangup seen, deadline not passed */
	const char *reason; /* what fired it first: "slow" or "hangup" */
	u8 *canary;
} tr;

/* With cvn_lock held. A slow round leaves a pass under way alone; the hangup starts over. */
static void fire(const char *reason, bool hangup)
{
	if (hangup)
		tr.waiting = false;
	else if (cvn_prefetch_running())
		return;
	if (cvn_prefetch_start() == 0) {
		if (!tr.fired_ns) {
			tr.fired_ns = ktime_get_ns();
			tr.reason = reason;
		}
		tr.fires++;
	}
}

static int trigger_thread(void *arg)
{
	struct file *port = arg; /* held until the thread is stopped */
	const u64 deadline_ns = tr.deadline_ns;
	u8 *canary = tr.canary;
	bool slow_fired = false;

	while (!kthread_should_stop()) {
		u64 start = ktime_get_ns(), read_ns;
		__poll_t mask;
		u8 seen = READ_ONCE(canary[0]);

		read_ns = ktime_get_ns() - start;
		WRITE_ONCE(canary[0], seen + 1);
		mask = vfs_poll(port, NULL);
		if (mask & EPOLLHUP) {
			mutex_lock(&cvn_lock);
			fire("hangup", true);
			mutex_unlock(&cvn_lock);
			break;
		}
		if (!slow_fired && read_ns > SLOW_NS) {
			slow_fired = true;
			mutex_lock(&cvn_lock);
			fire("slow", false);
			mutex_unlock(&cvn_lock);
		}
		if (ktime_get_ns() > deadline_ns) {
			tr.waiting = false;
			break;
		}
		usleep_range(POLL_US, POLL_US + 500);
	}
	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (!kthread_should_stop())
			schedule();
		__set_current_state(TASK_RUNNING);
	}
	return 0;
}

/* With cvn_lock held. The thread takes cvn_lock when it fires, so it is
 * stopped with the lock released. */
void cvn_trigger_disarm(void)
{
	struct task_struct *t = tr.thread;
	struct file *port = tr.port;

	tr.thread = NULL;
	tr.port = NULL;
	tr.waiting = false;
	if (t) {
		/* It may be waiting for cvn_lock to fire: let it, then stop it. */
		mutex_unlock(&cvn_lock);
		kthread_stop(t);
		put_task_struct(t);
		mutex_lock(&cvn_lock);
	}
	if (port)
		fput(port);
	if (port && !tr.fired_ns)
		cvn_prefetch_stop(); /* the threads prepared for a trigger that never came */
	kfree(tr.canary);
	tr.canary = NULL;
}

/* With cvn_lock held, in the context of the process that owns `fd`. */
int cvn_trigger_arm(int fd, unsigned int seconds)
{
	struct task_struct *t;
	struct file *port;
	int err;

	if (!cvn_snap.generation)
		return -ENODATA; /* nothing to prefetch yet */
	if (seconds == 0 || seconds > 3600)
		return -EINVAL;
	cvn_trigger_disarm();
	port = fget(fd);
	if (!port)
		return -EBADF;
	if (!(vfs_poll(port, NULL) & EPOLLOUT) || (vfs_poll(port, NULL) & EPOLLHUP)) {
		fput(port);
		return -ENOTCONN; /* not a port the host is connected to */
	}
	err = cvn_prefetch_prepare();
	if (err) {
		fput(port);
		return err;
	}
	tr.canary = kzalloc(PAGE_SIZE, GFP_KERNEL);
	if (!tr.canary) {
		fput(port);
		return -ENOMEM;
	}
	tr.port = port;
	tr.deadline_ns = ktime_get_ns() + (u64)seconds * NSEC_PER_SEC;
	t = kthread_create(trigger_thread, port, "cvn_trigger");
	if (IS_ERR(t)) {
		tr.port = NULL;
		fput(port);
		kfree(tr.canary);
		tr.canary = NULL;
		return PTR_ERR(t);
	}
	get_task_struct(t);
	sched_set_fifo_low(t);
	tr.thread = t;
	tr.armed_ns = ktime_get_ns();
	tr.fired_ns = 0;
	tr.reason = "none";
	tr.arms++;
	tr.waiting = true;
	wake_up_process(t);
	return 0;
}

/* With cvn_lock held: the responder saw the hangup too; fires if the thread has not. */
int cvn_trigger_hangup(void)
{
	if (!tr.waiting || ktime_get_ns() > tr.deadline_ns)
		return 0;
	fire("hangup", true);
	return 0;
}

int cvn_trigger_stats(char *buf, size_t size)
{
	return scnprintf(buf, size, "trigger_armed %d\ntrigger_arms %u\ntrigger_fires %u\n"
			 "trigger_reason %s\ntrigger_fired_after_arm_ms %lld\n",
			 tr.waiting, tr.arms, tr.fires, tr.reason ? tr.reason : "none",
			 tr.fired_ns ? (long long)div_u64(tr.fired_ns - tr.armed_ns, NSEC_PER_MSEC) :
				       -1LL);
}
