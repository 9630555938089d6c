#pragma once
// Delivers webhooks (docs/webhooks.md) from a thread of its own: a server thread that
// sees a record become occupied or vacant only builds the event and queues it, so a slow
// or dead receiver never holds a request.
//
// One delivery at a time, in the order the events were queued (a receiver sees a record's
// occupied before its vacated), over one kept-alive connection. A failed attempt
// (no connection, a timeout, 408, 429 or 5xx) is retried with doubling pauses; another 4xx
// is the receiver refusing the event, which is not retried. The queue is bounded: when a
// receiver is down long enough to fill it, the oldest event of the tenant with the most
// events waiting goes first, counted: one tenant's flood cannot push out another's events.

#include "presence/clock.hpp"
#include "store/presence_store.hpp"
#include "webhook/webhook_url.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <atomic>
#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>

namespace presenced::webhook {

struct WebhookOptions {
  WebhookTarget target;
  std::string secret;
  std::size_t queue_limit = 10'000;
  int max_attempts = 8;  // pauses 0.5, 1, 2, 4, 8, 16, 30 s: about a minute of trying
  std::chrono::milliseconds first_retry{500};
  std::chrono::milliseconds max_retry{30'000};
  std::chrono::milliseconds timeout{5'000};  // each attempt: connect, send and answer
};

class WebhookSender final : public store::OccupancyObserver {
 public:
  WebhookSender(WebhookOptions options, const presence::Clock& clock);
  ~WebhookSender() override;
  WebhookSender(const WebhookSender&) = delete;
  WebhookSender& operator=(const WebhookSender&) = delete;

  void start();
  // Tries once more each event still queued, for at most `grace`, then ends the thread.
  void stop(std::chrono::milliseconds grace);

  // Any thread: builds the event and queues it.
  void on_occupancy(presence::RecordRef record, store::Occupancy change) override;

 private:
  struct Event {
    std::string id;
    store::Occupancy change;
    std::string body;
    std::string tenant;
  };

  void enqueue(Event event);
  // Out of the queue: the front (for delivery), or the oldest of the busiest tenant.
  Event take(std::deque<Event>::iterator at);
  void drop_for_room();
  boost::asio::awaitable<void> run();
  boost::asio::awaitable<void> deliver(const Event& event);
  // The status the receiver answered, or 0 when it could not be asked.
  boost::asio::awaitable<unsigned> attempt(const Event& event);
  boost::asio::awaitable<boost::system::error_code> connect();
  template <class Stream>
  boost::asio::awaitable<unsigned> exchange(Stream& stream, const Event& event, boost::system::error_code& ec);
  bool connected() const { return plain_.has_value() || secure_.has_value(); }
  void disconnect();

  WebhookOptions options_;
  const presence::Clock& clock_;
  std::string id_prefix_;  // random per process: ids stay unique across nodes and restarts
  std::atomic<std::uint64_t> sequence_{0};

  // Everything below belongs to the sender's thread.
  boost::asio::io_context io_;
  boost::asio::ssl::context tls_;
  boost::asio::steady_timer wake_;   // waits for the queue; cancelled by enqueue and stop
  boost::asio::steady_timer pause_;  // between attempts; cancelled by stop
  boost::asio::steady_timer give_up_;  // the end of stop()'s grace
  std::deque<Event> queue_;
  std::unordered_map<std::string, std::size_t> waiting_;  // queued events by tenant
  bool stopping_ = false;
  std::uint64_t dropped_ = 0;    // queue full, since start (for the log's pace)
  std::uint64_t abandoned_ = 0;  // failed their one attempt at shutdown
  std::optional<boost::beast::tcp_stream> plain_;
  std::optional<boost::beast::ssl_stream<boost::beast::tcp_stream>> secure_;
  boost::beast::flat_buffer buffer_;
  std::thread thread_;
};

}  // namespace presenced::webhook
