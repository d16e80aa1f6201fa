// The enlightenment parser (src/enlight/): what the guest module writes round-trips, and
// anything else (garbage, truncation, a wrong version, broken runs) is refused with a specific
// error and never crashes.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>

#include "convoy/enlight/enlightenment.h"

namespace convoy::enlight {
namespace {

// A small guest: 1024 frames, RAM at 1..159 and 256..1023, firmware-reserved 160..175.
Enlightenment Sample() {
  Enlightenment e;
  e.page_count = 1024;
  e.generation = 3;
  e.generated_unix_ns = 1700000000000000000ull;
  e.active_window_s = 16;
  e.build_us = 1234;
  e.meminfo_free_pages = 300;
  e.layout = {{1, 159, LayoutRange::kRam},
              {160, 16, LayoutRange::kReserved},
              {256, 768, LayoutRange::kRam}};
  e.free = {{10, 20}, {600, 300}};
  e.priority = {{0, 1, kNoCategory},         {1, 9, kKernel},          {10, 20, kNoCategory},
                {30, 130, kKernelAllocated}, {160, 16, kMemoryIo},     {176, 80, kNoCategory},
                {256, 4, kPageTable},        {260, 40, kUserCode},     {300, 200, kUserData},
                {500, 50, kFileActive},      {550, 25, kFileInactive}, {575, 25, kOther},
                {600, 300, kNoCategory},     {900, 124, kOther}};
  Summarise(&e);
  return e;
}

void ExpectDataLoss(const std::string& bytes, const std::string& message_part) {
  auto parsed = Parse(bytes);
  ASSERT_FALSE(parsed.ok()) << "accepted: " << message_part;
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kDataLoss) << parsed.status();
  EXPECT_NE(parsed.status().message().find(message_part), std::string::npos)
      << parsed.status().message();
}

// Re-computes total_bytes and the CRC after an edit, so that the edit itself is what is judged.
std::string Reseal(std::string bytes) {
  for (int i = 0; i < 8; ++i) bytes[40 + i] = static_cast<char>((bytes.size() >> (8 * i)) & 0xff);
  for (int i = 0; i < 4; ++i) bytes[76 + i] = 0;
  const uint32_t crc = Crc32(bytes);
  for (int i = 0; i < 4; ++i) bytes[76 + i] = static_cast<char>((crc >> (8 * i)) & 0xff);
  return bytes;
}

void SetLe(std::string* bytes, size_t at, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) (*bytes)[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

TEST(EnlightFormatTest, RoundTripsAndDerivesTotals) {
  const Enlightenment e = Sample();
  const std::string bytes = Encode(e);
  auto parsed = Parse(bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->page_count, 1024u);
  EXPECT_EQ(parsed->generation, 3u);
  EXPECT_EQ(parsed->meminfo_free_pages, 300u);
  EXPECT_EQ(parsed->layout.size(), 3u);
  EXPECT_EQ(parsed->free_pages, 320u);
  EXPECT_EQ(parsed->category_pages[kUserData], 200u);
  EXPECT_EQ(parsed->category_pages[kOther], 149u);
  EXPECT_EQ(parsed->CategoryOf(0), kNoCategory);
  EXPECT_EQ(parsed->CategoryOf(5), kKernel);
  EXPECT_EQ(parsed->CategoryOf(299), kUserCode);
  EXPECT_EQ(parsed->CategoryOf(300), kUserData);
  EXPECT_EQ(parsed->CategoryOf(1023), kOther);
  EXPECT_EQ(parsed->CategoryOf(1024), kNoCategory);
  EXPECT_TRUE(parsed->IsFree(10));
  EXPECT_TRUE(parsed->IsFree(899));
  EXPECT_FALSE(parsed->IsFree(30));
  EXPECT_EQ(Encode(*parsed), bytes);  // canonical

  const Summary s = Summarize(*parsed);
  EXPECT_DOUBLE_EQ(s.free_mib, 320 * 4096.0 / 1048576);
  // Kernel .. User_Data: 9 + 130 + 16 + 4 + 40 + 200 frames.
  EXPECT_DOUBLE_EQ(s.working_set_mib, 399 * 4096.0 / 1048576);
  EXPECT_DOUBLE_EQ(s.ram_mib, (159 + 768) * 4096.0 / 1048576);
}

TEST(EnlightFormatTest, EveryTruncationIsRefused) {
  const std::string bytes = Encode(Sample());
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto parsed = Parse(bytes.substr(0, n));
    ASSERT_FALSE(parsed.ok()) << "a " << n << "-byte prefix parsed";
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kDataLoss) << parsed.status();
  }
  ExpectDataLoss(bytes.substr(0, 50), "truncated: 50 bytes, the header needs 80");
  ExpectDataLoss(bytes.substr(0, bytes.size() - 1), "truncated: the header says");
  ExpectDataLoss(Reseal(bytes.substr(0, bytes.size() - 1)), "truncated in priority run");
}

