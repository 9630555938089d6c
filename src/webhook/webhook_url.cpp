#include "webhook/webhook_url.hpp"

#include <boost/url/parse.hpp>

namespace presenced::webhook {

std::optional<WebhookTarget> parse_webhook_url(std::string_view url, std::string& error) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) {
    error = "not an absolute URL";
    return std::nullopt;
  }
  const boost::urls::url_view& u = *parsed;
  WebhookTarget t;
  if (u.scheme() == "https") t.tls = true;
  else if (u.scheme() != "http") {
    error = "the scheme must be http or https";
    return std::nullopt;
  }
  if (u.has_userinfo()) {
    error = "no user or password in the URL: the receiver checks the signature";
    return std::nullopt;
  }
  t.host = u.encoded_host_address();
  if (t.host.size() > 2 && t.host.front() == '[') t.host = t.host.substr(1, t.host.size() - 2);
  if (t.host.empty()) {
    error = "no host";
    return std::nullopt;
  }
  t.port = u.has_port() ? std::string(u.port()) : t.tls ? "443" : "80";
  if (t.port.empty()) {
    error = "an empty port";
    return std::nullopt;
  }
  t.target = u.encoded_path().empty() ? "/" : std::string(u.encoded_path());
  if (u.has_query()) t.target += "?" + std::string(u.encoded_query());
  t.host_header = u.encoded_host_and_port();
  return t;
}

}  // namespace presenced::webhook
