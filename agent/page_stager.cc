#include "agent/page_stager.h"

#include "absl/strings/str_cat.h"

namespace convoy::agent {

std::string StageKey(const std::string& migration_id, uint64_t seq) {
  return absl::StrCat("convoy:stage:", migration_id, ":", seq);
}

std::string StageKeyPattern(const std::string& migration_id) {
  return absl::StrCat("convoy:stage:", migration_id, ":*");
}

}  // namespace convoy::agent
