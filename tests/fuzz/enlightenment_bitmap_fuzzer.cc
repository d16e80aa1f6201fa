// libFuzzer target: the enlightenment wire-format parser (src/enlight), the door through which a
// guest's bytes reach the agent. Any input must end in a Status or a value that keeps the
// parser's contract: re-encoding it and parsing again gives the same value, and the lookups and
// the summary stay inside what it describes. A broken contract aborts (a fuzzer finding).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "convoy/enlight/enlightenment.h"

namespace {

using convoy::enlight::Enlightenment;

void Check(bool ok) {
  if (!ok) std::abort();
}

bool SameRuns(const Enlightenment& a, const Enlightenment& b) {
  if (a.layout.size() != b.layout.size() || a.free.size() != b.free.size() ||
      a.priority.size() != b.priority.size()) {
    return false;
  }
  for (size_t i = 0; i < a.layout.size(); ++i) {
    if (a.layout[i].start_pfn != b.layout[i].start_pfn || a.layout[i].pages != b.layout[i].pages ||
        a.layout[i].type != b.layout[i].type) {
      return false;
    }
  }
  for (size_t i = 0; i < a.free.size(); ++i) {
    if (a.free[i].start_pfn != b.free[i].start_pfn || a.free[i].pages != b.free[i].pages) {
      return false;
    }
  }
  for (size_t i = 0; i < a.priority.size(); ++i) {
    if (a.priority[i].start_pfn != b.priority[i].start_pfn ||
        a.priority[i].pages != b.priority[i].pages ||
        a.priority[i].category != b.priority[i].category) {
      return false;
    }
  }
  return true;
}

bool SameHeader(const Enlightenment& a, const Enlightenment& b) {
  return a.version == b.version && a.page_size == b.page_size && a.flags == b.flags &&
         a.page_count == b.page_count && a.generation == b.generation &&
         a.generated_unix_ns == b.generated_unix_ns && a.active_window_s == b.active_window_s &&
         a.build_us == b.build_us && a.meminfo_free_pages == b.meminfo_free_pages &&
         a.category_pages == b.category_pages && a.free_pages == b.free_pages;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // Small limits, so that a fuzzed header cannot ask for more than the fuzzer's memory.
  convoy::enlight::ParseLimits limits;
  limits.max_bytes = 1u << 20;
  limits.max_page_count = 1ull << 32;
  auto parsed = convoy::enlight::Parse(bytes, limits);
  if (!parsed.ok()) return 0;
  const Enlightenment& e = *parsed;

  // Round trip: the canonical encoding parses back to the same value.
  const std::string encoded = convoy::enlight::Encode(e);
  auto again = convoy::enlight::Parse(encoded, limits);
  Check(again.ok());
  Check(SameHeader(e, *again) && SameRuns(e, *again));

  // The derived counts add up to what the runs cover, and never exceed the frames described.
  uint64_t categorised = 0;
  for (uint64_t pages : e.category_pages) categorised += pages;
  Check(categorised <= e.page_count);
  Check(e.free_pages <= e.page_count);

  // Lookups at the run boundaries and beyond the end stay defined and agree with the runs.
  for (const auto& run : e.priority) {
    Check(e.CategoryOf(run.start_pfn) == run.category);
    Check(e.CategoryOf(run.start_pfn + run.pages - 1) == run.category);
  }
  for (const auto& run : e.free) {
    Check(e.IsFree(run.start_pfn) && e.IsFree(run.start_pfn + run.pages - 1));
  }
  Check(e.CategoryOf(e.page_count) == convoy::enlight::kNoCategory);
  Check(!e.IsFree(e.page_count));

  const auto summary = convoy::enlight::Summarize(e);
  Check(summary.working_set_mib >= 0 && summary.free_mib >= 0 && summary.ram_mib >= 0);
  return 0;
}
