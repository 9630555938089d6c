#pragma once
// A webhook receiver for tests: a real HTTP server on a loopback port that keeps every
// request it gets (every attempt), answering 200 unless told otherwise.

#include <boost/json/object.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace presenced::testing {

struct ReceivedWebhook {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  boost::json::object json() const;
  std::string header(const std::string& name) const;
};

// A certificate and key (PEM files) the receiver serves HTTPS with.
struct ReceiverTls {
  std::string cert, key;
};

class WebhookReceiver {
 public:
  WebhookReceiver();
  explicit WebhookReceiver(const ReceiverTls& tls);
  ~WebhookReceiver();
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  std::uint16_t port() const { return port_; }
  // http://127.0.0.1:PORT/..., or with TLS https://localhost:PORT/... (the name on the
  // certificate).
  std::string url(const std::string& path = "/hooks") const;

  // The next `count` requests are answered `status` (then 200 again).
  void answer_next(unsigned status, std::size_t count = 1);
  // While held, requests are kept without an answer (a receiver that hangs).
  void hold(bool held);

  std::vector<ReceivedWebhook> received();
  // Waits until at least `count` requests have come (or `timeout` passes).
  bool wait_for(std::size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(30));

 private:
  void accept_loop();
  void serve(std::shared_ptr<void> socket);
  template <class Stream>
  void exchange(Stream& stream);

  struct State;
  std::unique_ptr<State> state_;
  std::uint16_t port_ = 0;
  std::thread acceptor_;
};

// The hex HMAC-SHA256 signature a receiver expects: "v1=" + hex(HMAC(secret, ts "." body)).
std::string expected_signature(const std::string& secret, const std::string& timestamp, const std::string& body);

}  // namespace presenced::testing
