/* SPDX-License-Identifier: GPL-2.0 */
/*
 * convoy_enlight: the guest side of Convoy's enlightened post-copy (seed 003,
 * Abe et al.). Internal header shared by the module's files.
 *
 * What the module keeps:
 *  - the free bitmap, one bit per guest frame, set while the page is not
 *    allocated (in the buddy allocator or on a per-CPU free list). Kept current
 *    by probes on the mm_page_alloc and mm_page_free tracepoints, resynced from
 *    the buddy free lists when a snapshot is taken;
 *  - on request (a snapshot), the priority of every frame (Table 1 of the
 *    paper, enum cvn_category), the prefetch order (frames sorted by category,
 *    then by frame number) and the encoded enlightenment (format.h).
 * What it does on request: touch the frames of the prefetch order, highest
 * category first, from a few kernel threads, skipping frames that are free at
 * that moment (prefetch.c). Run right after the VM resumes on the destination
 * of a post-copy migration, this makes QEMU fetch those pages first.
 */
#ifndef CONVOY_ENLIGHT_H
#define CONVOY_ENLIGHT_H

#include <linux/mutex.h>
#include <linux/types.h>

#include "format.h"

/* Module parameters (main.c). */
extern unsigned int cvn_active_window_s;
extern unsigned int cvn_prefetch_streams;
extern unsigned int cvn_prefetch_min_category;
extern unsigned int cvn_prefetch_max_category;
extern int cvn_prefetch_nice;
extern bool cvn_track_free;

/* Whether the prefetch order holds the frames of category c: those from prefetch_min_category to
 * prefetch_max_category, never Memory_I/O (device memory). */
static inline bool cvn_prefetches_category(unsigned int c)
{
	return c >= cvn_prefetch_min_category && c <= cvn_prefetch_max_category &&
	       c <= CVN_CAT_OTHER && c != CVN_CAT_MEMORY_IO;
}

/* One physical range as the kernel's resource tree describes it. */
struct cvn_range {
	unsigned long start_pfn;
	unsigned long pages;
	u8 type; /* CVN_LAYOUT_* */
};

#define CVN_MAX_RANGES 64

struct cvn_layout {
	struct cvn_range ram[CVN_MAX_RANGES]; /* System RAM and firmware-reserved RAM */
	unsigned int nr_ram;
	struct cvn_range kernel[8]; /* Kernel code and rodata */
	unsigned int nr_kernel;
};

/* The result of the last snapshot; protected by cvn_lock. */
struct cvn_snapshot {
	u64 generation;
	u64 generated_unix_ns;
	u32 build_us;
	u8 *category;         /* one byte per frame, CVN_CAT_* or CVN_CAT_NONE */
	u32 *order;           /* frames to prefetch, highest category first */
	unsigned long order_len;
	u64 pages[CVN_NR_CATEGORIES];
	unsigned long *free;      /* copy of the free bitmap taken for the snapshot */
	unsigned long free_pages; /* its weight */
	unsigned long meminfo_free_pages; /* NR_FREE_PAGES when the bitmap was copied */
	unsigned long active_mms; /* address spaces of active processes walked */
	char active_names[256];   /* "comm/pid" of the first active processes */
	/* why frames were Kernel_Allocated before the raises: reserved at boot,
	 * slab, anything else */
	u64 ka_reserved, ka_slab, ka_other;
	void *blob;               /* the encoded enlightenment */
	size_t blob_len;
};

extern struct mutex cvn_lock;
extern struct cvn_snapshot cvn_snap;
extern unsigned long cvn_page_count; /* frames 0 .. cvn_page_count - 1 */

/* freemap.c */
int cvn_freemap_init(void);
void cvn_freemap_exit(void);
void cvn_freemap_resync(void);
bool cvn_page_is_free(unsigned long pfn); /* the live bitmap */
unsigned long cvn_free_pages(void);
void cvn_freemap_copy(unsigned long *to); /* BITS_TO_LONGS(cvn_page_count) words */
u64 cvn_freemap_events(void);
int cvn_freemap_track(bool on);
bool cvn_freemap_tracking(void);
u64 cvn_freemap_bench(unsigned long pairs);

/* classify.c: builds cvn_snap (with cvn_lock held). */
int cvn_snapshot_build(void);
void cvn_snapshot_free(void);
void cvn_layout_read(struct cvn_layout *layout);

/* encode.c */
int cvn_encode(const struct cvn_layout *layout);

/* trigger.c (all with cvn_lock held) */
int cvn_trigger_arm(int fd, unsigned int seconds);
void cvn_trigger_disarm(void);
int cvn_trigger_hangup(void);
int cvn_trigger_stats(char *buf, size_t size);

/* prefetch.c (all with cvn_lock held) */
int cvn_prefetch_prepare(void);
int cvn_prefetch_start(void);
void cvn_prefetch_stop(void);
bool cvn_prefetch_running(void);
int cvn_prefetch_stats(char *buf, size_t size);

#endif /* CONVOY_ENLIGHT_H */
