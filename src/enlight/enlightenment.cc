#include "convoy/enlight/enlightenment.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace convoy::enlight {
namespace {

constexpr double kMiB = 1048576.0;

Status Corrupt(const std::string& what) {
  return absl::DataLossError(absl::StrCat("enlightenment: ", std::string(what)));
}

uint64_t Le(const unsigned char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

void PutLe(std::string* out, size_t at, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) (*out)[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

void PutVarint(std::string* out, uint64_t v) {
  do {
    unsigned char b = v & 0x7f;
    v >>= 7;
    out->push_back(static_cast<char>(v ? (b | 0x80) : b));
  } while (v);
}

// Reads the payload, every read checked against the end.
class Reader {
 public:
  Reader(std::string_view bytes, size_t at) : bytes_(bytes), at_(at) {}
  size_t at() const { return at_; }
  size_t left() const { return bytes_.size() - at_; }

  StatusOr<uint64_t> Varint(const std::string& what) {
    uint64_t v = 0;
    const size_t start = at_;
    for (int i = 0; i < 10; ++i) {
      if (at_ >= bytes_.size()) {
        return Corrupt(absl::StrFormat("truncated in %s at byte %d", what, start));
      }
      const auto b = static_cast<unsigned char>(bytes_[at_++]);
      if (i == 9 && b > 1) {
        return Corrupt(absl::StrFormat("%s at byte %d: varint over 64 bits", what, start));
      }
      v |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
      if ((b & 0x80) == 0) {
        if (b == 0 && i > 0) {
          return Corrupt(
              absl::StrFormat("%s at byte %d: varint not in its shortest form", what, start));
        }
        return v;
      }
    }
    return Corrupt(absl::StrFormat("%s at byte %d: varint longer than 10 bytes", what, start));
  }

  StatusOr<uint8_t> Byte(const std::string& what) {
    if (at_ >= bytes_.size()) {
      return Corrupt(absl::StrFormat("truncated in %s at byte %d", what, at_));
    }
    return static_cast<uint8_t>(bytes_[at_++]);
  }

 private:
  std::string_view bytes_;
  size_t at_;
};

bool InsideRam(const std::vector<LayoutRange>& layout, uint64_t start, uint64_t pages,
               bool ram_only) {
  for (const auto& r : layout) {
    if (ram_only && r.type != LayoutRange::kRam) continue;
    if (start >= r.start_pfn && start + pages <= r.start_pfn + r.pages) return true;
  }
  return false;
}

// Every priority run with a category lies inside layout ranges (RAM or reserved); adjacent
// ranges count as one.
bool CoveredByLayout(const std::vector<LayoutRange>& layout, uint64_t start, uint64_t pages) {
  uint64_t pos = start;
  const uint64_t end = start + pages;
  for (const auto& r : layout) {
    if (r.start_pfn + r.pages <= pos) continue;
    if (r.start_pfn > pos) return false;
    pos = r.start_pfn + r.pages;
    if (pos >= end) return true;
  }
  return false;
}

}  // namespace

std::string_view CategoryName(uint8_t category) {
  static constexpr std::string_view kNames[kCategoryCount] = {
      "kernel",    "kernel_allocated", "memory_io",     "page_table", "user_code",
      "user_data", "file_active",      "file_inactive", "other"};
  if (category < kCategoryCount) return kNames[category];
  return category == kNoCategory ? "none" : "invalid";
}

uint32_t Crc32(std::string_view bytes) {
  static const auto table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t crc = 0xFFFFFFFFu;
  for (char ch : bytes) crc = table[(crc ^ static_cast<unsigned char>(ch)) & 0xff] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

uint8_t Enlightenment::CategoryOf(uint64_t pfn) const {
  if (pfn >= page_count || priority.empty()) return kNoCategory;
  auto it = std::upper_bound(priority.begin(), priority.end(), pfn,
                             [](uint64_t p, const PriorityRun& r) { return p < r.start_pfn; });
  if (it == priority.begin()) return kNoCategory;
  --it;
  return pfn < it->start_pfn + it->pages ? it->category : kNoCategory;
}

bool Enlightenment::IsFree(uint64_t pfn) const {
  auto it = std::upper_bound(free.begin(), free.end(), pfn,
                             [](uint64_t p, const FreeRun& r) { return p < r.start_pfn; });
  if (it == free.begin()) return false;
  --it;
  return pfn < it->start_pfn + it->pages;
}

void Summarise(Enlightenment* e) {
  e->category_pages.fill(0);
  e->free_pages = 0;
  for (const auto& r : e->priority) {
    if (r.category < kCategoryCount) e->category_pages[r.category] += r.pages;
  }
  for (const auto& r : e->free) e->free_pages += r.pages;
}

StatusOr<Enlightenment> Parse(std::string_view bytes, const ParseLimits& limits) {
  if (bytes.size() > limits.max_bytes) {
    return Corrupt(absl::StrFormat("%d bytes, more than the %d this agent accepts", bytes.size(),
                                   limits.max_bytes));
  }
  if (bytes.size() < 8) {
    return Corrupt(absl::StrFormat("truncated: %d bytes, not even a header", bytes.size()));
  }
  const auto* h = reinterpret_cast<const unsigned char*>(bytes.data());
  if (std::memcmp(h, kMagic, 4) != 0) {
    return Corrupt("bad magic: not an enlightenment (expected \"CVEN\")");
  }
  Enlightenment e;
  e.version = static_cast<uint16_t>(Le(h + 4, 2));
  if (e.version != kVersion) {
    return absl::FailedPreconditionError(
        absl::StrFormat("enlightenment: unsupported version %d (this agent reads version %d)",
                        e.version, kVersion));
  }
  const auto header_bytes = Le(h + 6, 2);
  if (header_bytes != kHeaderBytes) {
    return Corrupt(
        absl::StrFormat("header of %d bytes, version 1 has %d", header_bytes, kHeaderBytes));
  }
  if (bytes.size() < kHeaderBytes) {
    return Corrupt(
        absl::StrFormat("truncated: %d bytes, the header needs %d", bytes.size(), kHeaderBytes));
  }
  const uint64_t total_bytes = Le(h + 40, 8);
  if (total_bytes != bytes.size()) {
    return Corrupt(absl::StrFormat("%s: the header says %d bytes, %d arrived",
                                   total_bytes > bytes.size() ? "truncated" : "trailing bytes",
                                   total_bytes, bytes.size()));
  }
  std::string zeroed(bytes);
  PutLe(&zeroed, 76, 0, 4);
  const uint32_t crc = static_cast<uint32_t>(Le(h + 76, 4));
  if (Crc32(zeroed) != crc) {
    return Corrupt(
        absl::StrFormat("CRC mismatch (header %08x, computed %08x)", crc, Crc32(zeroed)));
  }
  e.page_size = static_cast<uint32_t>(Le(h + 8, 4));
  e.flags = static_cast<uint32_t>(Le(h + 12, 4));
  e.page_count = Le(h + 16, 8);
  e.generation = Le(h + 24, 8);
  e.generated_unix_ns = Le(h + 32, 8);
  e.active_window_s = static_cast<uint32_t>(Le(h + 48, 4));
  e.build_us = static_cast<uint32_t>(Le(h + 52, 4));
  const uint64_t layout_count = Le(h + 56, 4);
  const uint64_t free_count = Le(h + 60, 4);
  const uint64_t priority_count = Le(h + 64, 4);
  const uint64_t category_count = Le(h + 68, 4);
  e.meminfo_free_pages = static_cast<uint32_t>(Le(h + 72, 4));
  if (e.page_size != 4096 && e.page_size != 8192 && e.page_size != 16384 && e.page_size != 65536) {
    return Corrupt(absl::StrFormat("page size %d", e.page_size));
  }
  if (e.page_count == 0 || e.page_count > limits.max_page_count) {
    return Corrupt(absl::StrFormat("page count %d (1 to %d)", e.page_count, limits.max_page_count));
  }
  if (e.generation == 0) return Corrupt("generation 0");
  if ((e.flags & ~(kFlagPriorities | kFlagFreeLive)) != 0) {
    return Corrupt(absl::StrFormat("unknown flags %#x", e.flags));
  }
  if (category_count != kCategoryCount) {
    return Corrupt(
        absl::StrFormat("%d categories, version 1 has %d", category_count, kCategoryCount));
  }
  if (((e.flags & kFlagPriorities) != 0) != (priority_count > 0)) {
    return Corrupt("the priorities flag and the priority run count disagree");
  }
  // Each entry takes at least 3, 2 and 2 bytes: counts beyond that cannot be real, and this
  // bounds every allocation below by the input's size.
  const size_t payload = bytes.size() - kHeaderBytes;
  if (layout_count * 3 + free_count * 2 + priority_count * 2 > payload) {
    return Corrupt(
        absl::StrFormat("counts (%d layout, %d free, %d priority) do not fit in a %d-byte payload",
                        layout_count, free_count, priority_count, payload));
  }

  Reader in(bytes, kHeaderBytes);
  e.layout.reserve(layout_count);
  uint64_t end = 0;
  for (uint64_t i = 0; i < layout_count; ++i) {
    const std::string what = absl::StrCat("layout entry ", i);
    CONVOY_ASSIGN_OR_RETURN(uint64_t gap, in.Varint(what));
    CONVOY_ASSIGN_OR_RETURN(uint64_t pages, in.Varint(what));
    CONVOY_ASSIGN_OR_RETURN(uint8_t type, in.Byte(what));
    if (pages == 0 || gap > e.page_count || pages > e.page_count ||
        end + gap + pages > e.page_count) {
      return Corrupt(absl::StrFormat("%s (gap %d, %d pages) beyond the %d frames", what, gap, pages,
                                     e.page_count));
    }
    if (type != LayoutRange::kRam && type != LayoutRange::kReserved) {
      return Corrupt(absl::StrFormat("%s: unknown type %d", what, type));
    }
    e.layout.push_back({end + gap, pages, static_cast<LayoutRange::Type>(type)});
    end += gap + pages;
  }
  e.free.reserve(free_count);
  end = 0;
  for (uint64_t i = 0; i < free_count; ++i) {
    const std::string what = absl::StrCat("free run ", i);
    CONVOY_ASSIGN_OR_RETURN(uint64_t gap, in.Varint(what));
    CONVOY_ASSIGN_OR_RETURN(uint64_t pages, in.Varint(what));
    if (pages == 0 || (i > 0 && gap == 0)) {
      return Corrupt(absl::StrFormat("%s: empty or touching the previous one", what));
    }
    if (gap > e.page_count || pages > e.page_count || end + gap + pages > e.page_count) {
      return Corrupt(absl::StrFormat("%s (gap %d, %d pages) beyond the %d frames", what, gap, pages,
                                     e.page_count));
    }
    const uint64_t start = end + gap;
    if (!InsideRam(e.layout, start, pages, /*ram_only=*/true)) {
      return Corrupt(absl::StrFormat("%s: frames %d..%d are not inside one RAM range", what, start,
                                     start + pages - 1));
    }
    e.free.push_back({start, pages});
    end = start + pages;
  }
  e.priority.reserve(priority_count);
  end = 0;
  for (uint64_t i = 0; i < priority_count; ++i) {
    const std::string what = absl::StrCat("priority run ", i);
    CONVOY_ASSIGN_OR_RETURN(uint64_t pages, in.Varint(what));
    CONVOY_ASSIGN_OR_RETURN(uint8_t category, in.Byte(what));
    if (pages == 0 || pages > e.page_count - end) {
      return Corrupt(absl::StrFormat("%s: %d pages from frame %d, beyond the %d frames", what,
                                     pages, end, e.page_count));
    }
    if (category >= kCategoryCount && category != kNoCategory) {
      return Corrupt(absl::StrFormat("%s: unknown category %d", what, category));
    }
    if (!e.priority.empty() && e.priority.back().category == category) {
      return Corrupt(absl::StrFormat("%s: same category as the previous run", what));
    }
    if (category != kNoCategory && !CoveredByLayout(e.layout, end, pages)) {
      return Corrupt(absl::StrFormat("%s: frames %d..%d are %s but not in the guest's RAM", what,
                                     end, end + pages - 1, std::string(CategoryName(category))));
    }
    e.priority.push_back({end, pages, category});
    end += pages;
  }
  if (priority_count > 0 && end != e.page_count) {
    return Corrupt(absl::StrFormat("priority runs cover %d of the %d frames", end, e.page_count));
  }
  if (in.left() != 0) {
    return Corrupt(absl::StrFormat("%d bytes after the last run", in.left()));
  }
  Summarise(&e);
  return e;
}

std::string Encode(const Enlightenment& e) {
  std::string out(kHeaderBytes, '\0');
  uint64_t end = 0;
  for (const auto& r : e.layout) {
    PutVarint(&out, r.start_pfn - end);
    PutVarint(&out, r.pages);
    out.push_back(static_cast<char>(r.type));
    end = r.start_pfn + r.pages;
  }
  end = 0;
  for (const auto& r : e.free) {
    PutVarint(&out, r.start_pfn - end);
    PutVarint(&out, r.pages);
    end = r.start_pfn + r.pages;
  }
  for (const auto& r : e.priority) {
    PutVarint(&out, r.pages);
    out.push_back(static_cast<char>(r.category));
  }
  std::memcpy(out.data(), kMagic, 4);
  PutLe(&out, 4, e.version, 2);
  PutLe(&out, 6, kHeaderBytes, 2);
  PutLe(&out, 8, e.page_size, 4);
  PutLe(&out, 12, e.flags, 4);
  PutLe(&out, 16, e.page_count, 8);
  PutLe(&out, 24, e.generation, 8);
  PutLe(&out, 32, e.generated_unix_ns, 8);
  PutLe(&out, 40, out.size(), 8);
  PutLe(&out, 48, e.active_window_s, 4);
  PutLe(&out, 52, e.build_us, 4);
  PutLe(&out, 56, e.layout.size(), 4);
  PutLe(&out, 60, e.free.size(), 4);
  PutLe(&out, 64, e.priority.size(), 4);
  PutLe(&out, 68, kCategoryCount, 4);
  PutLe(&out, 72, e.meminfo_free_pages, 4);
  PutLe(&out, 76, Crc32(out), 4);
  return out;
}

Summary Summarize(const Enlightenment& e) {
  Summary s;
  const double page_mib = e.page_size / kMiB;
  for (int c = 0; c < kCategoryCount; ++c) {
    s.category_mib[c] = static_cast<double>(e.category_pages[c]) * page_mib;
    if (c <= kWorkingSetLast) s.working_set_mib += s.category_mib[c];
  }
  s.free_mib = static_cast<double>(e.free_pages) * page_mib;
  for (const auto& r : e.layout) {
    if (r.type == LayoutRange::kRam) s.ram_mib += static_cast<double>(r.pages) * page_mib;
  }
  return s;
}

StatusOr<uint64_t> RamOffset(uint64_t pfn, uint32_t page_size, uint64_t below_4g_bytes) {
  constexpr uint64_t k4G = 4ull << 30;
  if (page_size == 0 || pfn > (UINT64_MAX - below_4g_bytes) / page_size) {
    return absl::OutOfRangeError(absl::StrFormat("frame %d is beyond any address", pfn));
  }
  const uint64_t address = pfn * page_size;
  if (address < below_4g_bytes && address < k4G) return address;
  if (address >= k4G) return below_4g_bytes + (address - k4G);
  return absl::OutOfRangeError(absl::StrFormat(
      "frame %d (address %#x) is in the hole between the %#x bytes of RAM below 4 GiB and 4 GiB",
      pfn, address, below_4g_bytes));
}

}  // namespace convoy::enlight
