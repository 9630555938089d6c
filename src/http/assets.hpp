#pragma once
// The browser library (web/) compiled into the binary: served under /presence/, and the
// demo page at / with --dev. See cmake/embed_assets.cmake.

#include <cstddef>
#include <string_view>

namespace presenced::http {

struct Asset {
  std::string_view name;          // e.g. "presence-client.js"
  std::string_view content_type;
  std::string_view bytes;
};

extern const Asset kAssets[];
extern const std::size_t kAssetCount;

// The asset called `name`, or null.
inline const Asset* find_asset(std::string_view name) {
  for (std::size_t i = 0; i < kAssetCount; ++i)
    if (kAssets[i].name == name) return &kAssets[i];
  return nullptr;
}

}  // namespace presenced::http
