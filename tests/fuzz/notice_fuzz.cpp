// What a node hears on a record's channel (store/redis/notice, room_mirror), and the
// entries of a full read (RoomMirror::unpack): anyone who can write to a shared Redis may
// send anything. Each line of the input is one notice; the mirror must stay within its
// cap and roll up to as many tabs as it holds. A line is also read as a named channel's
// message (fanout/named_message.hpp) and a census question, and the whole input as a census
// answer (fanout/census_message.hpp): what is accepted encodes back to the same bytes.
#include "fanout/census_message.hpp"
#include "fanout/named_message.hpp"
#include "store/redis/notice.hpp"
#include "store/redis/room_mirror.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>
#include <string_view>

using namespace presenced;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  constexpr std::size_t kCap = 8;
  constexpr std::int64_t kNow = 1'790'000'000'000;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  {
    std::uint64_t id = 0;
    std::vector<fanout::CensusLine> lines;
    if (fanout::decode_census_answer(input, id, lines)) {
      std::string again = fanout::begin_census_answer(id);
      for (const auto& line : lines) {
        if (line.name.empty()) __builtin_trap();
        fanout::append_census_line(again, line.name, line.count);
      }
      if (again != input) __builtin_trap();
    }
  }
  store::redis::RoomMirror mirror("1", kCap, 90'000);
  mirror.listening(true);
  const auto read = mirror.begin_read();
  bool read_done = false;
  std::vector<presence::Viewer> out;
  store::RecordState state;
  presence::User caller;
  caller.id = "1";
  while (!input.empty()) {
    const auto end = input.find('\n');
    const std::string_view notice = input.substr(0, end);
    input.remove_prefix(end == std::string_view::npos ? input.size() : end + 1);
    if (const auto e = store::redis::RoomMirror::unpack(notice)) {  // a read's entry
      if (e->tab_id.empty() || e->value.size() >= notice.size()) __builtin_trap();
    }
    if (const auto named = fanout::decode_named_message(notice)) {
      if (fanout::encode_named_message(named->origin, named->except, named->text) != notice) __builtin_trap();
    }
    if (const auto question = fanout::decode_census_question(notice)) {
      if (fanout::encode_census_question(question->id, question->prefix) != notice) __builtin_trap();
    }
    if (const auto socket = fanout::parse_socket_id(notice)) {
      if (std::to_string(socket->node) + "." + std::to_string(socket->id) != notice) __builtin_trap();
    }
    if (const auto tab = store::redis::decode_tab_notice(notice)) {
      if (tab->tab_id.empty() || (!tab->removed && tab->value.empty())) __builtin_trap();
    }
    mirror.heard(notice);
    if (!read_done && notice.size() % 3 == 0) {  // the read's answer lands somewhere among them
      mirror.finish_read(read, {}, presence::kNoLockVersion, kNow);
      read_done = true;
    }
    if (notice.size() % 5 == 1) {  // or it is what a check of due tabs found (anyone may write entries)
      const auto check = mirror.begin_check();
      const auto entry = store::redis::RoomMirror::unpack(notice);
      const std::string due[] = {entry ? std::string(entry->tab_id) : std::string("t")};
      const std::string_view found[] = {notice};
      mirror.finish_check(check, due, found);
    }
    if (mirror.tabs() > kCap) __builtin_trap();
    mirror.roll_up(kNow, out, state);
    if (state.totals.tabs != mirror.tabs() || out.size() > mirror.tabs()) __builtin_trap();
    const std::size_t users = state.totals.users;
    presence::Totals totals;
    mirror.page(caller, 1, 3, out, totals);  // the page's tally agrees with the roll-up
    if (totals.tabs != mirror.tabs() || totals.users != users || out.size() > 3) __builtin_trap();
    std::vector<std::string> due;
    mirror.doubt(kNow + 90'000, &due);
    if (due.size() > store::redis::RoomMirror::kMaxDueChecked) __builtin_trap();
    mirror.answer(kNow, out, state);
  }
  return 0;
}
