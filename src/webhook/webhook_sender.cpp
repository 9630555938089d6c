#include "webhook/webhook_sender.hpp"

#include "metrics/metrics.hpp"
#include "webhook/webhook_event.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

namespace presenced::webhook {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

std::string random_prefix() {
  unsigned char bytes[8];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    const auto now = std::chrono::system_clock::now().time_since_epoch().count();
    for (std::size_t i = 0; i < sizeof bytes; ++i) bytes[i] = static_cast<unsigned char>(now >> (8 * i));
  }
  return to_hex(bytes, sizeof bytes) + "-";
}

// Worth another try: the receiver was not reached, was busy, or failed.
bool retryable(unsigned status) { return status == 0 || status == 408 || status == 429 || status >= 500; }

}  // namespace

WebhookSender::WebhookSender(WebhookOptions options, const presence::Clock& clock)
    : options_(std::move(options)),
      clock_(clock),
      id_prefix_(random_prefix()),
      tls_(asio::ssl::context::tls_client),
      wake_(io_),
      pause_(io_),
      give_up_(io_) {
  // The system's CAs (or SSL_CERT_FILE / SSL_CERT_DIR), and the name in the URL checked.
  tls_.set_default_verify_paths();
  tls_.set_verify_mode(asio::ssl::verify_peer);
}

WebhookSender::~WebhookSender() { stop(std::chrono::milliseconds(0)); }

void WebhookSender::start() {
  asio::co_spawn(io_, run(), asio::detached);
  thread_ = std::thread([this] { io_.run(); });
}

void WebhookSender::stop(std::chrono::milliseconds grace) {
  if (!thread_.joinable()) return;
  asio::post(io_, [this, grace] {
    stopping_ = true;
    wake_.cancel();
    pause_.cancel();
    // Whatever is still trying after the grace is abandoned with the thread.
    give_up_.expires_after(grace);
    give_up_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;  // run() finished first
      spdlog::warn("webhooks: {} events left unsent at shutdown", queue_.size() + 1);
      io_.stop();
    });
  });
  thread_.join();
}

void WebhookSender::on_occupancy(presence::RecordRef record, store::Occupancy change) {
  Event event{id_prefix_ + std::to_string(sequence_.fetch_add(1, std::memory_order_relaxed) + 1), change, {},
              std::string(record.tenant)};
  event.body = event_body(event.id, change, record, clock_.unix_ms());
  asio::post(io_, [this, event = std::move(event)]() mutable { enqueue(std::move(event)); });
}

void WebhookSender::enqueue(Event event) {
  if (queue_.size() >= options_.queue_limit) drop_for_room();
  ++waiting_[event.tenant];
  queue_.push_back(std::move(event));
  wake_.cancel();
}

WebhookSender::Event WebhookSender::take(std::deque<Event>::iterator at) {
  Event event = std::move(*at);
  queue_.erase(at);
  if (auto w = waiting_.find(event.tenant); w != waiting_.end() && --w->second == 0) waiting_.erase(w);
  return event;
}

// The oldest event of the tenant with the most events waiting goes: a tenant that floods
// the queue loses its own events, not another's. Linear in tenants and queue, but only
// while the queue is full (a receiver down for long).
void WebhookSender::drop_for_room() {
  const auto busiest = std::max_element(waiting_.begin(), waiting_.end(),
                                        [](const auto& a, const auto& b) { return a.second < b.second; });
  auto victim = queue_.begin();
  if (busiest != waiting_.end()) {
    victim = std::find_if(queue_.begin(), queue_.end(), [&](const Event& e) { return e.tenant == busiest->first; });
    if (victim == queue_.end()) victim = queue_.begin();
  }
  // Logged at the first drop and every thousandth: a receiver down for long drops one
  // event per event made (the metric counts each).
  if (dropped_++ % 1000 == 0) {
    spdlog::warn("webhooks: queue full ({} events): dropping the oldest of tenant {} ({} dropped so far)",
                 queue_.size(), victim->tenant, dropped_);
  }
  take(victim);
  metrics::add(metrics::Counter::webhooks_dropped);
}

asio::awaitable<void> WebhookSender::run() {
  for (;;) {
    while (queue_.empty()) {
      if (stopping_) {
        if (abandoned_ > 0) spdlog::warn("webhooks: {} events undelivered at shutdown", abandoned_);
        give_up_.cancel();
        co_return;  // the io_context runs out of work: the thread ends
      }
      wake_.expires_at(asio::steady_timer::time_point::max());
      co_await wake_.async_wait(use_tuple);
    }
    // Out of the queue while it is tried: a full queue drops one waiting, not this.
    const Event event = take(queue_.begin());
    co_await deliver(event);
  }
}

