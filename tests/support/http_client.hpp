#pragma once
// A small blocking HTTP/1.1 client over a real socket, for integration tests.

#include <boost/json/value.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace presenced::testing {

struct HttpResponse {
  unsigned status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  boost::json::value json() const;
  std::string header(const std::string& lower_name) const;
};

class HttpClient {
 public:
  explicit HttpClient(std::uint16_t port);
  ~HttpClient();

  // One request on the client's keep-alive connection (reconnecting when the server
  // closed it). `token` becomes "Authorization: Bearer <token>" when not empty.
  HttpResponse request(const std::string& method, const std::string& target, const std::string& body = "",
                       const std::string& token = "",
                       const std::map<std::string, std::string>& headers = {});

 private:
  struct Connection;
  std::uint16_t port_;
  std::unique_ptr<Connection> conn_;
};

// Sends `bytes` on a fresh connection and returns what comes back until the server closes
// or `timeout_ms` passes.
std::string raw_exchange(std::uint16_t port, const std::string& bytes, int timeout_ms = 10'000);

// The secret every test server is started with (--jwt-secret wants 32 bytes or more).
inline constexpr const char* kTestSecret = "test-secret-of-at-least-thirty-two-bytes";

// A token for `user` in `tenant`, signed with the test secret.
std::string token_for(const std::string& user, const std::string& name, const std::string& tenant = "1",
                      std::int64_t ttl_s = 3600, const std::string& secret = kTestSecret);
// The same, with a `scope` claim of these patterns (tenant "1", an hour).
std::string scoped_token_for(const std::string& user, const std::string& name, std::vector<std::string> scope);

}  // namespace presenced::testing
