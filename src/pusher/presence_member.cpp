#include "pusher/presence_member.hpp"

#include "presence/json_text.hpp"
#include "pusher/frame.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>

namespace presenced::pusher {

std::optional<presence::User> read_member(std::string_view channel_data, std::string_view tenant, std::string& error) {
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(channel_data, ec);
  const boost::json::object* o = ec ? nullptr : v.if_object();
  if (!o) {
    error = "The channel_data is not a JSON object.";
    return std::nullopt;
  }
  presence::User user;
  user.tenant.assign(tenant);
  const boost::json::value* id = o->if_contains("user_id");
  if (id && id->is_string() && !id->get_string().empty() && id->get_string().size() <= presence::kMaxUserIdBytes) {
    user.id.assign(id->get_string());
  } else if (id && id->is_int64()) {  // exact: Boost.JSON reads an integer that fits as one
    user.id = std::to_string(id->get_int64());
    user.id_is_number = true;
  } else if (id && id->is_uint64()) {
    user.id = std::to_string(id->get_uint64());
    user.id_is_number = true;
  } else {
    error = "The channel_data's user_id must be a string of 1 to 128 bytes or an integer.";
    return std::nullopt;
  }
  if (const boost::json::value* info = o->if_contains("user_info"); info && !info->is_null()) {
    if (!info->is_object()) {
      error = "The channel_data's user_info must be an object.";
      return std::nullopt;
    }
    std::string json = boost::json::serialize(*info);
    if (json.size() > presence::kMaxMemberInfoBytes) {
      error = "The channel_data's user_info must be at most 1024 bytes.";
      return std::nullopt;
    }
    const boost::json::object& fields = info->get_object();
    if (const auto* name = fields.if_contains("name"); name && name->is_string()) user.name.assign(name->get_string());
    if (const auto* avatar = fields.if_contains("avatar_url");
        avatar && avatar->is_string() && presence::is_usable_avatar_url(avatar->get_string())) {
      user.avatar_url.assign(avatar->get_string());
    }
    user.info = new presence::MemberInfo(std::move(json));
  }
  return user;
}

namespace {

void append_member_data(std::string& o, const fanout::Member& m) {
  o.append(R"({"user_id":)");
  presence::append_json_string(o, m.id);
  o.append(R"(,"user_info":)").append(m.info) += '}';
}

}  // namespace

std::string subscription_succeeded_frame(std::string_view channel, const std::vector<fanout::Member>& members,
                                         const fanout::Member& me) {
  const bool add_me =
      std::none_of(members.begin(), members.end(), [&](const fanout::Member& m) { return m.id == me.id; });
  std::size_t size = 64;
  for (const auto& m : members) size += 2 * m.id.size() + m.info.size() + 8;
  std::string data;
  data.reserve(size + me.info.size());
  data.append(R"({"presence":{"count":)").append(std::to_string(members.size() + (add_me ? 1 : 0)));
  data.append(R"(,"ids":[)");
  bool first = true;
  const auto each = [&](auto write) {
    first = true;
    for (const auto& m : members) write(m);
    if (add_me) write(me);
  };
  each([&](const fanout::Member& m) {
    if (!first) data += ',';
    first = false;
    presence::append_json_string(data, m.id);
  });
  data.append(R"(],"hash":{)");
  each([&](const fanout::Member& m) {
    if (!first) data += ',';
    first = false;
    presence::append_json_string(data, m.id);
    data.append(":").append(m.info);
  });
  data.append("}}}");
  return event_frame("pusher_internal:subscription_succeeded", channel, data);
}

std::string member_added_frame(std::string_view channel, const fanout::Member& member) {
  std::string data;
  append_member_data(data, member);
  return event_frame("pusher_internal:member_added", channel, data);
}

std::string escaped_data_frame(std::string_view event, std::string_view channel, std::string_view escaped_data) {
  std::string o;
  o.reserve(40 + event.size() + channel.size() + escaped_data.size());
  o.append(R"({"event":)");
  presence::append_json_string(o, event);
  o.append(R"(,"channel":)");
  presence::append_json_string(o, channel);
  o.append(R"(,"data":)").append(escaped_data) += '}';
  return o;
}

std::string member_removed_frame(std::string_view channel, std::string_view user_id) {
  std::string data = R"({"user_id":)";
  presence::append_json_string(data, user_id);
  data += '}';
  return event_frame("pusher_internal:member_removed", channel, data);
}

}  // namespace presenced::pusher
