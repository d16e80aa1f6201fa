// SPDX-License-Identifier: GPL-2.0
/*
 * The free bitmap: bit N set while frame N is not allocated (in the buddy
 * allocator or on a per-CPU free list). Kept current without patching the
 * kernel: probes on the page allocator's own tracepoints (mm_page_alloc when a
 * page is handed out, mm_page_free when it is given back) flip the bits, and a
 * resync from the free lists (under the zone and per-CPU list locks) corrects
 * what the tracepoints cannot see (pages compaction or page reporting take
 * straight off the free lists). The bitmap is advisory: nothing depends on a
 * free bit for correctness, a stale one only makes the prefetcher skip a page
 * that the guest will then fetch on demand.
 */
#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/gfp.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/nodemask.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/vmalloc.h>

#include "convoy_enlight.h"

unsigned long cvn_page_count;
static unsigned long *free_bits;
static struct tracepoint *tp_alloc, *tp_free;
static DEFINE_PER_CPU(u64, free_events);
static bool tracking; /* the probes are registered */

/* Sets (free) or clears the bits of frames [pfn, pfn + n), atomically per word. */
static void mark(unsigned long pfn, unsigned long n, bool free)
{
	if (pfn >= cvn_page_count)
		return;
	if (n > cvn_page_count - pfn)
		n = cvn_page_count - pfn;
	if (n == 1) {
		if (free)
			set_bit(pfn, free_bits);
		else
			clear_bit(pfn, free_bits);
		return;
	}
	while (n) {
		unsigned long off = pfn % BITS_PER_LONG;
		unsigned long bits = min(n, BITS_PER_LONG - off);
		unsigned long mask = bits == BITS_PER_LONG ? ~0UL : ((1UL << bits) - 1) << off;
		atomic_long_t *word = (atomic_long_t *)&free_bits[BIT_WORD(pfn)];

		if (free)
			atomic_long_or(mask, word);
		else
			atomic_long_andnot(mask, word);
		pfn += bits;
		n -= bits;
	}
}

static void probe_alloc(void *data, struct page *page, unsigned int order, gfp_t gfp, int mt)
{
	if (!page)
		return; /* the allocation failed */
	this_cpu_inc(free_events);
	mark(page_to_pfn(page), 1UL << order, false);
}

static void probe_free(void *data, struct page *page, unsigned int order)
{
	this_cpu_inc(free_events);
	mark(page_to_pfn(page), 1UL << order, true);
}

static void find_tracepoint(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "mm_page_alloc"))
		tp_alloc = tp;
	else if (!strcmp(tp->name, "mm_page_free"))
		tp_free = tp;
}

/* Free blocks of one zone, a MAX_ORDER block at a time so that interrupts are
 * not held off for long on a big zone. */
static void resync_zone(struct zone *zone)
{
	unsigned long pfn = zone->zone_start_pfn, end = zone_end_pfn(zone);

	while (pfn < end) {
		unsigned long chunk_end = min(ALIGN(pfn + 1, MAX_ORDER_NR_PAGES), end);
		unsigned long flags;

		spin_lock_irqsave(&zone->lock, flags);
		while (pfn < chunk_end) {
			struct page *page;
			unsigned long order;

			if (!pfn_valid(pfn)) {
				mark(pfn++, 1, false);
				continue;
			}
			page = pfn_to_page(pfn);
			if (!PageBuddy(page)) {
				mark(pfn++, 1, false);
				continue;
			}
			order = page_private(page); /* a free block's order, stable under zone->lock */
			if (order >= MAX_ORDER)
				order = 0;
			mark(pfn, 1UL << order, true);
			pfn += 1UL << order;
		}
		spin_unlock_irqrestore(&zone->lock, flags);
		cond_resched();
	}
}

