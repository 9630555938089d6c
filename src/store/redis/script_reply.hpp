#pragma once
// The words the scripts answer with, written once: the Lua text names each as
// REPLY_<word> (make_scripts puts the word in), and a reply is read back into a
// ScriptReply by one lookup in the same table. A word added here is a new reply both ways.

#include "store/redis/connection.hpp"

#include <array>
#include <cstdint>
#include <string_view>

namespace presenced::store::redis {

enum class ScriptReply : std::uint8_t {
  unknown,  // an error, no answer, or a word not in the table
  joined,
  updated,
  renewed,
  occupied,    // joined, and the record's first live tab (webhooks)
  reoccupied,  // the same, after a vacancy that went unheard
  not_owner,
  record_full,
  user_full,
  removed,
  vacated,  // removed, and the record's last live tab (webhooks)
  absent,
  kept,
  ok,
};

inline constexpr std::array<std::string_view, 14> kScriptReplyWords = {
    "", "joined", "updated", "renewed", "occupied", "reoccupied", "not_owner",
    "record_full", "user_full", "removed", "vacated", "absent", "kept", "ok"};

inline ScriptReply script_reply(const ExecResult& r) {
  if (r.status != ExecStatus::ok || (r.reply->type != REDIS_REPLY_STRING && r.reply->type != REDIS_REPLY_STATUS)) {
    return ScriptReply::unknown;
  }
  const std::string_view word = text(*r.reply);
  for (std::size_t i = 1; i < kScriptReplyWords.size(); ++i) {
    if (kScriptReplyWords[i] == word) return static_cast<ScriptReply>(i);
  }
  return ScriptReply::unknown;
}

}  // namespace presenced::store::redis
