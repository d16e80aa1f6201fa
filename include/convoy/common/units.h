// Unit conversions. Convoy names every quantity with its unit (bandwidth_mbps, memory_mib,
// deadline_s). Mb/s and Gb/s are decimal (10^6 and 10^9 bit/s), as network speeds are quoted;
// MiB is 2^20 bytes, as memory is counted.
#pragma once

namespace convoy {

inline constexpr double kBytesPerMiB = 1048576.0;
inline constexpr double kMibPerGib = 1024.0;

constexpr double MbpsToMibps(double mbps) { return mbps * 1e6 / 8.0 / kBytesPerMiB; }
constexpr double MibpsToMbps(double mibps) { return mibps * kBytesPerMiB * 8.0 / 1e6; }
constexpr double GbpsToMbps(double gbps) { return gbps * 1000.0; }
// Traffic in kb/s sustained for `seconds`, in MB (10^6 bytes), as seed 001 reports its impact.
constexpr double KbpsSecondsToMb(double kbps, double seconds) {
  return kbps * seconds / 8.0 / 1000.0;
}

}  // namespace convoy
