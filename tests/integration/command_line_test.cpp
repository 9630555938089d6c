// The command line: what an operator types, and the one-line reasons when it is wrong.
#include "auth/jwt.hpp"
#include "integration/fixture.hpp"
#include "presence/clock.hpp"

#include <signal.h>

namespace presenced::testing {
namespace {

TEST(CommandLine, VersionAndHelp) {
  auto v = run_binary({"--version"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_NE(v.output.find("presenced "), std::string::npos);
  auto h = run_binary({"--help"});
  EXPECT_EQ(h.exit_code, 0);
  for (const char* flag : {"--listen", "--jwt-secret", "--dev", "--presence-ttl", "--rate-limit", "--threads", "--store"}) {
    EXPECT_NE(h.output.find(flag), std::string::npos) << flag;
  }
}

TEST(CommandLine, RefusesToStartWithoutASecret) {
  auto r = run_binary({"--listen", "127.0.0.1:0"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("--jwt-secret"), std::string::npos) << r.output;
}

TEST(CommandLine, BadFlagsFailFastWithAReason) {
  EXPECT_NE(run_binary({"--jwt-secret", kSecret, "--listen", "nonsense"}).exit_code, 0);
  EXPECT_NE(run_binary({"--jwt-secret", kSecret, "--presence-ttl", "0"}).exit_code, 0);
  EXPECT_NE(run_binary({"--jwt-secret", kSecret, "--no-such-flag"}).exit_code, 0);
  auto store = run_binary({"--jwt-secret", kSecret, "--store", "cassandra://x"});
  EXPECT_EQ(store.exit_code, 2);
  EXPECT_NE(store.output.find("--store"), std::string::npos);
}

TEST(CommandLine, ATakenPortIsAOneLineFailure) {
  ServerProcess first;
  auto r = run_binary({"--jwt-secret", kSecret, "--listen", "127.0.0.1:" + std::to_string(first.port())});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("cannot listen"), std::string::npos) << r.output;
}

TEST(CommandLine, AShortSecretAndDevWithARealSecretAreRefused) {
  auto short_secret = run_binary({"--jwt-secret", std::string(31, 's')});
  EXPECT_EQ(short_secret.exit_code, 2) << short_secret.output;
  EXPECT_NE(short_secret.output.find("--jwt-secret must be at least 32 bytes"), std::string::npos) << short_secret.output;
  auto dev = run_binary({"--dev", "--jwt-secret", kSecret});
  EXPECT_EQ(dev.exit_code, 2) << dev.output;
  EXPECT_NE(dev.output.find("refuses a real --jwt-secret"), std::string::npos) << dev.output;
  // 32 bytes serve.
  ServerProcess enough({"--jwt-secret", std::string(32, 's')});
  EXPECT_EQ(HttpClient(enough.port()).request("GET", "/healthz").status, 200u);
}

TEST(CommandLine, EnvironmentVariablesConfigureFlags) {
  setenv("PRESENCED_JWT_SECRET", "from-env-a-secret-of-32-bytes-or-more", 1);
  setenv("PRESENCED_RATE_LIMIT", "1", 1);
  ServerProcess server({"--listen", "127.0.0.1:0"});
  unsetenv("PRESENCED_JWT_SECRET");
  unsetenv("PRESENCED_RATE_LIMIT");
  HttpClient c(server.port());
  auto t = token_for("1", "A", "1", 3600, "from-env-a-secret-of-32-bytes-or-more");
  auto r = c.request("GET", "/api/v1/presence/flow/1/viewers", "", t);
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.header("x-ratelimit-limit"), "1");
}

TEST(CommandLine, PusherAppsComeFromFlagsOrTheEnvironmentAndBadOnesAreRefused) {
  auto bad = run_binary({"--jwt-secret", kSecret, "--pusher-app", "1001:key:short"});
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_NE(bad.output.find("--pusher-app: a Pusher app's secret is 8-256"), std::string::npos) << bad.output;
  auto twice = run_binary({"--jwt-secret", kSecret, "--pusher-app", "1:k:secret-aaaa", "--pusher-app", "2:k:secret-bbbb"});
  EXPECT_EQ(twice.exit_code, 2) << twice.output;
  EXPECT_NE(twice.output.find("two Pusher apps have the key k"), std::string::npos) << twice.output;
  EXPECT_EQ(twice.output.find("secret-aaaa"), std::string::npos) << "a secret is never printed";

  // Two apps from the environment, comma-separated: the endpoint exists (426 to a plain
  // GET; an unknown key is told 4001 after the handshake, tests/pusher), and not without.
  setenv("PRESENCED_PUSHER_APP", "1:key-a:secret-aaaa,2:key-b:secret-bbbb", 1);
  ServerProcess server({"--jwt-secret", kSecret});
  unsetenv("PRESENCED_PUSHER_APP");
  HttpClient c(server.port());
  EXPECT_EQ(c.request("GET", "/app/key-a").status, 426u);
  EXPECT_EQ(c.request("GET", "/app/key-b").status, 426u);
  EXPECT_EQ(c.request("GET", "/app/bad/key").status, 404u);
  ServerProcess without({"--jwt-secret", kSecret});
  EXPECT_EQ(HttpClient(without.port()).request("GET", "/app/key-a").status, 404u);
}

TEST(CommandLine, TokenSubcommandPrintsAVerifiableToken) {
  auto r = run_binary({"token", "--jwt-secret", "s3", "--user", "42", "--name", "Alice", "--tenant", "7", "--ttl", "60"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::string token = r.output.substr(0, r.output.find('\n'));
  presence::Identity id;
  ASSERT_EQ(auth::JwtCodec("s3").verify(token, presence::SystemClock().unix_seconds(), id),
            auth::TokenError::none);
  EXPECT_EQ(id.user->id, "42");
  EXPECT_TRUE(id.user->id_is_number);
  EXPECT_EQ(id.user->name, "Alice");
  EXPECT_EQ(id.user->tenant, "7");
}

TEST(CommandLine, StopsCleanlyOnSigterm) {
  ServerProcess server;
  HttpClient c(server.port());
  ASSERT_EQ(c.request("GET", "/healthz").status, 200u);
  EXPECT_EQ(server.stop(SIGTERM), 0) << server.output();
}

}  // namespace
TEST(BrowserLibrary, ServedFromTheBinaryAndTheDemoOnlyWithDev) {
  ServerProcess dev({"--dev"});
  HttpClient c(dev.port());
  auto js = c.request("GET", "/presence/presence-client.js");
  EXPECT_EQ(js.status, 200u);
  EXPECT_EQ(js.header("content-type"), "text/javascript; charset=utf-8");
  EXPECT_NE(js.body.find("export class PresenceClient"), std::string::npos);
  EXPECT_EQ(c.request("GET", "/presence/presence-avatars.js").status, 200u);
  EXPECT_EQ(c.request("GET", "/presence/presence-client.d.ts").status, 200u);
  auto demo = c.request("GET", "/");
  EXPECT_EQ(demo.status, 200u);
  EXPECT_EQ(demo.header("content-type"), "text/html; charset=utf-8");
  EXPECT_NE(demo.body.find("<presence-avatars"), std::string::npos);
  auto missing = c.request("GET", "/presence/nope.js");
  EXPECT_EQ(missing.status, 404u);
  EXPECT_EQ(missing.json().at("success").as_bool(), false);
  EXPECT_EQ(c.request("POST", "/presence/presence-client.js").status, 405u);

  ServerProcess production;
  HttpClient p(production.port());
  EXPECT_EQ(p.request("GET", "/").status, 404u) << "no demo without --dev";
  EXPECT_EQ(p.request("GET", "/presence/presence-client.js").status, 200u) << "the library is always there";
}

}  // namespace presenced::testing
