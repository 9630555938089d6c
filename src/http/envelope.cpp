#include "http/envelope.hpp"

#include "presence/iso8601.hpp"
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

void success_viewers(Response& res, const std::vector<presence::Viewer>& viewers, const presence::Totals& totals) {
  res.status = 200;
  std::string& o = res.body;
  o.assign(R"({"success":true,"data":{"viewers":[)");
  bool first = true;
  for (const presence::Viewer& v : viewers) {
    if (!first) o += ',';
    first = false;
    presence::append_viewer(o, v);
  }
  // The tail in one append: `],"count":{...}}}`.
  char tail[2 + presence::kCountTextMax + 2];
  char* p = presence::write_count(tail + 2, totals);
  tail[0] = ']';
  tail[1] = ',';
  *p++ = '}';
  *p++ = '}';
  o.append(tail, static_cast<std::size_t>(p - tail));
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

void success_record_detail(Response& res, const std::vector<presence::Viewer>& viewers,
                           const std::vector<presence::TabDetail>& tabs) {
  res.status = 200;
  std::string& o = res.body;
  o.assign(R"({"success":true,"data":{"viewers":[)");
  for (std::size_t i = 0; i < viewers.size(); ++i) {
    if (i) o += ',';
    presence::append_viewer(o, viewers[i]);
  }
  o.append(R"(],"tabs":[)");
  for (std::size_t i = 0; i < tabs.size(); ++i) {
    const presence::TabDetail& t = tabs[i];
    if (i) o += ',';
    o.append(R"({"tab_id":)");
    presence::append_json_string(o, t.tab_id);
    o.append(R"(,"user_id":)");
    if (t.user_id_is_number) o.append(t.user_id);
    else presence::append_json_string(o, t.user_id);
    o.append(R"(,"user_name":)");
    presence::append_json_string(o, t.user_name);
    o.append(t.mode == presence::Mode::edit ? R"(,"mode":"edit")" : R"(,"mode":"view")");
    o.append(t.dirty ? R"(,"dirty":true)" : R"(,"dirty":false)");
    o.append(t.activity == presence::Activity::idle ? R"(,"activity":"idle")" : R"(,"activity":"active")");
    o.append(R"(,"active_field":)");
    if (t.field.empty()) o.append("null");
    else presence::append_json_string(o, t.field);
    o.append(R"(,"lock_version":)");
    if (t.lock_version == presence::kNoLockVersion) o.append("null");
    else o.append(std::to_string(t.lock_version));
    o.append(R"(,"last_seen_at":")").append(presence::Iso8601(t.last_seen_ms).view()).append(R"("})");
  }
  o.append("]}}");
}

void success_removed(Response& res, std::size_t tabs) {
  res.status = 200;
  res.body.assign(R"({"success":true,"data":{"removed":)").append(std::to_string(tabs)).append("}}");
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

void outcome(Response& res, service::Outcome refusal) {
  const service::OutcomeText t = service::text_of(refusal);
  if (t.http_field.empty()) return error(res, t.http_status, t.http_message);
  presence::ValidationErrors errors;
  errors.add(t.http_field, std::string(t.http_message));
  validation_error(res, errors);
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
