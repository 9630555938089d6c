#pragma once
// The host app's response envelope (BaseApiController):
//   {"success":true,"data":{...}}   and   {"success":false,"message":"...","errors":{...}}
// Every answer presenced gives, errors included, goes through these functions.

#include "http/response.hpp"
#include "presence/types.hpp"
#include "presence/validation.hpp"
#include "service/outcome.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace presenced::http::envelope {

void success_registered(Response& res);
void success_unregistered(Response& res);
// {"viewers":[...],"count":{"users":U,"tabs":T}}: a page of the list and the record's totals.
void success_viewers(Response& res, const std::vector<presence::Viewer>& viewers, const presence::Totals& totals);
void success_saved(Response& res);
// {"removed":N}: the tabs a user removal took away.
void success_removed(Response& res, std::size_t tabs);
// The server API's record detail: {"viewers":[...],"tabs":[{"tab_id",...,"last_seen_at"}]}.
void success_record_detail(Response& res, const std::vector<presence::Viewer>& viewers,
                           const std::vector<presence::TabDetail>& tabs);
// The bulk query: {"records":[{"type":...,"id":...,"count":N,"viewers":[...]}, ...]}, in
// the order asked; `records` holds (type, id) pairs.
void success_bulk_viewers(Response& res, const std::vector<std::pair<std::string, std::string>>& records,
                          const std::vector<std::vector<presence::Viewer>>& viewers);
void success_token(Response& res, std::string_view token);
void health(Response& res, bool ok);

void error(Response& res, unsigned status, std::string_view message);
// 413 for a body over `limit` bytes (declared, or found while reading it).
void body_too_large(Response& res, std::size_t limit);
void validation_error(Response& res, const presence::ValidationErrors& errors);
// A refusal of the presence service, as its row says (service/outcome.hpp).
void outcome(Response& res, service::Outcome refusal);

}  // namespace presenced::http::envelope
