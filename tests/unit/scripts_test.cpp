// The scripts' reply words come from one table (script_reply.hpp): every placeholder in
// the Lua text is filled, and each word the C++ side reads is one the scripts can answer.
#include "store/redis/script_reply.hpp"
#include "store/redis/scripts.hpp"

#include <gtest/gtest.h>

namespace presenced::store::redis {
namespace {

TEST(Scripts, EveryReplyWordComesFromTheTable) {
  for (bool sharded : {false, true}) {
    const Scripts s = make_scripts(500, 20, sharded);
    std::string all;
    for (const Script* script : {&s.heartbeat, &s.viewers, &s.viewers_many, &s.tabs, &s.remove_user, &s.unregister,
                                 &s.saved, &s.expired}) {
      EXPECT_EQ(script->source.find("REPLY_"), std::string::npos) << script->name;
      EXPECT_EQ(script->source.find("PUBLISH_COMMAND"), std::string::npos) << script->name;
      EXPECT_EQ(script->sha1.size(), 40u);
      all += script->source;
    }
    // Every word but "unknown" is answered by some script.
    for (std::size_t i = 1; i < kScriptReplyWords.size(); ++i) {
      EXPECT_NE(all.find("\"" + std::string(kScriptReplyWords[i]) + "\""), std::string::npos) << kScriptReplyWords[i];
    }
  }
}

}  // namespace
}  // namespace presenced::store::redis
