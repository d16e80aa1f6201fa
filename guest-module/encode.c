// SPDX-License-Identifier: GPL-2.0
/*
 * Encodes the snapshot in the wire format of format.h: a header, the guest's
 * physical layout, the free frames and the priority of every frame, as runs.
 * Two passes over the same data (the snapshot's copy of the free bitmap and
 * its category array): one to size the buffer, one to fill it.
 */
#include <linux/bitmap.h>
#include <linux/crc32.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "convoy_enlight.h"

struct writer {
	u8 *buf; /* NULL: only count */
	size_t len;
};

static void put_u8(struct writer *w, u8 v)
{
	if (w->buf)
		w->buf[w->len] = v;
	w->len++;
}

static void put_varint(struct writer *w, u64 v)
{
	do {
		u8 b = v & 0x7f;

		v >>= 7;
		put_u8(w, v ? b | 0x80 : b);
	} while (v);
}

static void put_le(u8 *at, u64 v, int bytes)
{
	int i;

	for (i = 0; i < bytes; i++)
		at[i] = (u8)(v >> (8 * i));
}

struct counts {
	u32 layout, free, priority;
};

static void write_payload(struct writer *w, const struct cvn_layout *layout, struct counts *n)
{
	const unsigned long *free = cvn_snap.free;
	const u8 *cat = cvn_snap.category;
	unsigned long end = 0, pfn, run;
	unsigned int r;

	memset(n, 0, sizeof(*n));
	for (r = 0; r < layout->nr_ram; r++) {
		put_varint(w, layout->ram[r].start_pfn - end);
		put_varint(w, layout->ram[r].pages);
		put_u8(w, layout->ram[r].type);
		end = layout->ram[r].start_pfn + layout->ram[r].pages;
		n->layout++;
	}
	end = 0;
	for (pfn = find_next_bit(free, cvn_page_count, 0); pfn < cvn_page_count;
	     pfn = find_next_bit(free, cvn_page_count, pfn)) {
		unsigned long stop = find_next_zero_bit(free, cvn_page_count, pfn);

		put_varint(w, pfn - end);
		put_varint(w, stop - pfn);
		end = stop;
		pfn = stop;
		n->free++;
	}
	for (pfn = 0; pfn < cvn_page_count; pfn += run) {
		for (run = 1; pfn + run < cvn_page_count && cat[pfn + run] == cat[pfn]; run++)
			;
		put_varint(w, run);
		put_u8(w, cat[pfn]);
		n->priority++;
	}
}

int cvn_encode(const struct cvn_layout *layout)
{
	struct writer w = { NULL, CVN_HEADER_BYTES };
	struct counts n;
	u8 *h;
	u32 crc;

	write_payload(&w, layout, &n);
	kvfree(cvn_snap.blob);
	cvn_snap.blob_len = 0;
	cvn_snap.blob = kvzalloc(w.len, GFP_KERNEL);
	if (!cvn_snap.blob)
		return -ENOMEM;
	h = cvn_snap.blob;
	w.buf = h;
	w.len = CVN_HEADER_BYTES;
	write_payload(&w, layout, &n);

	memcpy(h, CVN_MAGIC, 4);
	put_le(h + 4, CVN_VERSION, 2);
	put_le(h + 6, CVN_HEADER_BYTES, 2);
	put_le(h + 8, PAGE_SIZE, 4);
	put_le(h + 12, CVN_FLAG_PRIORITIES | (cvn_freemap_tracking() ? CVN_FLAG_FREE_LIVE : 0), 4);
	put_le(h + 16, cvn_page_count, 8);
	put_le(h + 24, cvn_snap.generation, 8);
	put_le(h + 32, cvn_snap.generated_unix_ns, 8);
	put_le(h + 40, w.len, 8);
	put_le(h + 48, cvn_active_window_s, 4);
	put_le(h + 52, cvn_snap.build_us, 4);
	put_le(h + 56, n.layout, 4);
	put_le(h + 60, n.free, 4);
	put_le(h + 64, n.priority, 4);
	put_le(h + 68, CVN_NR_CATEGORIES, 4);
	put_le(h + 72, min_t(unsigned long, cvn_snap.meminfo_free_pages, U32_MAX), 4);
	put_le(h + 76, 0, 4);
	crc = crc32_le(~0U, h, w.len) ^ ~0U;
	put_le(h + 76, crc, 4);
	cvn_snap.blob_len = w.len;
	return 0;
}