asio::awaitable<void> WebhookSender::deliver(const Event& event) {
  std::chrono::milliseconds pause = options_.first_retry;
  for (int tried = 1;; ++tried) {
    const unsigned status = co_await attempt(event);
    if (status >= 200 && status < 300) {
      metrics::add(metrics::Counter::webhooks_delivered);
      co_return;
    }
    if (!retryable(status)) {
      spdlog::warn("webhooks: {} refused {} with {}: not retried", options_.target.host_header, event.id, status);
      metrics::add(metrics::Counter::webhooks_failed);
      co_return;
    }
    if (tried >= options_.max_attempts || stopping_) {
      if (!stopping_) {  // at shutdown the count is logged once, not each event
        spdlog::warn("webhooks: giving up on {} after {} attempts (last: {})", event.id, tried,
                     status == 0 ? std::string("no answer") : std::to_string(status));
      } else {
        ++abandoned_;
      }
      metrics::add(metrics::Counter::webhooks_failed);
      co_return;
    }
    spdlog::debug("webhooks: {} attempt {} failed ({}), again in {} ms", event.id, tried, status, pause.count());
    metrics::add(metrics::Counter::webhooks_retried);
    pause_.expires_after(pause);
    co_await pause_.async_wait(use_tuple);
    pause = std::min(pause * 2, options_.max_retry);
  }
}

asio::awaitable<unsigned> WebhookSender::attempt(const Event& event) {
  // A kept-alive connection the receiver has closed in the meantime fails at once: that
  // is not the receiver failing, so once more on a new connection.
  for (int round = 0; round < 2; ++round) {
    const bool reused = connected();
    if (!reused) {
      const boost::system::error_code ec = co_await connect();
      if (ec) {
        spdlog::debug("webhooks: cannot connect to {}: {}", options_.target.host_header, ec.message());
        co_return 0;
      }
    }
    boost::system::error_code ec;
    unsigned status = 0;
    if (plain_) status = co_await exchange(*plain_, event, ec);
    else status = co_await exchange(*secure_, event, ec);
    if (!ec) co_return status;
    disconnect();
    if (!reused) {
      spdlog::debug("webhooks: {} did not answer: {}", options_.target.host_header, ec.message());
      co_return 0;
    }
  }
  co_return 0;
}

asio::awaitable<boost::system::error_code> WebhookSender::connect() {
  const WebhookTarget& target = options_.target;
  asio::ip::tcp::resolver resolver(io_);
  auto [resolve_error, endpoints] = co_await resolver.async_resolve(target.host, target.port, use_tuple);
  if (resolve_error) co_return resolve_error;
  buffer_.clear();
  if (!target.tls) {
    plain_.emplace(io_);
    plain_->expires_after(options_.timeout);
    auto [ec, ep] = co_await plain_->async_connect(endpoints, use_tuple);
    if (ec) plain_.reset();
    co_return ec;
  }
  secure_.emplace(io_, tls_);
  // SNI, and the certificate must name the URL's host.
  SSL_set_tlsext_host_name(secure_->native_handle(), target.host.c_str());
  secure_->set_verify_callback(asio::ssl::host_name_verification(target.host));
  beast::get_lowest_layer(*secure_).expires_after(options_.timeout);
  auto [ec, ep] = co_await beast::get_lowest_layer(*secure_).async_connect(endpoints, use_tuple);
  if (!ec) std::tie(ec) = co_await secure_->async_handshake(asio::ssl::stream_base::client, use_tuple);
  if (ec) secure_.reset();
  co_return ec;
}

template <class Stream>
asio::awaitable<unsigned> WebhookSender::exchange(Stream& stream, const Event& event, boost::system::error_code& ec) {
  const std::string timestamp = std::to_string(clock_.unix_seconds());
  http::request<http::string_body> request{http::verb::post, options_.target.target, 11};
  request.set(http::field::host, options_.target.host_header);
  request.set(http::field::user_agent, "presenced/" PRESENCED_VERSION);
  request.set(http::field::content_type, "application/json");
  request.set("X-Presenced-Event", event_name(event.change));
  request.set("X-Presenced-Timestamp", timestamp);
  request.set("X-Presenced-Signature", signature(options_.secret, timestamp, event.body));
  request.keep_alive(true);
  request.body() = event.body;
  request.prepare_payload();

  beast::get_lowest_layer(stream).expires_after(options_.timeout);
  std::tie(ec, std::ignore) = co_await http::async_write(stream, request, use_tuple);
  if (ec) co_return 0;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024);  // the answer is not read; a receiver may not flood us
  std::tie(ec, std::ignore) = co_await http::async_read(stream, buffer_, parser, use_tuple);
  if (ec) co_return 0;
  const unsigned status = parser.get().result_int();
  if (!parser.get().keep_alive()) disconnect();
  co_return status;
}

void WebhookSender::disconnect() {
  plain_.reset();
  secure_.reset();
  buffer_.clear();
}

}  // namespace presenced::webhook