/* Pages on the per-CPU free lists: free, though not in the buddy lists. */
static void resync_pcp(struct zone *zone)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct per_cpu_pages *pcp = per_cpu_ptr(zone->per_cpu_pageset, cpu);
		unsigned long flags;
		int i;

		spin_lock_irqsave(&pcp->lock, flags);
		for (i = 0; i < NR_PCP_LISTS; i++) {
			unsigned int order =
				i < NR_LOWORDER_PCP_LISTS ? i / MIGRATE_PCPTYPES : pageblock_order;
			struct page *page;

			list_for_each_entry(page, &pcp->lists[i], pcp_list)
				mark(page_to_pfn(page), 1UL << order, true);
		}
		spin_unlock_irqrestore(&pcp->lock, flags);
	}
}

void cvn_freemap_resync(void)
{
	int nid;

	for_each_online_node(nid) {
		pg_data_t *pgdat = NODE_DATA(nid);
		int z;

		for (z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &pgdat->node_zones[z];

			if (!populated_zone(zone))
				continue;
			resync_zone(zone);
			resync_pcp(zone);
		}
	}
}

bool cvn_page_is_free(unsigned long pfn)
{
	return pfn < cvn_page_count && test_bit(pfn, free_bits);
}

unsigned long cvn_free_pages(void)
{
	return bitmap_weight(free_bits, cvn_page_count);
}

void cvn_freemap_copy(unsigned long *to)
{
	unsigned long i;

	for (i = 0; i < BITS_TO_LONGS(cvn_page_count); i++)
		to[i] = READ_ONCE(free_bits[i]);
}

u64 cvn_freemap_events(void)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu(free_events, cpu);
	return sum;
}

/* Registers or unregisters the probes; with them off the bitmap goes stale until a resync. */
int cvn_freemap_track(bool on)
{
	int err;

	if (on == tracking)
		return 0;
	if (!on) {
		tracepoint_probe_unregister(tp_free, probe_free, NULL);
		tracepoint_probe_unregister(tp_alloc, probe_alloc, NULL);
		tracepoint_synchronize_unregister();
		tracking = false;
		return 0;
	}
	if (!tp_alloc || !tp_free) {
		pr_err("convoy_enlight: no mm_page_alloc/mm_page_free tracepoints\n");
		return -ENOENT;
	}
	/* The probes first, then the scan: no change can fall between them. */
	err = tracepoint_probe_register(tp_alloc, probe_alloc, NULL);
	if (err)
		return err;
	err = tracepoint_probe_register(tp_free, probe_free, NULL);
	if (err) {
		tracepoint_probe_unregister(tp_alloc, probe_alloc, NULL);
		tracepoint_synchronize_unregister();
		return err;
	}
	tracking = true;
	cvn_freemap_resync();
	return 0;
}

bool cvn_freemap_tracking(void)
{
	return tracking;
}

int cvn_freemap_init(void)
{
	int nid, err;

	for_each_online_node(nid)
		cvn_page_count = max(cvn_page_count, node_end_pfn(nid));
	if (!cvn_page_count || cvn_page_count > U32_MAX)
		return -EOPNOTSUPP; /* the prefetch order stores frame numbers in 32 bits */
	free_bits = vzalloc(BITS_TO_LONGS(cvn_page_count) * sizeof(unsigned long));
	if (!free_bits)
		return -ENOMEM;
	for_each_kernel_tracepoint(find_tracepoint, NULL);
	err = cvn_freemap_track(cvn_track_free);
	if (err) {
		vfree(free_bits);
		free_bits = NULL;
		return err;
	}
	if (!tracking)
		cvn_freemap_resync();
	return 0;
}

void cvn_freemap_exit(void)
{
	cvn_freemap_track(false);
	vfree(free_bits);
	free_bits = NULL;
}

/* The probes' cost from the inside: `pairs` order-0 allocations and frees, ns per pair. */
u64 cvn_freemap_bench(unsigned long pairs)
{
	u64 start = ktime_get_ns();
	unsigned long i;

	for (i = 0; i < pairs; i++) {
		struct page *page = alloc_page(GFP_KERNEL);

		if (!page)
			break;
		__free_page(page);
		if ((i & 1023) == 1023)
			cond_resched();
	}
	return i ? div_u64(ktime_get_ns() - start, i) : 0;
}
