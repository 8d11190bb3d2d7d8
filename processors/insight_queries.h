// Query routes of the quality, content_gaps, files and usage views (CONTRACT §3.6–§3.9), in the QueryFn
// shape of processors/query.h (listed in its route table). Each parses and checks its parameters
// (kBadParameter naming the parameter), honours min_seq, reads one consistent snapshot of its view and
// returns the JSON body.
#pragma once

#include <string>

#include "core/status.h"
#include "processors/query.h"

namespace tally {

// GET /v1/stores/{store}/quality?from=D&to=D  (range at most kMaxRangeDays)
Result<std::string> QueryQuality(const ViewEngine& engine, const QueryArgs& args);
// GET /v1/stores/{store}/conversations/{conversation_id}  (kNotFound if no event named it)
Result<std::string> QueryConversation(const ViewEngine& engine, const QueryArgs& args);
// GET /v1/stores/{store}/content_gaps?status=S&limit=N&cursor=C  (limit 1..1000, default 100)
Result<std::string> QueryContentGaps(const ViewEngine& engine, const QueryArgs& args);
// GET /v1/stores/{store}/files/{shell_file_id}  (kNotFound without a pass_completed for it)
Result<std::string> QueryFile(const ViewEngine& engine, const QueryArgs& args);
// GET /v1/stores/{store}/files?status=S&limit=N&cursor=C
Result<std::string> QueryFiles(const ViewEngine& engine, const QueryArgs& args);
// GET /v1/stores/{store}/usage/daily?from=D&to=D  (range at most kMaxRangeDays)
Result<std::string> QueryUsageDaily(const ViewEngine& engine, const QueryArgs& args);
// GET /v1/stores/{store}/usage/monthly?month=YYYY-MM
Result<std::string> QueryUsageMonthly(const ViewEngine& engine, const QueryArgs& args);

}  // namespace tally
