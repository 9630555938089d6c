#include "pusher/pusher_thread.hpp"

#include "runtime/check.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/websocket.hpp>

namespace presenced::pusher {
namespace asio = boost::asio;
namespace beast = boost::beast;

PusherThread::PusherThread(const PusherOptions& options, const Apps& apps, fanout::NamedChannels& channels,
                           service::TimerSource& timers, runtime::EventThread& thread, std::uint32_t node,
                           service::PresenceService& service, fanout::Hub& hub)
    : options_(options),
      apps_(apps),
      thread_(thread),
      // Ticks often enough to ping on time (a tenth of the activity timeout) and to renew the
      // presence channels' tabs on time (half the renewal period), at least a second apart.
      keep_alive_(thread, timers,
                  std::max(std::chrono::milliseconds(1000),
                           std::min(std::chrono::duration_cast<std::chrono::milliseconds>(options.activity_timeout) / 10,
                                    options.renew_every / 2))),
      context_{options, channels, timers, thread, keep_alive_, node, service, hub} {}

PusherThread::~PusherThread() { stop(); }

void PusherThread::going_away() { keep_alive_.going_away(); }

void PusherThread::stop() {
  PRESENCED_CHECK(!thread_.running(), "the keep-alive list is let go once its thread has stopped");
  keep_alive_.stop();
}

const App* PusherThread::app_of(const http::Request& request) const {
  std::string_view target = request.target();
  target = target.substr(0, target.find('?'));
  constexpr std::string_view kPrefix = "/app/";
  if (!target.starts_with(kPrefix)) return nullptr;
  return apps_.by_key(target.substr(kPrefix.size()));
}

namespace {

template <class Socket>
asio::awaitable<void> accept_and_start(Socket ws, const http::Request& request, const PusherContext& context,
                                       const App* app, http::ConnectionSlot slot) {
  websocket::prepare(ws, context.options.max_message_bytes);
  auto [accept_ec] = co_await ws.async_accept(request, asio::as_tuple(asio::use_awaitable));
  if (accept_ec) co_return;
  auto session = std::make_shared<BasicPusherSession<Socket>>(std::move(ws), context, app, std::move(slot));
  session->start(request[beast::http::field::origin]);
}

}  // namespace

asio::awaitable<void> PusherThread::upgrade(asio::ip::tcp::socket socket, const http::Request& request,
                                            presence::Identity, http::ConnectionSlot slot) {
  PRESENCED_CHECK(thread_.running_here(), "a socket is upgraded on the thread that accepted it");
  auto tcp = websocket::adopt(std::move(socket), thread_.executor());
  if (!tcp) co_return;
  co_await accept_and_start(websocket::PlainSocket(std::move(*tcp)), request, context_, app_of(request),
                            std::move(slot));
}

asio::awaitable<void> PusherThread::upgrade_tls(http::TlsStream stream, const http::Request& request,
                                                presence::Identity, http::ConnectionSlot slot) {
  PRESENCED_CHECK(thread_.running_here(), "a socket is upgraded on the thread that accepted it");
  beast::get_lowest_layer(stream).expires_never();
  co_await accept_and_start(websocket::TlsSocket(std::move(stream)), request, context_, app_of(request),
                            std::move(slot));
}

}  // namespace presenced::pusher
