// SPDX-License-Identifier: GPL-2.0
/*
 * The priority snapshot: every frame gets the highest of the Table 1
 * categories it belongs to.
 *
 *   Kernel            the kernel's executable code and its read-only data
 *                     (the "Kernel code" and "Kernel rodata" resources)
 *   Kernel_Allocated  the kernel's data and bss, what was reserved at boot
 *                     (memblock), slab, and any other allocated page without
 *                     a user mapping or a file (vmalloc, stacks, buffers,
 *                     kernel page tables)
 *   Memory_I/O        RAM the firmware reserved (ACPI, BIOS areas) and frames
 *                     an active process maps as I/O (VM_IO, VM_PFNMAP)
 *   Page_Table        the page-table pages of an active process
 *   User_Code         frames an active process maps executable
 *   User_Data         frames an active process maps not executable
 *   File_Active       page cache on the active LRU list
 *   File_Inactive     other page cache
 *   Other             anything else allocated (anonymous memory and page
 *                     tables of inactive processes, balloon pages, ...)
 *   none (255)        free frames and frames that are not RAM
 *
 * A process is active when one of its threads is runnable or last ran at most
 * active_window_s seconds ago (sched_info.last_arrival). Reading page flags
 * and page tables races with the rest of the kernel by design: the result is a
 * hint for the order in which memory is moved, never used for correctness.
 */
#include <linux/bitmap.h>
#include <linux/ioport.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/page-flags.h>
#include <linux/pgtable.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <linux/vmstat.h>

#include <asm/pgalloc.h>

#include "convoy_enlight.h"

#ifndef PGD_ALLOCATION_ORDER
#define PGD_ALLOCATION_ORDER 0
#endif

#define MAX_ACTIVE_MMS 4096

static u8 *cat; /* cvn_snap.category while building */

static inline void raise_to(unsigned long pfn, u8 c)
{
	if (pfn < cvn_page_count && c < cat[pfn])
		cat[pfn] = c;
}

static inline void raise_range(unsigned long pfn, unsigned long n, u8 c)
{
	for (; n; n--, pfn++)
		raise_to(pfn, c);
}

static u8 classify_frame(unsigned long pfn)
{
	struct page *page, *head;

	if (test_bit(pfn, cvn_snap.free) || !pfn_valid(pfn))
		return CVN_CAT_NONE;
	page = pfn_to_page(pfn);
	if (PageReserved(page)) {
		cvn_snap.ka_reserved++;
		return CVN_CAT_KERNEL_ALLOCATED;
	}
	if (PageBuddy(page))
		return CVN_CAT_NONE; /* freed since the bitmap was read */
	head = compound_head(page);
	if (PageTable(page))
		return CVN_CAT_OTHER; /* user page tables: Page_Table if an active process owns them */
	if (PageSlab(head)) {
		cvn_snap.ka_slab++;
		return CVN_CAT_KERNEL_ALLOCATED;
	}
	if (PageAnon(head) || __PageMovable(head))
		return CVN_CAT_OTHER;
	if (READ_ONCE(head->mapping) || PageLRU(head))
		return PageActive(head) ? CVN_CAT_FILE_ACTIVE : CVN_CAT_FILE_INACTIVE;
	if (!page_ref_count(head))
		return CVN_CAT_OTHER; /* on its way to or from a free list */
	cvn_snap.ka_other++;
	return CVN_CAT_KERNEL_ALLOCATED;
}

