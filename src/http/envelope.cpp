#include "http/envelope.hpp"

#include "presence/json_text.hpp"

namespace presenced::http::envelope {

using presence::append_json_string;

void success_registered(Response& res) {
  res.status = 200;
  res.body.assign(R"({"success":true,"data":{"registered":true}})");
}

void success_unregistered(Response& res) {
  res.status = 200;
  res.body.assign(R"({"success":true,"data":{"unregistered":true}})");
}

void success_viewers(Response& res, const std::vector<presence::Viewer>& viewers) {
  res.status = 200;
  std::string& o = res.body;
  o.assign(R"({"success":true,"data":{"viewers":[)");
  bool first = true;
  for (const presence::Viewer& v : viewers) {
    if (!first) o += ',';
    first = false;
    presence::append_viewer(o, v);
  }
  o.append("]}}");
}

void success_bulk_viewers(Response& res, const std::vector<std::pair<std::string, std::string>>& records,
                          const std::vector<std::vector<presence::Viewer>>& viewers) {
  res.status = 200;
  std::string& o = res.body;
  o.assign(R"({"success":true,"data":{"records":[)");
  for (std::size_t i = 0; i < records.size() && i < viewers.size(); ++i) {
    if (i) o += ',';
    o.append(R"({"type":)");
    presence::append_json_string(o, records[i].first);
    o.append(R"(,"id":)");
    presence::append_json_string(o, records[i].second);
    o.append(R"(,"count":)").append(std::to_string(viewers[i].size())).append(R"(,"viewers":[)");
    for (std::size_t v = 0; v < viewers[i].size(); ++v) {
      if (v) o += ',';
      presence::append_viewer(o, viewers[i][v]);
    }
    o.append("]}");
  }
  o.append("]}}");
}

void success_saved(Response& res) {
  res.status = 200;
  res.body.assign(R"({"success":true,"data":{"saved":true}})");
}

void success_token(Response& res, std::string_view token) {
  res.status = 200;
  res.body.assign(R"({"success":true,"data":{"token":)");
  append_json_string(res.body, token);
  res.body.append("}}");
}

void health(Response& res, bool ok) {
  res.status = ok ? 200 : 503;
  res.body.assign(ok ? R"({"status":"ok"})" : R"({"status":"unavailable"})");
}

void body_too_large(Response& res, std::size_t limit) {
  error(res, 413, "The request body is larger than " + std::to_string(limit) + " bytes.");
}

void error(Response& res, unsigned status, std::string_view message) {
  res.status = status;
  res.body.assign(R"({"success":false,"message":)");
  append_json_string(res.body, message);
  res.body.append("}");
}

void validation_error(Response& res, const presence::ValidationErrors& errors) {
  error(res, 422, errors.summary());
  res.body.pop_back();
  res.body.append(R"(,"errors":{)");
  bool first_field = true;
  for (const auto& [field, messages] : errors.fields()) {
    if (!first_field) res.body += ',';
    first_field = false;
    append_json_string(res.body, field);
    res.body.append(":[");
    for (std::size_t i = 0; i < messages.size(); ++i) {
      if (i) res.body += ',';
      append_json_string(res.body, messages[i]);
    }
    res.body += ']';
  }
  res.body.append("}}");
}

}  // namespace presenced::http::envelope
