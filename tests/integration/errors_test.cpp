// Every error status, in the envelope, in the host app's order; and the server keeps
// serving after each.
#include "auth/base64url.hpp"
#include "integration/fixture.hpp"
#include "support/raw_connection.hpp"

#include <cstdio>
#include <thread>

namespace presenced::testing {
namespace {

class Errors : public ApiTest {};

TEST_P(Errors, UnknownRoutesAndUnsafeSegmentsAre404) {
  start();
  auto c = client();
  auto t = token_for("1", "A");
  for (const std::string& target :
       {std::string("/nope"), std::string("/api/v1/presence/flow/42"), path("42", "nope"), path("4:2", "viewers"),
        path("4%2F2", "viewers"), path(std::string(65, '9'), "viewers"), path("42", "viewers", "fl.ow")}) {
    expect_error(c.request("GET", target, "", t), 404, "Not found.");
  }
  expect_still_serving();
}

TEST_P(Errors, WrongMethodIs405WithAllow) {
  start();
  auto c = client();
  auto r = c.request("GET", path("42", "heartbeat"));
  expect_error(r, 405, "The GET method is not supported for route api/v1/presence/flow/42/heartbeat. "
                       "Supported methods: POST.");
  EXPECT_EQ(r.header("allow"), "POST");
  EXPECT_EQ(c.request("PUT", path("42", "unregister")).header("allow"), "DELETE, POST");
  EXPECT_EQ(c.request("POST", path("42", "viewers")).header("allow"), "GET");
}

TEST_P(Errors, EveryKindOfBadTokenIs401) {
  start();
  auto c = client();
  using auth::base64url_encode;
  std::string payload = base64url_encode(R"({"sub":1,"name":"A","tenant_id":1,"exp":4102444800})");
  std::vector<std::pair<std::string, std::map<std::string, std::string>>> cases{
      {"no header", {}},
      {"other scheme", {{"Authorization", "Basic dXNlcjpwYXNz"}}},
      {"garbage", {{"Authorization", "Bearer not-a-token"}}},
      {"wrong secret", {{"Authorization", "Bearer " + token_for("1", "A", "1", 3600, "other-secret")}}},
      {"expired", {{"Authorization", "Bearer " + token_for("1", "A", "1", -3600)}}},
      {"alg none", {{"Authorization", "Bearer " + base64url_encode(R"({"alg":"none"})") + "." + payload + "."}}},
  };
  for (auto& [what, headers] : cases) {
    auto r = c.request("GET", path("42", "viewers"), "", "", headers);
    expect_error(r, 401, "Unauthenticated.");
    EXPECT_EQ(r.header("www-authenticate"), "Bearer") << what;
  }
  expect_still_serving();
}

TEST_P(Errors, OverTheRateLimitIs429WithLaravelsHeaders) {
  start({"--rate-limit", "3"});
  auto c = client();
  auto alice = token_for("1", "Alice"), bob = token_for("2", "Bob");
  for (int remaining : {2, 1, 0}) {
    auto r = heartbeat(c, alice, "42", tab("t"));
    ASSERT_EQ(r.status, 200u);
    EXPECT_EQ(r.header("x-ratelimit-limit"), "3");
    EXPECT_EQ(r.header("x-ratelimit-remaining"), std::to_string(remaining));
  }
  auto refused = c.request("GET", path("42", "viewers"), "", alice);
  expect_error(refused, 429, "Too Many Attempts.");
  int retry_after = std::stoi(refused.header("retry-after"));
  EXPECT_GT(retry_after, 0);
  EXPECT_LE(retry_after, 60);
  EXPECT_EQ(refused.header("x-ratelimit-remaining"), "0");
  EXPECT_FALSE(refused.header("x-ratelimit-reset").empty());
  // Other users have their own budget; refused requests changed nothing.
  auto v = viewers(c, bob, "42");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].at("tabs").as_int64(), 1);
  // Unauthenticated answers carry no rate-limit headers: there is no user to count.
  EXPECT_EQ(c.request("GET", path("42", "viewers")).header("x-ratelimit-limit"), "");
}

