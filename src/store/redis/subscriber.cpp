#include "store/redis/subscriber.hpp"

#include "store/redis/notice.hpp"

#include <boost/asio/post.hpp>

namespace presenced::store::redis {
namespace asio = boost::asio;

Subscriber::Subscriber(asio::io_context& context, RedisEndpoint endpoint, ConnectionOptions options,
                       ChangeObserver* observer)
    : context_(context), connection_(context, std::move(endpoint), [&] {
        options.scripts.clear();  // nothing to run here
        return std::move(options);
      }()),
      observer_(observer) {
  connection_.on_message = [this](std::string_view channel, std::string_view payload) { deliver(channel, payload); };
  connection_.on_state_change = [this](bool up) {
    if (up) resubscribe_all();
  };
}

void Subscriber::start() { connection_.start(); }

void Subscriber::watch(std::string channel) {
  asio::post(context_, [this, channel = std::move(channel)]() mutable {
    if (++watched_[channel] == 1) connection_.send(Command().arg("SUBSCRIBE").arg(channel));
  });
}

void Subscriber::unwatch(std::string channel) {
  asio::post(context_, [this, channel = std::move(channel)] {
    auto it = watched_.find(channel);
    if (it == watched_.end() || --it->second > 0) return;
    connection_.send(Command().arg("UNSUBSCRIBE").arg(channel));
    watched_.erase(it);
  });
}

void Subscriber::resubscribe_all() {
  for (const auto& [channel, count] : watched_) {
    connection_.send(Command().arg("SUBSCRIBE").arg(channel));
    // Whatever happened while we could not hear it: look again.
    if (auto record = record_of_channel(channel); record && observer_) {
      observer_->on_change({*record, {}, nullptr, ChangeKind::updated});
    }
  }
}

void Subscriber::deliver(std::string_view channel, std::string_view payload) {
  auto record = record_of_channel(channel);
  if (!record || !observer_) return;
  if (payload == "changed") {
    observer_->on_change({*record, {}, nullptr, ChangeKind::updated});
  } else if (auto notice = decode_saved_notice(payload)) {
    notice->by.tenant = std::string(record->tenant);
    observer_->on_change({*record, {}, &notice->by, ChangeKind::saved, notice->lock_version});
  }
}

}  // namespace presenced::store::redis
