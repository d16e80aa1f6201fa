// SPDX-License-Identifier: GPL-2.0
/*
 * convoy_enlight: module parameters and the /proc/convoy_enlight interface.
 *
 *   control   (write) "snapshot": resync the free bitmap, classify every
 *                     frame, build the prefetch order and the encoded blob;
 *                     "prefetch": start the prefetch threads on the last
 *                     snapshot; "stop": stop them; "arm FD SECONDS": start
 *                     the prefetch when the host side of the writer's
 *                     virtio-serial port FD hangs up (trigger.c);
 *                     "disarm"; "hangup": the writer saw that hangup;
 *                     "track on|off": the free bitmap's probes; "bench N":
 *                     N page allocations and frees, timed (the probes' cost)
 *   snapshot  (read)  the encoded enlightenment of the last snapshot (format.h)
 *   stats     (read)  text, one "key value..." per line
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/proc_fs.h>
#include <linux/sched/prio.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "convoy_enlight.h"

unsigned int cvn_active_window_s = 16;
module_param_named(active_window_s, cvn_active_window_s, uint, 0644);
MODULE_PARM_DESC(active_window_s, "a process that ran in this many seconds is active (16)");

unsigned int cvn_prefetch_streams;
module_param_named(prefetch_streams, cvn_prefetch_streams, uint, 0644);
MODULE_PARM_DESC(prefetch_streams, "prefetch threads; 0: one per online CPU, at most 4");

int cvn_prefetch_nice = MAX_NICE;
module_param_named(prefetch_nice, cvn_prefetch_nice, int, 0644);
MODULE_PARM_DESC(prefetch_nice, "nice of the prefetch threads, -20 (before the workload) .. 19 (19)");

unsigned int cvn_prefetch_min_category;
module_param_named(prefetch_min_category, cvn_prefetch_min_category, uint, 0644);
MODULE_PARM_DESC(prefetch_min_category, "prefetch from this category (0, Kernel) on");

unsigned int cvn_prefetch_max_category = CVN_CAT_FILE_ACTIVE;
module_param_named(prefetch_max_category, cvn_prefetch_max_category, uint, 0644);
MODULE_PARM_DESC(prefetch_max_category, "prefetch up to this category (6, File_Active)");

bool cvn_track_free = true;
module_param_named(track_free, cvn_track_free, bool, 0444);
MODULE_PARM_DESC(track_free, "keep the free bitmap current with allocator tracepoints (1)");

DEFINE_MUTEX(cvn_lock);
struct cvn_snapshot cvn_snap;
static struct proc_dir_entry *dir;
static u64 bench_ns_per_pair, bench_pairs;
static bool bench_tracking;

static const char *const category_names[CVN_NR_CATEGORIES] = {
	"kernel",    "kernel_allocated", "memory_io",     "page_table", "user_code",
	"user_data", "file_active",      "file_inactive", "other",
};

static ssize_t control_write(struct file *file, const char __user *ubuf, size_t count,
			     loff_t *ppos)
{
	char cmd[64];
	size_t n = min(count, sizeof(cmd) - 1);
	unsigned int fd, seconds;
	unsigned long pairs;
	char on[4];
	int err;

	if (copy_from_user(cmd, ubuf, n))
		return -EFAULT;
	cmd[n] = '\0';
	strim(cmd);
	mutex_lock(&cvn_lock);
	if (!strcmp(cmd, "snapshot")) {
		cvn_trigger_disarm();
		cvn_prefetch_stop(); /* it reads the order a snapshot replaces */
		err = cvn_snapshot_build();
	} else if (sscanf(cmd, "arm %u %u", &fd, &seconds) == 2) {
		err = cvn_trigger_arm(fd, seconds);
	} else if (!strcmp(cmd, "disarm")) {
		cvn_trigger_disarm();
		err = 0;
	} else if (!strcmp(cmd, "hangup")) {
		err = cvn_trigger_hangup();
	} else if (sscanf(cmd, "track %3s", on) == 1 && (!strcmp(on, "on") || !strcmp(on, "off"))) {
		err = cvn_freemap_track(!strcmp(on, "on"));
	} else if (sscanf(cmd, "bench %lu", &pairs) == 1 && pairs > 0 && pairs <= 100000000) {
		bench_tracking = cvn_freemap_tracking();
		bench_pairs = pairs;
		bench_ns_per_pair = cvn_freemap_bench(pairs);
		err = 0;
	} else if (!strcmp(cmd, "prefetch")) {
		err = cvn_prefetch_start();
	} else if (!strcmp(cmd, "stop")) {
		cvn_prefetch_stop();
		err = 0;
	} else {
		err = -EINVAL;
	}
	mutex_unlock(&cvn_lock);
	return err ? err : count;
}

