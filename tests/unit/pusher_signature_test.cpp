// Pusher channel authorization against the ecosystem's own signer: every expected `auth`
// below was printed by the `pusher` server SDK, version 5.3.4 (npm), with
//   new Pusher({appId: "1", key: "278d425bdf160c739803", secret: "7ad3773142a6692b25b8"})
//     .authorizeChannel(socketId, channel[, presenceData])
// the call Laravel's pusher broadcaster makes. They equal the example in Pusher's own
// documentation of the signature.
#include "auth/pusher_signature.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <string>

namespace presenced::auth {
namespace {

constexpr std::string_view kKey = "278d425bdf160c739803";
constexpr std::string_view kSecret = "7ad3773142a6692b25b8";
constexpr std::string_view kPrivateAuth =
    "278d425bdf160c739803:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4";
constexpr std::string_view kPresenceData = R"({"user_id":"10","user_info":{"name":"Mr. Channels"}})";
constexpr std::string_view kPresenceAuth =
    "278d425bdf160c739803:4c6d8fc42a207ba96a0779844171b0bb819d96ffceef9609f5cce596ab17a800";

TEST(PusherSignature, APrivateChannelIsSignedAsThePusherSdkSignsIt) {
  EXPECT_EQ(std::string(kKey) + ":" + pusher_channel_signature(kSecret, "1234.1234", "private-foobar"), kPrivateAuth);
  EXPECT_TRUE(pusher_channel_auth_valid(kKey, kSecret, kPrivateAuth, "1234.1234", "private-foobar"));
}

TEST(PusherSignature, APresenceChannelSignsItsChannelData) {
  EXPECT_TRUE(pusher_channel_auth_valid(kKey, kSecret, kPresenceAuth, "1234.1234", "presence-foobar", kPresenceData));
  // The same signature without the data, or with other data (another user), fails.
  EXPECT_FALSE(pusher_channel_auth_valid(kKey, kSecret, kPresenceAuth, "1234.1234", "presence-foobar"));
  EXPECT_FALSE(pusher_channel_auth_valid(kKey, kSecret, kPresenceAuth, "1234.1234", "presence-foobar",
                                         R"({"user_id":"11","user_info":{"name":"Mr. Channels"}})"));
}

// printed by the same SDK's authenticateUser("1234.1234", {id: "12345"}) (pusher:signin)
TEST(PusherSignature, ASigninIsSignedAsThePusherSdkSignsIt) {
  constexpr std::string_view kUserData = R"({"id":"12345"})";
  constexpr std::string_view kUserAuth =
      "278d425bdf160c739803:4708d583dada6a56435fb8bc611c77c359a31eebde13337c16ab43aa6de336ba";
  EXPECT_EQ(std::string(kKey) + ":" + pusher_user_signature(kSecret, "1234.1234", kUserData), kUserAuth);
  EXPECT_TRUE(pusher_user_auth_valid(kKey, kSecret, kUserAuth, "1234.1234", kUserData));
  EXPECT_FALSE(pusher_user_auth_valid(kKey, kSecret, kUserAuth, "1234.1235", kUserData));
  EXPECT_FALSE(pusher_user_auth_valid(kKey, kSecret, kUserAuth, "1234.1234", R"({"id":"12346"})"));
}

TEST(PusherSignature, AnAuthForAnotherSocketChannelKeyOrSecretIsRefused) {
  EXPECT_FALSE(pusher_channel_auth_valid(kKey, kSecret, kPrivateAuth, "1234.1235", "private-foobar"));
  EXPECT_FALSE(pusher_channel_auth_valid(kKey, kSecret, kPrivateAuth, "1234.1234", "private-foobaz"));
  EXPECT_FALSE(pusher_channel_auth_valid("278d425bdf160c739804", kSecret, kPrivateAuth, "1234.1234", "private-foobar"));
  EXPECT_FALSE(pusher_channel_auth_valid(kKey, "7ad3773142a6692b25b9", kPrivateAuth, "1234.1234", "private-foobar"));
}

TEST(PusherSignature, AnAuthNotExactlyKeyColonLowerCaseHexIsRefused) {
  const std::string signature(kPrivateAuth.substr(kKey.size() + 1));
  std::string upper = signature;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const std::string key(kKey), auth(kPrivateAuth);
  for (const std::string& bad : {key + ":" + upper, key + signature, auth + "0", auth.substr(0, auth.size() - 1),
                                 ":" + signature, signature, key + ":", std::string(), key + "::" + signature}) {
    EXPECT_FALSE(pusher_channel_auth_valid(kKey, kSecret, bad, "1234.1234", "private-foobar")) << bad;
  }
  EXPECT_FALSE(pusher_channel_auth_valid("", kSecret, ":" + signature, "1234.1234", "private-foobar"))
      << "an app without a key authorizes nothing";
}

}  // namespace
}  // namespace presenced::auth
