#include "presence/json_text.hpp"

#include <boost/json/serializer.hpp>

namespace presenced::presence {

void append_json_string(std::string& out, std::string_view s) {
  boost::json::serializer sr;
  sr.reset(s);
  char buf[256];
  while (!sr.done()) out.append(sr.read(buf));
}

}  // namespace presenced::presence
