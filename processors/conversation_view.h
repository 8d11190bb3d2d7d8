// Conversation detail (CONTRACT §3.6), served from the "quality" view's state (processors/quality_state.h).
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "processors/view_reader.h"

namespace tally {

// The detail answer of one conversation, with `as_of_seq`; daily_analysis is derived with the store's latest
// csi_weights in the reader's snapshot. Errors: kNotFound if no event ever named the conversation (in this
// store); storage read failures.
Result<std::string> ConversationJson(const ViewReader& view, std::string_view store_id,
                                     std::string_view conversation_id);

}  // namespace tally
