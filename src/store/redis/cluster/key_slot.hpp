#pragma once
// Which of a Redis Cluster's 16,384 hash slots holds a key: CRC16 (XMODEM) of the key,
// or of its hash tag (what is between the first "{" and the next "}", when not empty),
// modulo 16,384. presenced's own keys and channels put the record's key in braces, so
// they share its slot: a script may only touch one slot.

#include <cstdint>
#include <string_view>

namespace presenced::store::redis::cluster {

inline constexpr std::uint16_t kSlots = 16384;

std::uint16_t key_slot(std::string_view key);

}  // namespace presenced::store::redis::cluster