void cvn_layout_read(struct cvn_layout *layout)
{
	const unsigned long limit = cvn_page_count;
	struct resource *r, *c;

	memset(layout, 0, sizeof(*layout));
	/* resource_lock is not exported; the tree only changes on hotplug. */
	for (r = iomem_resource.child; r; r = r->sibling) {
		unsigned long first = PHYS_PFN(r->start), last = PHYS_PFN(r->end);
		u8 type;

		if (first >= limit)
			break; /* siblings are sorted */
		if ((r->flags & IORESOURCE_SYSTEM_RAM) == IORESOURCE_SYSTEM_RAM)
			type = CVN_LAYOUT_RAM;
		else if (r->desc == IORES_DESC_RESERVED || r->desc == IORES_DESC_ACPI_TABLES ||
			 r->desc == IORES_DESC_ACPI_NV_STORAGE)
			type = CVN_LAYOUT_RESERVED;
		else
			continue;
		if (last >= limit)
			last = limit - 1;
		if (layout->nr_ram > 0) {
			struct cvn_range *prev = &layout->ram[layout->nr_ram - 1];

			if (first < prev->start_pfn + prev->pages)
				first = prev->start_pfn + prev->pages; /* partial pages at the edges */
			if (first == prev->start_pfn + prev->pages && prev->type == type) {
				if (last >= first)
					prev->pages = last + 1 - prev->start_pfn;
				goto children;
			}
		}
		if (last < first || layout->nr_ram == CVN_MAX_RANGES)
			goto children;
		layout->ram[layout->nr_ram++] = (struct cvn_range){ first, last + 1 - first, type };
children:
		if (type != CVN_LAYOUT_RAM)
			continue;
		for (c = r->child; c; c = c->sibling) {
			if ((strcmp(c->name, "Kernel code") && strcmp(c->name, "Kernel rodata")) ||
			    layout->nr_kernel == ARRAY_SIZE(layout->kernel))
				continue;
			layout->kernel[layout->nr_kernel++] = (struct cvn_range){
				PHYS_PFN(c->start), PHYS_PFN(c->end) + 1 - PHYS_PFN(c->start), CVN_LAYOUT_RAM
			};
		}
	}
}

/* ---- the page tables of one address space ---- */

static inline void mark_table(void *entry)
{
	raise_to(__pa(entry) >> PAGE_SHIFT, CVN_CAT_PAGE_TABLE);
}

static void walk_pte(pmd_t *pmd, unsigned long addr, unsigned long end, u8 c)
{
	pte_t *start = pte_offset_map(pmd, addr), *pte = start;

	mark_table(start);
	for (; addr < end; addr += PAGE_SIZE, pte++) {
		pte_t v = ptep_get(pte);

		if (pte_present(v))
			raise_to(pte_pfn(v), c);
	}
	pte_unmap(start);
}

static void walk_pmd(pud_t *pud, unsigned long addr, unsigned long end, u8 c)
{
	pmd_t *pmd = pmd_offset(pud, addr);
	unsigned long next;

	mark_table(pmd);
	for (; addr < end; addr = next, pmd++) {
		pmd_t v = READ_ONCE(*pmd);

		next = pmd_addr_end(addr, end);
		if (pmd_none(v) || !pmd_present(v))
			continue;
		if (pmd_trans_huge(v) || pmd_leaf(v)) {
			raise_range(pmd_pfn(v) + ((addr & ~PMD_MASK) >> PAGE_SHIFT),
				    (next - addr) >> PAGE_SHIFT, c);
			continue;
		}
		if (pmd_bad(v))
			continue;
		walk_pte(pmd, addr, next, c);
	}
}

static void walk_pud(p4d_t *p4d, unsigned long addr, unsigned long end, u8 c)
{
	pud_t *pud = pud_offset(p4d, addr);
	unsigned long next;

	mark_table(pud);
	for (; addr < end; addr = next, pud++) {
		pud_t v = READ_ONCE(*pud);

		next = pud_addr_end(addr, end);
		if (pud_none(v) || !pud_present(v))
			continue;
		if (pud_leaf(v)) {
			raise_range(pud_pfn(v) + ((addr & ~PUD_MASK) >> PAGE_SHIFT),
				    (next - addr) >> PAGE_SHIFT, c);
			continue;
		}
		if (pud_bad(v))
			continue;
		walk_pmd(pud, addr, next, c);
	}
}

static void walk_p4d(pgd_t *pgd, unsigned long addr, unsigned long end, u8 c)
{
	p4d_t *p4d = p4d_offset(pgd, addr);
	unsigned long next;

	mark_table(p4d);
	for (; addr < end; addr = next, p4d++) {
		next = p4d_addr_end(addr, end);
		if (p4d_none(*p4d) || p4d_bad(*p4d))
			continue;
		walk_pud(p4d, addr, next, c);
	}
}

static void walk_range(struct mm_struct *mm, unsigned long addr, unsigned long end, u8 c)
{
	unsigned long next;

	for (; addr < end; addr = next) {
		pgd_t *pgd = pgd_offset(mm, addr);

		next = pgd_addr_end(addr, end);
		if (pgd_none(*pgd) || pgd_bad(*pgd))
			continue;
		walk_p4d(pgd, addr, next, c);
	}
}

