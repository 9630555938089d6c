// What a node hears on a record's channel (store/redis/notice, room_mirror), and the
// entries of a full read (RoomMirror::unpack): anyone who can write to a shared Redis may
// send anything. Each line of the input is one notice; the mirror must stay within its
// cap and roll up to as many tabs as it holds.
#include "store/redis/notice.hpp"
#include "store/redis/room_mirror.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

using namespace presenced;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  constexpr std::size_t kCap = 8;
  constexpr std::int64_t kNow = 1'790'000'000'000;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  store::redis::RoomMirror mirror("1", kCap, 90'000);
  mirror.listening(true);
  const auto read = mirror.begin_read();
  bool read_done = false;
  std::vector<presence::Viewer> out;
  store::RecordState state;
  while (!input.empty()) {
    const auto end = input.find('\n');
    const std::string_view notice = input.substr(0, end);
    input.remove_prefix(end == std::string_view::npos ? input.size() : end + 1);
    if (const auto e = store::redis::RoomMirror::unpack(notice)) {  // a read's entry
      if (e->tab_id.empty() || e->value.size() >= notice.size()) __builtin_trap();
    }
    if (const auto tab = store::redis::decode_tab_notice(notice)) {
      if (tab->tab_id.empty() || (!tab->removed && tab->value.empty())) __builtin_trap();
    }
    mirror.heard(notice);
    if (!read_done && notice.size() % 3 == 0) {  // the read's answer lands somewhere among them
      mirror.finish_read(read, {}, presence::kNoLockVersion, kNow);
      read_done = true;
    }
    if (mirror.tabs() > kCap) __builtin_trap();
    mirror.roll_up(kNow, out, state);
    if (state.totals.tabs != mirror.tabs() || out.size() > mirror.tabs()) __builtin_trap();
    mirror.answer(kNow, out, state);
  }
  return 0;
}
