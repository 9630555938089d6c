#pragma once
// The host app's own questions, under /api/v1/server/ (with --server-key): reading their
// bodies. Not the browser's hot path: the body is parsed into a document.

#include "presence/validation.hpp"

#include <boost/json/value.hpp>

#include <string>
#include <utility>
#include <vector>

namespace presenced::http {

// POST /api/v1/server/presence/query
//   {"tenant_id":1,"records":[{"type":"flow","id":"42"}, ...]}   (1 to kMaxBulkRecords)
struct BulkQuery {
  std::string tenant;
  std::vector<std::pair<std::string, std::string>> records;  // type, id
};
void read_bulk_query(const boost::json::value& body, BulkQuery& out, presence::ValidationErrors& errors);

// `tenant_id` (here, and in the dev token endpoint): a non-negative integer, or a string
// that can be part of a key. Adds the error and returns false otherwise.
bool read_tenant_id(const boost::json::value* v, std::string& tenant, bool& is_number,
                    presence::ValidationErrors& errors);

}  // namespace presenced::http
