// Text measurement shared by the renderers.
#pragma once

#include <cstddef>
#include <string>

namespace convoy::report::internal {

// Number of characters `text` shows as: its UTF-8 code points, not its bytes.
inline std::size_t DisplayWidth(const std::string& text) {
  std::size_t width = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++width;
  }
  return width;
}

}  // namespace convoy::report::internal
