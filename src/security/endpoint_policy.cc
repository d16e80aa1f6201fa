#include "convoy/security/endpoint_policy.h"

#include <arpa/inet.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace convoy::security {
namespace {

bool ParseIpv4(const std::string& text, uint32_t* out) {
  in_addr address{};
  if (inet_pton(AF_INET, text.c_str(), &address) != 1) return false;
  *out = ntohl(address.s_addr);
  return true;
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view text) {
  // Iterative, with one backtrack point per '*': linear in practice, never exponential.
  size_t p = 0, t = 0, star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

StatusOr<EndpointAllowList> EndpointAllowList::Parse(const std::vector<std::string>& entries,
                                                     const std::string& flag) {
  EndpointAllowList list;
  for (const auto& entry : entries) {
    if (entry.empty()) return absl::InvalidArgumentError(absl::StrCat(flag, ": an empty entry"));
    const auto slash = entry.find('/');
    uint32_t address = 0;
    int bits = 0;
    if (slash != std::string::npos && ParseIpv4(entry.substr(0, slash), &address)) {
      if (!absl::SimpleAtoi(entry.substr(slash + 1), &bits) || bits < 0 || bits > 32) {
        return absl::InvalidArgumentError(
            absl::StrCat(flag, " '", entry, "': the prefix length must be 0..32"));
      }
      const uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
      list.networks_.push_back({address & mask, mask});
    } else {
      list.globs_.push_back(entry);
    }
  }
  return list;
}

bool EndpointAllowList::Allows(const std::string& endpoint) const {
  for (const auto& glob : globs_) {
    if (GlobMatch(glob, endpoint)) return true;
  }
  if (networks_.empty()) return false;
  std::string host = endpoint;
  const auto colon = host.rfind(':');
  if (colon != std::string::npos && host.find(':') == colon) host = host.substr(0, colon);
  uint32_t address = 0;
  if (!ParseIpv4(host, &address)) return false;
  for (const auto& n : networks_) {
    if ((address & n.mask) == n.address) return true;
  }
  return false;
}

}  // namespace convoy::security