static void walk_mm(struct mm_struct *mm)
{
	struct vm_area_struct *vma;
	unsigned long pgd_pfn;
	VMA_ITERATOR(vmi, mm, 0);

	if (mmap_read_lock_killable(mm))
		return;
	/* The top level: with page-table isolation, two pages (kernel and user copies). */
	pgd_pfn = __pa(mm->pgd) >> PAGE_SHIFT;
	raise_range(pgd_pfn, 1UL << PGD_ALLOCATION_ORDER, CVN_CAT_PAGE_TABLE);
	for_each_vma(vmi, vma) {
		u8 c = (vma->vm_flags & (VM_IO | VM_PFNMAP)) ? CVN_CAT_MEMORY_IO :
		       (vma->vm_flags & VM_EXEC)             ? CVN_CAT_USER_CODE :
								 CVN_CAT_USER_DATA;

		walk_range(mm, vma->vm_start, vma->vm_end, c);
	}
	mmap_read_unlock(mm);
}

static bool thread_active(struct task_struct *t, u64 now_ns, u64 window_ns)
{
	u64 last = READ_ONCE(t->sched_info.last_arrival);

	if (READ_ONCE(t->__state) == TASK_RUNNING)
		return true; /* running or waiting for a CPU */
	return last && (s64)(now_ns - last) <= (s64)window_ns;
}

/* Address spaces of the active processes, each with a reference (mmput). */
static unsigned long active_mms(struct mm_struct **mms, unsigned long max)
{
	const u64 window_ns = (u64)cvn_active_window_s * NSEC_PER_SEC;
	const u64 now_ns = sched_clock_cpu(raw_smp_processor_id());
	struct task_struct *p, *t;
	unsigned long n = 0, i, unique = 0;
	size_t names = 0;

	cvn_snap.active_names[0] = '\0';
	rcu_read_lock();
	for_each_process(p) {
		struct mm_struct *mm = NULL;
		bool active = false;

		if (p->flags & PF_KTHREAD)
			continue;
		for_each_thread(p, t) {
			if (thread_active(t, now_ns, window_ns)) {
				active = true;
				break;
			}
		}
		if (!active)
			continue;
		for_each_thread(p, t) {
			mm = get_task_mm(t);
			if (mm)
				break; /* a zombie leader has no mm; its threads do */
		}
		if (!mm)
			continue;
		names += scnprintf(cvn_snap.active_names + names, sizeof(cvn_snap.active_names) - names,
				   "%s%s/%d", names ? "," : "", p->comm, task_pid_nr(p));
		mms[n++] = mm;
		if (n == max)
			break;
	}
	rcu_read_unlock();
	/* Threads share one mm; CLONE_VM processes too. */
	for (i = 0; i < n; i++) {
		unsigned long j;
		bool seen = false;

		for (j = 0; j < unique && !seen; j++)
			seen = mms[j] == mms[i];
		if (seen)
			mmput(mms[i]);
		else
			mms[unique++] = mms[i];
	}
	return unique;
}

/* Free bits only inside System RAM (the format's rule). */
static void keep_ram_only(const struct cvn_layout *layout)
{
	unsigned long pfn = 0;
	unsigned int r;

	for (r = 0; r <= layout->nr_ram; r++) {
		unsigned long start = r < layout->nr_ram ? layout->ram[r].start_pfn : cvn_page_count;

		if (r < layout->nr_ram && layout->ram[r].type != CVN_LAYOUT_RAM)
			continue;
		if (start > pfn)
			bitmap_clear(cvn_snap.free, pfn, start - pfn);
		if (r < layout->nr_ram)
			pfn = start + layout->ram[r].pages;
	}
}

static void clear_outside_layout(const struct cvn_layout *layout)
{
	unsigned long pfn = 0;
	unsigned int r;

	for (r = 0; r <= layout->nr_ram; r++) {
		unsigned long start = r < layout->nr_ram ? layout->ram[r].start_pfn : cvn_page_count;

		if (start > pfn)
			memset(cat + pfn, CVN_CAT_NONE, start - pfn);
		if (r < layout->nr_ram)
			pfn = start + layout->ram[r].pages;
	}
}