static ssize_t snapshot_read(struct file *file, char __user *ubuf, size_t count, loff_t *ppos)
{
	ssize_t n;

	mutex_lock(&cvn_lock);
	n = cvn_snap.blob ? simple_read_from_buffer(ubuf, count, ppos, cvn_snap.blob,
						    cvn_snap.blob_len) :
			    -ENODATA;
	mutex_unlock(&cvn_lock);
	return n;
}

#define STATS_BYTES 2048

static ssize_t stats_read(struct file *file, char __user *ubuf, size_t count, loff_t *ppos)
{
	char *buf = kmalloc(STATS_BYTES, GFP_KERNEL);
	ssize_t n = 0;
	int c;

	if (!buf)
		return -ENOMEM;
	mutex_lock(&cvn_lock);
	n += scnprintf(buf + n, STATS_BYTES - n,
		       "version %d\npage_size %lu\npage_count %lu\nfree_pages %lu\n"
		       "free_events %llu\ntrack_free %d\nactive_window_s %u\ngeneration %llu\n"
		       "bench_pairs %llu\nbench_tracking %d\nbench_ns_per_pair %llu\n"
		       "snapshot_build_us %u\nsnapshot_free_pages %lu\nsnapshot_active_mms %lu\n"
		       "snapshot_active %s\nsnapshot_bytes %zu\nkernel_allocated_reserved %llu\n"
		       "kernel_allocated_slab %llu\nkernel_allocated_other %llu\n",
		       CVN_VERSION, PAGE_SIZE, cvn_page_count, cvn_free_pages(),
		       cvn_freemap_events(), cvn_freemap_tracking(), cvn_active_window_s,
		       cvn_snap.generation, bench_pairs, bench_tracking, bench_ns_per_pair, cvn_snap.build_us, cvn_snap.free_pages,
		       cvn_snap.active_mms, cvn_snap.active_names, cvn_snap.blob_len,
		       cvn_snap.ka_reserved, cvn_snap.ka_slab, cvn_snap.ka_other);
	for (c = 0; c < CVN_NR_CATEGORIES; c++)
		n += scnprintf(buf + n, STATS_BYTES - n, "pages_%s %llu\n", category_names[c],
			       cvn_snap.pages[c]);
	n += cvn_prefetch_stats(buf + n, STATS_BYTES - n);
	n += cvn_trigger_stats(buf + n, STATS_BYTES - n);
	mutex_unlock(&cvn_lock);
	n = simple_read_from_buffer(ubuf, count, ppos, buf, n);
	kfree(buf);
	return n;
}

static const struct proc_ops control_ops = { .proc_write = control_write };
static const struct proc_ops snapshot_ops = { .proc_read = snapshot_read,
					      .proc_lseek = default_llseek };
static const struct proc_ops stats_ops = { .proc_read = stats_read,
					   .proc_lseek = default_llseek };

static int __init cvn_init(void)
{
	int err = cvn_freemap_init();

	if (err)
		return err;
	dir = proc_mkdir("convoy_enlight", NULL);
	if (!dir || !proc_create("control", 0200, dir, &control_ops) ||
	    !proc_create("snapshot", 0400, dir, &snapshot_ops) ||
	    !proc_create("stats", 0444, dir, &stats_ops)) {
		proc_remove(dir);
		cvn_freemap_exit();
		return -ENOMEM;
	}
	pr_info("convoy_enlight: %lu frames, %lu free, free tracking %s\n", cvn_page_count,
		cvn_free_pages(), cvn_freemap_tracking() ? "on" : "off");
	return 0;
}

static void __exit cvn_exit(void)
{
	proc_remove(dir);
	mutex_lock(&cvn_lock);
	cvn_trigger_disarm();
	cvn_prefetch_stop();
	cvn_snapshot_free();
	mutex_unlock(&cvn_lock);
	cvn_freemap_exit();
}

module_init(cvn_init);
module_exit(cvn_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Convoy enlightened post-copy: free and priority bitmaps, guest-side prefetch");
MODULE_AUTHOR("Convoy");
