#include "src/sim/variation.h"

namespace convoy::sim {
namespace {

uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t Fnv1a(std::string_view key) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : key) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace

Variation::Variation(uint64_t seed, std::string_view key, double pct)
    : state_(seed ^ Fnv1a(key)), spread_(pct / 100.0) {}

double Variation::Next() {
  if (spread_ == 0) return 1.0;
  // 53 random bits as a double in [0, 1), then mapped onto [-1, 1).
  const double u = static_cast<double>(SplitMix64(&state_) >> 11) * 0x1.0p-53;
  return 1.0 + spread_ * (2.0 * u - 1.0);
}

}  // namespace convoy::sim
