// TLS (--tls-cert, --tls-key): the same API over HTTPS and WSS, with a certificate the
// test makes with the openssl command; and the flags' errors.
#include "integration/fixture.hpp"
#include "support/raw_connection.hpp"
#include "support/test_certificate.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/json/parse.hpp>

#include <csignal>
#include <cstdlib>
#include <filesystem>

namespace presenced::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

TestCertificate& certificate() { return test_certificate(); }

// One HTTPS request on a fresh connection; the server's certificate is not verified (it
// is the test's own).
struct HttpsAnswer {
  unsigned status = 0;
  std::string body;
};
HttpsAnswer https(std::uint16_t port, bhttp::verb method, const std::string& target, const std::string& body = "",
                  const std::string& token = "") {
  asio::io_context io;
  ssl::context ctx(ssl::context::tls_client);
  ctx.set_verify_mode(ssl::verify_none);
  beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(20));
  beast::get_lowest_layer(stream).connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  SSL_set_tlsext_host_name(stream.native_handle(), "localhost");
  stream.handshake(ssl::stream_base::client);
  bhttp::request<bhttp::string_body> req{method, target, 11};
  req.set(bhttp::field::host, "localhost");
  if (!token.empty()) req.set(bhttp::field::authorization, "Bearer " + token);
  if (!body.empty()) {
    req.set(bhttp::field::content_type, "application/json");
    req.body() = body;
  }
  req.prepare_payload();
  bhttp::write(stream, req);
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> res;
  bhttp::read(stream, buffer, res);
  return {res.result_int(), res.body()};
}

class Tls : public ApiTest {
 protected:
  ServerProcess& start_tls() {
    server_ = std::make_unique<ServerProcess>(std::vector<std::string>{
        "--store", GetParam().name == "memory" ? "memory" : store_args(GetParam())[1], "--rate-limit", "0",
        "--tls-cert", certificate().cert.string(), "--tls-key", certificate().key.string()});
    EXPECT_TRUE(eventually([&] { return https(port(), bhttp::verb::get, "/readyz").status == 200; }))
        << server_->output();
    return *server_;
  }
};

TEST_P(Tls, TheApiOverHttps) {
  start_tls();
  EXPECT_NE(server_->output().find("(TLS)"), std::string::npos);
  auto alice = token_for("1", "Alice"), bob = token_for("2", "Bob");
  auto hb = https(port(), bhttp::verb::post, path("1", "heartbeat"), tab("a1", "edit", true), alice);
  EXPECT_EQ(hb.status, 200u) << hb.body;
  auto list = https(port(), bhttp::verb::get, path("1", "viewers"), "", bob);
  ASSERT_EQ(list.status, 200u);
  auto viewers = boost::json::parse(list.body).at("data").at("viewers").as_array();
  ASSERT_EQ(viewers.size(), 1u);
  EXPECT_EQ(viewers[0].at("name").as_string(), "Alice");
  // Errors are the same envelope.
  auto refused = https(port(), bhttp::verb::get, path("1", "viewers"));
  EXPECT_EQ(refused.status, 401u);
  EXPECT_NE(refused.body.find(R"("success":false)"), std::string::npos);
}

TEST_P(Tls, PlainHttpOnATlsPortGetsNothingAndHarmsNoOne) {
  start_tls();
  RawConnection plain(port());
  ASSERT_TRUE(plain.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  const std::string answer = plain.read_until_closed();
  EXPECT_EQ(answer.find("HTTP/1.1 200"), std::string::npos) << answer;
  EXPECT_EQ(https(port(), bhttp::verb::get, "/healthz").status, 200u);
}

TEST_P(Tls, WebSocketsOverTlsGetEventsAndGoingAway) {
  ServerProcess& server = start_tls();
  asio::io_context io;
  ssl::context ctx(ssl::context::tls_client);
  ctx.set_verify_mode(ssl::verify_none);
  beast::websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws(io, ctx);
  beast::get_lowest_layer(ws).expires_after(std::chrono::seconds(20));
  beast::get_lowest_layer(ws).connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port()));
  ws.next_layer().handshake(ssl::stream_base::client);
  beast::get_lowest_layer(ws).expires_never();
  ws.set_option(beast::websocket::stream_base::timeout::suggested(beast::role_type::client));
  ws.handshake("localhost", "/api/v1/presence/ws?token=" + token_for("2", "Bob"));
  ws.write(asio::buffer(std::string(R"({"type":"subscribe","record_type":"flow","record_id":"4"})")));

  auto read_json = [&] {
    beast::flat_buffer b;
    ws.read(b);
    return boost::json::parse(beast::buffers_to_string(b.data()));
  };
  auto snapshot = read_json();
  EXPECT_EQ(snapshot.at("type").as_string(), "presence");
  EXPECT_TRUE(snapshot.at("viewers").as_array().empty());

  ASSERT_EQ(https(port(), bhttp::verb::post, path("4", "heartbeat"), tab("a1"), token_for("1", "Alice")).status, 200u);
  auto event = read_json();  // a diff: the event's parts written over TLS
  ASSERT_EQ(event.at("type").as_string(), "presence_diff");
  ASSERT_EQ(event.at("joined").as_array().size(), 1u);
  EXPECT_EQ(event.at("joined").as_array()[0].at("name").as_string(), "Alice");

  server.signal(SIGTERM);
  beast::flat_buffer b;
  beast::error_code ec;
  ws.read(b, ec);
  EXPECT_EQ(ec, beast::websocket::error::closed) << ec.message();
  EXPECT_EQ(ws.reason().code, beast::websocket::close_code::going_away);
  EXPECT_EQ(server.wait(), 0) << server.output();
}

INSTANTIATE_TEST_SUITE_P(Stores, Tls, ::testing::ValuesIn(backends()), backend_name);

TEST(TlsFlags, HalfAPairOrABadFileIsAOneLineFailure) {
  auto half = run_binary({"--jwt-secret", kSecret, "--tls-cert", certificate().cert.string()});
  EXPECT_EQ(half.exit_code, 2) << half.output;
  EXPECT_NE(half.output.find("--tls-cert and --tls-key go together"), std::string::npos) << half.output;

  auto missing = run_binary({"--jwt-secret", kSecret, "--listen", "127.0.0.1:0", "--tls-cert", "/nonexistent.pem",
                             "--tls-key", certificate().key.string()});
  EXPECT_EQ(missing.exit_code, 1) << missing.output;
  EXPECT_NE(missing.output.find("cannot use TLS: --tls-cert /nonexistent.pem"), std::string::npos) << missing.output;

  // A key that is not the certificate's.
  auto swapped = run_binary({"--jwt-secret", kSecret, "--listen", "127.0.0.1:0", "--tls-cert", certificate().cert.string(),
                             "--tls-key", certificate().cert.string()});
  EXPECT_EQ(swapped.exit_code, 1) << swapped.output;
  EXPECT_NE(swapped.output.find("cannot use TLS"), std::string::npos) << swapped.output;
}

}  // namespace
}  // namespace presenced::testing
