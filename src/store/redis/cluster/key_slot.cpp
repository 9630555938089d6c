#include "store/redis/cluster/key_slot.hpp"

#include <boost/crc.hpp>

namespace presenced::store::redis::cluster {

std::uint16_t key_slot(std::string_view key) {
  if (const auto open = key.find('{'); open != std::string_view::npos) {
    const auto close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1) key = key.substr(open + 1, close - open - 1);
  }
  // CRC-16/XMODEM: polynomial 0x1021, no reflection, initial value and final xor 0.
  boost::crc_optimal<16, 0x1021, 0, 0, false, false> crc;
  crc.process_bytes(key.data(), key.size());
  return static_cast<std::uint16_t>(crc.checksum() % kSlots);
}

}  // namespace presenced::store::redis::cluster
