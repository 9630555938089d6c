#include "support/http_client.hpp"

#include "auth/jwt.hpp"
#include "presence/clock.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>

#include <algorithm>
#include <cctype>

namespace presenced::testing {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

struct HttpClient::Connection {
  asio::io_context context;
  beast::tcp_stream stream{context};
  beast::flat_buffer buffer;
};

boost::json::value HttpResponse::json() const { return boost::json::parse(body); }

std::string HttpResponse::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

HttpClient::HttpClient(std::uint16_t port) : port_(port) {}
HttpClient::~HttpClient() = default;

HttpResponse HttpClient::request(const std::string& method, const std::string& target, const std::string& body,
                                 const std::string& token, const std::map<std::string, std::string>& headers) {
  for (int attempt = 0;; ++attempt) {
    if (!conn_) {
      conn_ = std::make_unique<Connection>();
      conn_->stream.expires_after(std::chrono::seconds(30));
      conn_->stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
    }
    bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), target, 11};
    req.set(bhttp::field::host, "127.0.0.1");
    if (!token.empty()) req.set(bhttp::field::authorization, "Bearer " + token);
    for (auto& [k, v] : headers) req.set(k, v);
    if (!body.empty() || method == "POST" || method == "DELETE") {
      req.set(bhttp::field::content_type, "application/json");
      req.body() = body;
      req.prepare_payload();
    }
    try {
      conn_->stream.expires_after(std::chrono::seconds(30));
      bhttp::write(conn_->stream, req);
      bhttp::response<bhttp::string_body> res;
      bhttp::read(conn_->stream, conn_->buffer, res);
      HttpResponse out;
      out.status = res.result_int();
      out.body = res.body();
      for (auto& f : res) {
        std::string name(f.name_string());
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
        out.headers[name] = std::string(f.value());
      }
      if (!res.keep_alive()) conn_.reset();
      return out;
    } catch (const std::exception&) {
      conn_.reset();  // the server closed a kept-alive connection: once more on a new one
      if (attempt > 0) throw;
    }
  }
}

std::string raw_exchange(std::uint16_t port, const std::string& bytes, int timeout_ms) {
  asio::io_context context;
  beast::tcp_stream stream(context);
  stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  stream.expires_after(std::chrono::milliseconds(timeout_ms));
  asio::write(stream, asio::buffer(bytes));
  std::string out;
  char buf[4096];
  // Asynchronous reads: tcp_stream's deadline holds only for them (a synchronous
  // read_some waits for the server to close, however long its own timeouts are).
  for (;;) {
    boost::system::error_code ec;
    std::size_t n = 0;
    stream.expires_after(std::chrono::milliseconds(timeout_ms));
    stream.async_read_some(asio::buffer(buf), [&](boost::system::error_code e, std::size_t got) {
      ec = e;
      n = got;
    });
    context.restart();
    context.run();
    out.append(buf, n);
    if (ec) break;
  }
  return out;
}

namespace {
auth::TokenClaims claims_for(const std::string& user, const std::string& name, const std::string& tenant,
                                   std::int64_t ttl_s) {
  auth::TokenClaims c;
  c.user_id = user;
  c.user_id_is_number = !user.empty() && user.find_first_not_of("0123456789") == std::string::npos;
  c.name = name;
  c.tenant = tenant;
  c.tenant_is_number = !tenant.empty() && tenant.find_first_not_of("0123456789") == std::string::npos;
  c.issued_at = presence::SystemClock().unix_seconds();
  c.expires_at = c.issued_at + ttl_s;
  return c;
}
}  // namespace

std::string token_for(const std::string& user, const std::string& name, const std::string& tenant, std::int64_t ttl_s,
                      const std::string& secret) {
  return auth::JwtCodec(secret).sign(claims_for(user, name, tenant, ttl_s));
}

std::string scoped_token_for(const std::string& user, const std::string& name, std::vector<std::string> scope) {
  auth::TokenClaims c = claims_for(user, name, "1", 3600);
  c.scope = std::move(scope);
  return auth::JwtCodec(kTestSecret).sign(c);
}

}  // namespace presenced::testing
