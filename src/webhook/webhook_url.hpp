#pragma once
// Where webhooks go: an http:// or https:// URL, split once at startup into what each
// delivery needs.

#include <optional>
#include <string>
#include <string_view>

namespace presenced::webhook {

struct WebhookTarget {
  bool tls = false;
  std::string host;    // as the URL names it: DNS name, IPv4, or IPv6 without brackets
  std::string port;    // the URL's, or 80 / 443
  std::string target;  // path and query, at least "/"
  std::string host_header;  // Host: as the URL gave it (with a non-default port)
};

// The target of `url`, or none with `error` saying why (not http(s), no host, a fragment,
// user info: credentials belong in the signature, not the URL).
std::optional<WebhookTarget> parse_webhook_url(std::string_view url, std::string& error);

}  // namespace presenced::webhook
