// A guest's enlightenment (seed 003): which of its frames are free and the priority of every
// frame, as the guest module convoy_enlight reports them (guest-module/, the wire format in
// docs/guest-module.md). Pure: parsing, encoding and summarising bytes, no I/O.
//
// Parse is the only door for bytes that come from a guest, which the host must not trust: it
// checks every field, count, run and the CRC, bounds every allocation by the input's size, and
// answers a specific error instead of a partial result.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "convoy/common/status.h"

namespace convoy::enlight {

// Table 1 of seed 003, highest priority first. A frame in several categories has the highest.
enum Category : uint8_t {
  kKernel = 0,
  kKernelAllocated = 1,
  kMemoryIo = 2,
  kPageTable = 3,
  kUserCode = 4,
  kUserData = 5,
  kFileActive = 6,
  kFileInactive = 7,
  kOther = 8,
};
inline constexpr int kCategoryCount = 9;
// The priority of a frame that is free or not RAM: nothing to move.
inline constexpr uint8_t kNoCategory = 255;
// The categories that make the working set: the kernel and the active processes.
inline constexpr uint8_t kWorkingSetLast = kUserData;

// "kernel", "kernel_allocated", "memory_io", "page_table", "user_code", "user_data",
// "file_active", "file_inactive", "other"; "none" for kNoCategory; "invalid" otherwise.
std::string_view CategoryName(uint8_t category);

inline constexpr char kMagic[4] = {'C', 'V', 'E', 'N'};
inline constexpr uint16_t kVersion = 1;
inline constexpr uint16_t kHeaderBytes = 80;
inline constexpr uint32_t kFlagPriorities = 0x1;  // priority runs are present
inline constexpr uint32_t kFlagFreeLive = 0x2;    // the free bitmap is kept current

// A range of guest-physical frames, as the guest's resource tree describes it.
struct LayoutRange {
  enum Type : uint8_t { kRam = 1, kReserved = 2 };  // System RAM; RAM-backed, firmware's
  uint64_t start_pfn = 0;
  uint64_t pages = 0;
  Type type = kRam;
};

struct FreeRun {
  uint64_t start_pfn = 0;
  uint64_t pages = 0;
};

struct PriorityRun {
  uint64_t start_pfn = 0;
  uint64_t pages = 0;
  uint8_t category = kNoCategory;
};

struct Enlightenment {
  uint16_t version = kVersion;
  uint32_t page_size = 4096;
  uint32_t flags = kFlagPriorities | kFlagFreeLive;
  uint64_t page_count = 0;  // frames 0 .. page_count - 1 are described
  uint64_t generation = 0;  // 1, 2, ... one per snapshot since the module loaded
  uint64_t generated_unix_ns = 0;
  uint32_t active_window_s = 0;
  uint32_t build_us = 0;              // how long the guest took to build it
  uint32_t meminfo_free_pages = 0;    // the guest kernel's own free-page count (MemFree)
  std::vector<LayoutRange> layout;    // ordered, not overlapping
  std::vector<FreeRun> free;          // ordered, not overlapping nor touching, inside RAM ranges
  std::vector<PriorityRun> priority;  // consecutive from frame 0, covering page_count

  // Derived by Parse (and Summarise for a hand-built value): pages per category, free pages.
  std::array<uint64_t, kCategoryCount> category_pages{};
  uint64_t free_pages = 0;

  // The category of frame `pfn` (kNoCategory beyond page_count). O(log runs).
  uint8_t CategoryOf(uint64_t pfn) const;
  bool IsFree(uint64_t pfn) const;
};

struct ParseLimits {
  size_t max_bytes = 64u << 20;          // larger inputs are refused before anything is read
  uint64_t max_page_count = 1ull << 36;  // 256 TiB of 4 KiB pages
};

// Parses and checks the wire format. DATA_LOSS for anything malformed (truncated, bad magic,
// CRC, counts, varints, runs out of range or overlapping, trailing bytes), each with what and
// where; FAILED_PRECONDITION for a well-formed header of a version this code does not read.
StatusOr<Enlightenment> Parse(std::string_view bytes, const ParseLimits& limits = {});

// The canonical encoding of `e` (what the guest module writes): Parse(Encode(e)) == e for any
// value Parse accepts. Derived fields are ignored.
std::string Encode(const Enlightenment& e);

// Fills category_pages and free_pages from the runs.
void Summarise(Enlightenment* e);

// CRC-32 (IEEE 802.3, zlib's crc32).
uint32_t Crc32(std::string_view bytes);

// Sizes in MiB for reports: the working set (categories up to kWorkingSetLast), the free memory
// (free runs), each category, and all RAM described.
struct Summary {
  double working_set_mib = 0;
  double free_mib = 0;
  double ram_mib = 0;
  std::array<double, kCategoryCount> category_mib{};
};
Summary Summarize(const Enlightenment& e);

// Where guest frame `pfn` is in QEMU's main RAM block on the PC machines (pc-i440fx, q35): RAM
// below 4 GiB lives at its own address, RAM above at below_4g_bytes + (address - 4 GiB), where
// below_4g_bytes is how much RAM the machine put below 4 GiB. OUT_OF_RANGE for a frame in the
// hole between below_4g_bytes and 4 GiB.
StatusOr<uint64_t> RamOffset(uint64_t pfn, uint32_t page_size, uint64_t below_4g_bytes);

}  // namespace convoy::enlight
