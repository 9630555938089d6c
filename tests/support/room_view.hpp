#pragma once
// A record's viewers as a WebSocket client holds them, by the rules of docs/protocol.md
// (what the browser library does, written again so that tests check the server against
// the rules, not against the library): a snapshot or full list replaces the list; a diff
// removes `left`, replaces `updated` in place, and puts each `joined` entry after the
// first id of its `after` that the list holds (first when it holds none).

#include <boost/json/value.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace presenced::testing {

struct RoomView {
  std::vector<boost::json::object> list;
  std::int64_t seq = -1;  // of the last event applied
  int gaps = 0;           // diffs whose seq was not one more than the last

  // Applies a presence event; false for any other message.
  bool apply(const boost::json::value& m) {
    const auto& type = m.at("type");
    if (type == "presence") {
      list.clear();
      for (const auto& v : m.at("viewers").as_array()) list.push_back(v.as_object());
    } else if (type == "presence_diff") {
      if (m.at("seq").as_int64() != seq + 1) ++gaps;
      for (const auto& id : m.at("left").as_array()) {
        if (auto it = find(id); it != list.end()) list.erase(it);
      }
      for (const auto& v : m.at("updated").as_array()) {
        if (auto it = find(v.at("id")); it != list.end()) *it = v.as_object();
      }
      for (const auto& v : m.at("joined").as_array()) {
        boost::json::object entry = v.as_object();
        const boost::json::array anchors = entry.at("after").as_array();
        entry.erase("after");
        auto where = list.begin();
        for (const auto& id : anchors) {
          if (auto it = find(id); it != list.end()) {
            where = it + 1;
            break;
          }
        }
        list.insert(where, std::move(entry));
      }
    } else {
      return false;
    }
    seq = m.at("seq").as_int64();
    return true;
  }

  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& v : list) out.emplace_back(v.at("name").as_string());
    return out;
  }

 private:
  std::vector<boost::json::object>::iterator find(const boost::json::value& id) {
    return std::find_if(list.begin(), list.end(), [&](const auto& v) { return v.at("id") == id; });
  }
};

}  // namespace presenced::testing