static int build_order(struct cvn_layout *layout)
{
	unsigned long count[CVN_NR_CATEGORIES] = { 0 }, at[CVN_NR_CATEGORIES];
	unsigned long total = 0, pfn, i;
	unsigned int r, c;

	for (r = 0; r < layout->nr_ram; r++) {
		const struct cvn_range *ram = &layout->ram[r];

		if (ram->type != CVN_LAYOUT_RAM)
			continue;
		for (pfn = ram->start_pfn; pfn < ram->start_pfn + ram->pages; pfn++) {
			c = cat[pfn];
			if (cvn_prefetches_category(c))
				count[c]++;
		}
	}
	for (c = 0; c < CVN_NR_CATEGORIES; c++) {
		at[c] = total;
		total += count[c];
	}
	kvfree(cvn_snap.order);
	cvn_snap.order = kvmalloc_array(max(total, 1UL), sizeof(u32), GFP_KERNEL);
	cvn_snap.order_len = 0;
	if (!cvn_snap.order)
		return -ENOMEM;
	for (r = 0; r < layout->nr_ram; r++) {
		const struct cvn_range *ram = &layout->ram[r];

		if (ram->type != CVN_LAYOUT_RAM)
			continue;
		for (pfn = ram->start_pfn; pfn < ram->start_pfn + ram->pages; pfn++) {
			c = cat[pfn];
			if (cvn_prefetches_category(c))
				cvn_snap.order[at[c]++] = (u32)pfn;
		}
	}
	cvn_snap.order_len = total;
	for (i = 0; i < CVN_NR_CATEGORIES; i++)
		cvn_snap.pages[i] = 0;
	for (pfn = 0; pfn < cvn_page_count; pfn++) {
		if (cat[pfn] < CVN_NR_CATEGORIES)
			cvn_snap.pages[cat[pfn]]++;
	}
	return 0;
}

int cvn_snapshot_build(void)
{
	struct cvn_layout *layout;
	struct mm_struct **mms;
	unsigned long n, i, pfn;
	unsigned int r;
	u64 t0 = ktime_get_ns();
	int err;

	layout = kzalloc(sizeof(*layout), GFP_KERNEL);
	mms = kvmalloc_array(MAX_ACTIVE_MMS, sizeof(*mms), GFP_KERNEL);
	if (!cvn_snap.category)
		cvn_snap.category = vmalloc(cvn_page_count);
	if (!cvn_snap.free)
		cvn_snap.free = vzalloc(BITS_TO_LONGS(cvn_page_count) * sizeof(unsigned long));
	if (!layout || !mms || !cvn_snap.category || !cvn_snap.free) {
		err = -ENOMEM;
		goto out;
	}
	cat = cvn_snap.category;
	memset(cat, CVN_CAT_NONE, cvn_page_count);
	cvn_snap.ka_reserved = cvn_snap.ka_slab = cvn_snap.ka_other = 0;
	cvn_freemap_resync();
	cvn_freemap_copy(cvn_snap.free);
	cvn_snap.meminfo_free_pages = global_zone_page_state(NR_FREE_PAGES);
	cvn_layout_read(layout);
	keep_ram_only(layout);
	cvn_snap.free_pages = bitmap_weight(cvn_snap.free, cvn_page_count);

	for (r = 0; r < layout->nr_ram; r++) {
		const struct cvn_range *ram = &layout->ram[r];

		for (pfn = ram->start_pfn; pfn < ram->start_pfn + ram->pages; pfn++) {
			cat[pfn] = ram->type == CVN_LAYOUT_RAM ? classify_frame(pfn) :
								 CVN_CAT_MEMORY_IO;
			if ((pfn & 4095) == 0)
				cond_resched();
		}
	}
	for (r = 0; r < layout->nr_kernel; r++)
		raise_range(layout->kernel[r].start_pfn, layout->kernel[r].pages, CVN_CAT_KERNEL);

	n = active_mms(mms, MAX_ACTIVE_MMS);
	for (i = 0; i < n; i++) {
		walk_mm(mms[i]);
		mmput(mms[i]);
		cond_resched();
	}
	cvn_snap.active_mms = n;
	clear_outside_layout(layout); /* user mappings of non-RAM frames (VGA, BARs) */

	err = build_order(layout);
	if (err)
		goto out;
	cvn_snap.generation++;
	cvn_snap.generated_unix_ns = ktime_get_real_ns();
	cvn_snap.build_us = (u32)div_u64(ktime_get_ns() - t0, NSEC_PER_USEC);
	err = cvn_encode(layout);
out:
	kvfree(mms);
	kfree(layout);
	return err;
}

void cvn_snapshot_free(void)
{
	vfree(cvn_snap.category);
	vfree(cvn_snap.free);
	kvfree(cvn_snap.order);
	kvfree(cvn_snap.blob);
	memset(&cvn_snap, 0, sizeof(cvn_snap));
}
