#include "http/server_api.hpp"

#include "store/presence_store.hpp"

namespace presenced::http {
namespace {

const boost::json::value* member(const boost::json::object* obj, std::string_view name) {
  const auto* v = obj ? obj->if_contains(name) : nullptr;
  return v && !v->is_null() ? v : nullptr;
}

// A record's type or id: a segment, given as a string (or, for an id, a number).
bool read_segment(const boost::json::value* v, std::string& out) {
  if (v && v->is_int64() && v->get_int64() >= 0) {
    out = std::to_string(v->get_int64());
    return true;
  }
  if (v && v->is_string() && presence::is_valid_segment(v->get_string())) {
    out.assign(v->get_string());
    return true;
  }
  return false;
}

}  // namespace

bool read_tenant_id(const boost::json::value* v, std::string& tenant, bool& is_number,
                    presence::ValidationErrors& errors) {
  if (!v) {
    errors.add("tenant_id", "The tenant id field is required.");
    return false;
  }
  if (read_segment(v, tenant)) {
    is_number = v->is_int64();
    return true;
  }
  errors.add("tenant_id", "The tenant id field must be a non-negative integer or 1 to 64 of [A-Za-z0-9_-].");
  return false;
}

void read_bulk_query(const boost::json::value& body, BulkQuery& out, presence::ValidationErrors& errors) {
  const auto* obj = body.if_object();
  bool tenant_is_number = false;
  read_tenant_id(member(obj, "tenant_id"), out.tenant, tenant_is_number, errors);

  const auto* records = member(obj, "records");
  if (!records || (records->is_array() && records->get_array().empty())) {
    errors.add("records", "The records field is required.");
    return;
  }
  if (!records->is_array()) {
    errors.add("records", "The records field must be an array.");
    return;
  }
  const auto& list = records->get_array();
  if (list.size() > store::kMaxBulkRecords) {
    errors.add("records", "The records field must not have more than " + std::to_string(store::kMaxBulkRecords) +
                              " items.");
    return;
  }
  out.records.reserve(list.size());
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto* record = list[i].if_object();
    std::pair<std::string, std::string> ref;
    const std::string at = "records." + std::to_string(i);
    if (!read_segment(member(record, "type"), ref.first)) {
      errors.add(at + ".type", "The " + at + ".type field must be 1 to 64 of [A-Za-z0-9_-].");
    }
    if (!read_segment(member(record, "id"), ref.second)) {
      errors.add(at + ".id", "The " + at + ".id field must be a non-negative integer or 1 to 64 of [A-Za-z0-9_-].");
    }
    out.records.push_back(std::move(ref));
  }
}

}  // namespace presenced::http
