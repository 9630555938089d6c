// A tab's entry as read back from Redis (store/redis/entry_codec): anything the host app,
// or anyone with access to a shared Redis, may have written. A numeric user id must be
// exact decimal text that the full parser reads as the same number.
#include "store/redis/entry_codec.hpp"

#include <boost/json/parse.hpp>

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string_view>

using namespace presenced;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view value(reinterpret_cast<const char*>(data), size);
  if (const auto digits = store::redis::integer_member_text(value, "user_id")) {
    if (digits->empty() || digits->find_first_not_of("-0123456789") != std::string_view::npos) __builtin_trap();
    if (value.find(*digits) == std::string_view::npos) __builtin_trap();
  }
  presence::User user;
  std::string field;
  presence::TabView tab{};
  if (store::redis::read_entry("12345", value, "1", user, field, tab) && user.id_is_number) {
    const auto doc = boost::json::parse(value);
    const auto& id = doc.as_object().at("user_id");
    const char* first = user.id.data();
    const char* last = first + user.id.size();
    if (id.is_int64()) {
      std::int64_t n = 0;
      if (std::from_chars(first, last, n).ptr != last || n != id.get_int64()) __builtin_trap();
    } else if (id.is_uint64()) {
      std::uint64_t n = 0;
      if (std::from_chars(first, last, n).ptr != last || n != id.get_uint64()) __builtin_trap();
    }
  }
  return 0;
}
