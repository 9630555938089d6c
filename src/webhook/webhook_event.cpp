#include "webhook/webhook_event.hpp"

#include "presence/iso8601.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace presenced::webhook {

std::string_view event_name(store::Occupancy change) {
  return change == store::Occupancy::occupied ? "record.occupied" : "record.vacated";
}

std::string event_body(std::string_view id, store::Occupancy change, const presence::RecordRef& record,
                       std::int64_t occurred_unix_ms) {
  boost::json::object o;
  o["id"] = id;
  o["event"] = event_name(change);
  const bool number = !record.tenant.empty() && record.tenant.size() < 16 &&
                      record.tenant.find_first_not_of("0123456789") == std::string_view::npos &&
                      (record.tenant.size() == 1 || record.tenant.front() != '0');
  if (number) o["tenant_id"] = std::stoll(std::string(record.tenant));
  else o["tenant_id"] = record.tenant;
  o["record_type"] = record.type;
  o["record_id"] = record.id;
  o["occurred_at"] = presence::Iso8601(occurred_unix_ms).view();
  return boost::json::serialize(o);
}

std::string signature(std::string_view secret, std::string_view timestamp, std::string_view body) {
  std::string message;
  message.reserve(timestamp.size() + 1 + body.size());
  message.append(timestamp).append(".").append(body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &length);
  return "v1=" + to_hex(mac, length);
}

std::string to_hex(const unsigned char* bytes, std::size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * size);
  for (std::size_t i = 0; i < size; ++i) {
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 15];
  }
  return out;
}

}  // namespace presenced::webhook