TEST(EnlightFormatTest, WrongVersionIsNamed) {
  std::string bytes = Encode(Sample());
  SetLe(&bytes, 4, 2, 2);
  auto parsed = Parse(Reseal(bytes));
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(parsed.status().message().find("unsupported version 2"), std::string::npos)
      << parsed.status().message();
}

TEST(EnlightFormatTest, HeaderFieldsAreChecked) {
  const std::string good = Encode(Sample());
  std::string bytes = good;
  bytes[0] = 'X';
  ExpectDataLoss(bytes, "bad magic");
  ExpectDataLoss(good + "x", "trailing bytes");
  bytes = good;
  bytes[100] ^= 0x01;
  ExpectDataLoss(bytes, "CRC mismatch");
  bytes = good;
  SetLe(&bytes, 8, 4000, 4);
  ExpectDataLoss(Reseal(bytes), "page size 4000");
  bytes = good;
  SetLe(&bytes, 16, 0, 8);
  ExpectDataLoss(Reseal(bytes), "page count 0");
  bytes = good;
  SetLe(&bytes, 24, 0, 8);
  ExpectDataLoss(Reseal(bytes), "generation 0");
  bytes = good;
  SetLe(&bytes, 12, 0x80, 4);
  ExpectDataLoss(Reseal(bytes), "unknown flags");
  bytes = good;
  SetLe(&bytes, 68, 10, 4);
  ExpectDataLoss(Reseal(bytes), "10 categories");
  bytes = good;
  SetLe(&bytes, 60, 0xffffffff, 4);
  ExpectDataLoss(Reseal(bytes), "do not fit");
  ParseLimits small;
  small.max_bytes = 100;
  auto parsed = Parse(good, small);
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("more than the 100"), std::string::npos);
}

TEST(EnlightFormatTest, BrokenRunsAreRefused) {
  auto encode_with = [](auto edit) {
    Enlightenment e = Sample();
    edit(&e);
    return Encode(e);
  };
  ExpectDataLoss(encode_with([](Enlightenment* e) {
                   e->free[1] = {180, 10};
                 }),
                 "free run 1: frames 180..189 are not inside one RAM range");
  ExpectDataLoss(encode_with([](Enlightenment* e) {
                   e->free[1] = {30, 10};
                 }),
                 "free run 1: empty or touching");
  ExpectDataLoss(encode_with([](Enlightenment* e) { e->free[0].pages = 0; }), "free run 0: empty");
  ExpectDataLoss(encode_with([](Enlightenment* e) { e->priority.back().pages = 100; }),
                 "priority runs cover 1000 of the 1024 frames");
  ExpectDataLoss(encode_with([](Enlightenment* e) { e->priority.back().pages = 200; }),
                 "beyond the 1024 frames");
  ExpectDataLoss(encode_with([](Enlightenment* e) { e->priority[8].category = 9; }),
                 "priority run 8: unknown category 9");
  ExpectDataLoss(encode_with([](Enlightenment* e) { e->priority[9].category = kUserData; }),
                 "priority run 9: same category as the previous run");
  ExpectDataLoss(encode_with([](Enlightenment* e) { e->priority[5].category = kOther; }),
                 "priority run 5: frames 176..255 are other but not in the guest's RAM");
  ExpectDataLoss(encode_with([](Enlightenment* e) { e->layout[1].type = LayoutRange::Type(3); }),
                 "layout entry 1: unknown type 3");
  ExpectDataLoss(encode_with([](Enlightenment* e) { e->layout[2].pages = 1000; }),
                 "layout entry 2");
  ExpectDataLoss(encode_with([](Enlightenment* e) {
                   e->priority.clear();
                   e->flags = kFlagFreeLive | kFlagPriorities;
                 }),
                 "priorities flag");
}

