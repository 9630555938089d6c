#include "realtime/outgoing.hpp"

#include "presence/json_text.hpp"

namespace presenced::realtime {

std::string make_error(std::string_view code, std::string_view message) {
  std::string o = R"({"type":"error","code":)";
  presence::append_json_string(o, code);
  o.append(R"(,"message":)");
  presence::append_json_string(o, message);
  o += '}';
  return o;
}

bool merge_presence(std::vector<Outgoing>& queue, std::size_t first,
                    std::shared_ptr<const fanout::PresenceEvent>& event, std::uint32_t limit) {
  const auto same_record = [&](const Outgoing& o) { return o.event && o.event->record_key == event->record_key; };
  if (event->kind == fanout::PresenceEvent::Kind::diff) {
    for (std::size_t i = queue.size(); i-- > first;) {
      if (!same_record(queue[i])) continue;
      if (queue[i].event->kind != fanout::PresenceEvent::Kind::diff) return false;
      queue[i].event = std::move(event);
      queue[i].limit = limit;
      return true;
    }
    return false;
  }
  std::size_t at = queue.size();
  for (std::size_t i = first; i < queue.size();) {
    if (!same_record(queue[i])) {
      ++i;
    } else if (at == queue.size()) {
      at = i++;
    } else {
      queue.erase(queue.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }
  if (at == queue.size()) return false;
  queue[at].event = std::move(event);
  queue[at].limit = limit;
  return true;
}

}  // namespace presenced::realtime
