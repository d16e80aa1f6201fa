/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The enlightenment wire format, version 1 (docs/guest-module.md is the
 * reference; the host's parser is src/enlight/). Little-endian throughout.
 *
 * Header, 80 bytes:
 *   0  u8[4] magic "CVEN"
 *   4  u16   version (1)
 *   6  u16   header_bytes (80)
 *   8  u32   page_size
 *  12  u32   flags (CVN_FLAG_*)
 *  16  u64   page_count: frames 0 .. page_count-1 are described
 *  24  u64   generation (1, 2, ... one per snapshot since the module loaded)
 *  32  u64   generated_unix_ns (guest CLOCK_REALTIME)
 *  40  u64   total_bytes (header and payload)
 *  48  u32   active_window_s
 *  52  u32   build_us (time the guest spent building the snapshot)
 *  56  u32   layout_count
 *  60  u32   free_run_count
 *  64  u32   priority_run_count
 *  68  u32   category_count (9)
 *  72  u32   meminfo_free_pages (the kernel's NR_FREE_PAGES, MemFree, at the snapshot)
 *  76  u32   crc32 (IEEE 802.3, as zlib) of total_bytes with this field zero
 * Payload, in this order (varint = unsigned LEB128, shortest form):
 *   layout_count x   { varint start_pfn - end of previous entry, varint pages >= 1, u8 type }
 *   free_run_count x { varint gap from end of previous run (>= 1 after the
 *     first), varint pages >= 1 }, each inside one CVN_LAYOUT_RAM range
 *   priority_run_count x { varint pages >= 1, u8 category }, consecutive from
 *     frame 0, adjacent runs of different categories, summing to page_count;
 *     frames outside the layout are CVN_CAT_NONE.
 */
#ifndef CONVOY_ENLIGHT_FORMAT_H
#define CONVOY_ENLIGHT_FORMAT_H

#define CVN_MAGIC "CVEN"
#define CVN_VERSION 1
#define CVN_HEADER_BYTES 80

#define CVN_FLAG_PRIORITIES 0x1 /* priority runs are present */
#define CVN_FLAG_FREE_LIVE 0x2  /* the free bitmap is kept current by tracepoints */

#define CVN_LAYOUT_RAM 1      /* System RAM, managed by the kernel */
#define CVN_LAYOUT_RESERVED 2 /* RAM-backed but reserved by firmware (ACPI, BIOS) */

/* Table 1 of seed 003, highest priority first. */
enum cvn_category {
	CVN_CAT_KERNEL = 0,
	CVN_CAT_KERNEL_ALLOCATED = 1,
	CVN_CAT_MEMORY_IO = 2,
	CVN_CAT_PAGE_TABLE = 3,
	CVN_CAT_USER_CODE = 4,
	CVN_CAT_USER_DATA = 5,
	CVN_CAT_FILE_ACTIVE = 6,
	CVN_CAT_FILE_INACTIVE = 7,
	CVN_CAT_OTHER = 8,
	CVN_NR_CATEGORIES = 9,
	CVN_CAT_NONE = 255, /* free, or not RAM: nothing to move */
};

#endif /* CONVOY_ENLIGHT_FORMAT_H */