TEST(EnlightFormatTest, VarintsMustBeShortAndFitIn64Bits) {
  Enlightenment e = Sample();
  std::string bytes = Encode(e);
  // The first layout entry's gap (1) at offset 80: spelled as two bytes 0x81 0x00.
  std::string overlong = bytes.substr(0, 80) + "\x81" + std::string(1, '\0') + bytes.substr(81);
  ExpectDataLoss(Reseal(overlong), "layout entry 0 at byte 80: varint not in its shortest form");
  std::string huge = bytes.substr(0, 80) + std::string(9, '\xff') + "\x7f" + bytes.substr(81);
  ExpectDataLoss(Reseal(huge), "varint over 64 bits");
}

TEST(EnlightFormatTest, GarbageNeverParsesNorCrashes) {
  std::mt19937_64 rng(8);
  const std::string good = Encode(Sample());
  for (int i = 0; i < 3000; ++i) {
    // Pure noise, noise behind a valid header, and one-byte edits resealed so the CRC holds.
    std::string bytes(rng() % 400, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng());
    if (i % 3 == 1 && bytes.size() > 80) {
      bytes.replace(0, 80, good.substr(0, 80));
      bytes = Reseal(bytes);
    }
    if (i % 3 == 2) {
      bytes = good;
      bytes[80 + rng() % (good.size() - 80)] = static_cast<char>(rng());
      bytes = Reseal(bytes);
    }
    auto parsed = Parse(bytes);
    if (parsed.ok()) {
      EXPECT_EQ(Encode(*parsed), bytes) << "accepted a non-canonical encoding";
    } else {
      EXPECT_TRUE(parsed.status().code() == absl::StatusCode::kDataLoss ||
                  parsed.status().code() == absl::StatusCode::kFailedPrecondition)
          << parsed.status();
    }
  }
}

TEST(EnlightFormatTest, ReadsWhatTheGuestModuleWrote) {
  // A snapshot taken by convoy_enlight.ko in a 256 MiB testbed guest (Debian 6.1.0-57) running
  // `coldmem 96` and `wsloop 32 0 1000`: 32 MiB of working set, 96 MiB of an inactive process.
  std::ifstream in(CONVOY_TEST_DATA "/enlight_guest_256mib.bin", std::ios::binary);
  ASSERT_TRUE(in.good());
  std::stringstream bytes;
  bytes << in.rdbuf();
  auto parsed = Parse(bytes.str());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const Summary s = Summarize(*parsed);
  EXPECT_GE(s.category_mib[kUserData], 32);
  EXPECT_GE(s.category_mib[kOther], 96);
  EXPECT_GE(s.free_mib * 1048576 / parsed->page_size + 256, parsed->meminfo_free_pages);
  EXPECT_GT(s.category_mib[kKernel], 10);
  EXPECT_EQ(Encode(*parsed), bytes.str());
}

TEST(EnlightFormatTest, RamOffsetsFollowThePcMachines) {
  const uint64_t below = 3ull << 30;  // 3 GiB below 4 GiB
  auto low = RamOffset(0x1000, 4096, below);
  ASSERT_TRUE(low.ok());
  EXPECT_EQ(*low, 0x1000ull * 4096);
  auto high = RamOffset((4ull << 30) / 4096 + 1, 4096, below);
  ASSERT_TRUE(high.ok());
  EXPECT_EQ(*high, below + 4096);
  auto hole = RamOffset((3ull << 30) / 4096, 4096, below);
  EXPECT_EQ(hole.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(RamOffset(~0ull, 4096, below).status().code(), absl::StatusCode::kOutOfRange);
}

TEST(EnlightFormatTest, CategoryNames) {
  EXPECT_EQ(CategoryName(kKernel), "kernel");
  EXPECT_EQ(CategoryName(kUserData), "user_data");
  EXPECT_EQ(CategoryName(kNoCategory), "none");
  EXPECT_EQ(CategoryName(42), "invalid");
}

}  // namespace
}  // namespace convoy::enlight