TEST_P(Errors, BodyOver64KiBIs413) {
  start();
  auto alice = token_for("1", "Alice");
  {
    auto c = client();
    std::string big = R"({"tab_id":"t","mode":"view","dirty":true,"pad":")" + std::string(70'000, 'x') + "\"}";
    expect_error(c.request("POST", path("42", "heartbeat"), big, alice), 413,
                 "The request body is larger than 65536 bytes.");
  }
  // Chunked, with no declared length: stopped while reading.
  std::string chunk(40'000, 'x');
  std::string req = "POST " + path("42", "heartbeat") + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + alice +
                    "\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 2; ++i) req += "9c40\r\n" + chunk + "\r\n";
  req += "0\r\n\r\n";
  std::string out = raw_exchange(port(), req);
  EXPECT_EQ(out.rfind("HTTP/1.1 413", 0), 0u) << out.substr(0, 200);
  expect_still_serving();
}

TEST_P(Errors, MalformedJsonIs400) {
  start();
  auto c = client();
  auto alice = token_for("1", "Alice");
  for (const std::string& body : {std::string(R"({"tab_id":)"), std::string("{'a':1}"), std::string("[1,]"),
                                  std::string("{\"tab_id\":\"\xff\"}")}) {
    expect_error(heartbeat(c, alice, "42", body), 400, "The request body is not valid JSON.");
  }
  expect_error(c.request("DELETE", path("42", "unregister"), "nope", alice), 400, "The request body is not valid JSON.");
}

TEST_P(Errors, ValidationIs422WithEveryFieldAtOnce) {
  start();
  auto c = client();
  auto alice = token_for("1", "Alice");
  auto r = heartbeat(c, alice, "42", R"({"tab_id":"bad id","mode":"write","dirty":"maybe","active_field":7})");
  expect_error(r, 422, "The tab id field format is invalid. (and 3 more errors)");
  auto errors = r.json().at("errors").as_object();
  EXPECT_EQ(errors.size(), 4u);
  EXPECT_EQ(errors.at("mode").as_array()[0].as_string(), "The selected mode is invalid.");
  EXPECT_EQ(errors.at("dirty").as_array()[0].as_string(), "The dirty field must be true or false.");

  auto empty = heartbeat(c, alice, "42", "");
  expect_error(empty, 422, "The tab id field is required. (and 2 more errors)");

  auto unregister = c.request("DELETE", path("42", "unregister"), R"({"tab_id":"a/b"})", alice);
  expect_error(unregister, 422, "The tab id field format is invalid.");
  EXPECT_TRUE(viewers(c, token_for("2", "Bob"), "42").empty()) << "refused requests change nothing";
}

TEST_P(Errors, ChecksRunInLaravelsOrder) {
  start({"--rate-limit", "1"});
  auto c = client();
  auto alice = token_for("1", "Alice");
  std::string big(70'000, 'x');
  // 404 before 405, 405 before 401, 401 before 413, 413 before 400, 400 before 422.
  EXPECT_EQ(c.request("GET", path("4:2", "heartbeat")).status, 404u);
  EXPECT_EQ(c.request("GET", path("42", "heartbeat")).status, 405u);
  EXPECT_EQ(c.request("POST", path("42", "heartbeat"), big).status, 401u);
  EXPECT_EQ(c.request("POST", path("42", "heartbeat"), big, alice).status, 413u);
  // the budget (1) is spent by the 413 above: 429 comes before the body is looked at
  EXPECT_EQ(c.request("POST", path("42", "heartbeat"), "{bad", alice).status, 429u);
  auto bob = token_for("2", "Bob");
  EXPECT_EQ(c.request("POST", path("42", "heartbeat"), "{bad", bob).status, 400u);
  auto carol = token_for("3", "Carol");
  EXPECT_EQ(c.request("POST", path("42", "heartbeat"), "{}", carol).status, 422u);
}

TEST_P(Errors, MalformedHttpIsAnsweredAndTheServerCarriesOn) {
  start();
  std::string out = raw_exchange(port(), "THIS IS NOT HTTP\r\n\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.1 400", 0), 0u) << out;
  EXPECT_NE(out.find(R"("success":false)"), std::string::npos);

  std::string huge_header = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20'000, 'a') + "\r\n\r\n";
  out = raw_exchange(port(), huge_header);
  EXPECT_EQ(out.rfind("HTTP/1.1 431", 0), 0u) << out.substr(0, 100);

  // Half a request, then the client goes away.
  raw_exchange(port(), "POST /api/v1/presence/flow/1/heartbeat HTTP/1.1\r\nContent-Length: 50\r\n\r\n{\"ta", 200);
  // Bytes that never end a request head: the server waits for the rest (its read timeout).
  raw_exchange(port(), std::string("\0\x01\x02\xff garbage", 13), 200);
  expect_still_serving();
}

