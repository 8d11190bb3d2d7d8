// Request-target parsing for the HTTP API: percent-decoding, path segments, the query string and store ids.
// Typed validation of parameters (dates, ranges, limits) lives with the query API (processors/query.h), which
// every front end shares; this file only decodes. Failures are kBadParameter naming what is wrong (§4).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace tally::net {

using ParamMap = std::map<std::string, std::string, std::less<>>;

// Decodes %XX escapes (and '+' as space when plus_is_space, for query strings). nullopt on a bad escape.
std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space);

// Splits "/a/b%2Fc/d" into decoded segments {"a", "b/c", "d"}; a trailing '/' adds no segment. A path that
// does not start with '/' or has a bad escape is kBadParameter.
Result<std::vector<std::string>> SplitPath(std::string_view path);

// Decodes "a=1&b=x%20y" into {a: "1", b: "x y"}. A name given twice is kBadParameter naming it (which one
// was meant is ambiguous); "a" alone means a = "".
Result<ParamMap> ParseQueryString(std::string_view query);

// A store id is 1–128 bytes of [A-Za-z0-9_.:-] (CONTRACT §1.1).
bool IsValidStoreId(std::string_view store_id);

}  // namespace tally::net