INSTANTIATE_TEST_SUITE_P(Stores, Errors, ::testing::ValuesIn(backends()), backend_name);

// Request smuggling: a body whose length a proxy in front could read otherwise must not
// be served as the next request on the connection. (HTTP framing: one store suffices.)
std::size_t responses_in(const std::string& out) {
  std::size_t n = 0;
  for (auto at = out.find("HTTP/1.1 "); at != std::string::npos; at = out.find("HTTP/1.1 ", at + 1)) ++n;
  return n;
}

TEST(HttpFraming, ATransferEncodingNotEndingInChunkedIs400AndCloses) {
  ServerProcess server({"--store", "memory", "--rate-limit", "0"});
  const std::string token = token_for("1", "Alice");
  const std::string smuggled = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  for (const char* coding : {"identity", "xchunked", "chunked, identity", "gzip", "chunked;q=1"}) {
    const std::string out = raw_exchange(server.port(),
        "POST /api/v1/presence/flow/1/heartbeat HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token +
            "\r\nContent-Type: application/json\r\nTransfer-Encoding: " + coding + "\r\n\r\n" + smuggled);
    EXPECT_EQ(out.rfind("HTTP/1.1 400", 0), 0u) << coding << ": " << out;
    EXPECT_EQ(responses_in(out), 1u) << coding << ": the body was served as a request:\n" << out;
  }
  // Chunked, the one coding a request may end in, still works.
  const std::string body = R"({"tab_id":"t1","mode":"view","dirty":false})";
  char size[16];
  std::snprintf(size, sizeof size, "%zx", body.size());
  const std::string out = raw_exchange(server.port(),
      "POST /api/v1/presence/flow/1/heartbeat HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token +
          "\r\nConnection: close\r\nTransfer-Encoding: gzip, chunked\r\n\r\n" + size + "\r\n" + body +
          "\r\n0\r\n\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.1 200", 0), 0u) << out;
  HttpClient c(server.port());
  EXPECT_EQ(c.request("GET", "/healthz").status, 200u);
}

TEST(HttpFraming, AHeaderFoldedOntoTheNextLineIs400) {
  ServerProcess server({"--store", "memory", "--rate-limit", "0"});
  for (const char* fold : {" ", "\t"}) {
    const std::string out = raw_exchange(server.port(), std::string("GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\r\n") +
                                                            fold + "b\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(out.rfind("HTTP/1.1 400", 0), 0u) << out;
    EXPECT_EQ(responses_in(out), 1u) << out;
  }
  // Split over several reads, the head is still seen whole.
  RawConnection raw(server.port());
  ASSERT_TRUE(raw.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\r\n"));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(raw.send(" b\r\n\r\n"));
  const std::string out = raw.read_until_closed();
  EXPECT_EQ(out.rfind("HTTP/1.1 400", 0), 0u) << out;
  HttpClient c(server.port());
  EXPECT_EQ(c.request("GET", "/healthz").status, 200u);
}

}  // namespace
}  // namespace presenced::testing
