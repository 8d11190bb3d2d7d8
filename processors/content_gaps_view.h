// The "content_gaps" view (CONTRACT §3.7): knowledge look-ups whose confidence fell below the store's
// gap_confidence_threshold (the value in force at that log position, default 0.5), grouped by normalised
// topic, with the topic's review status.
//
// Key layout, under StoreKey(store_id, kind) (processors/view_codec.h):
//   'T'                     -> the threshold in force (double)
//   'G' topic               -> GapRecord (also kept for a status change on a topic with no hit yet)
//   'F' ~frequency topic    -> status byte: the list order (frequency descending, then normalised topic),
//                              only for topics with at least one hit
// topic is AppendOrderedString(normalised topic); ~frequency is the big-endian complement of the count.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/event.h"
#include "core/status.h"
#include "processors/processor.h"
#include "processors/view_reader.h"

namespace tally {

class ContentGapsProcessor final : public Processor {
 public:
  static constexpr std::string_view kName = "content_gaps";
  std::string_view name() const override { return kName; }
  void Apply(uint64_t seq, const Event& event, FoldState& state) override;
};

// The topic key: ASCII lower-case, ASCII white space trimmed and inner runs of it collapsed to one space.
std::string NormaliseTopic(std::string_view topic);
// The displayed spelling: trimmed and collapsed like the key, case kept.
std::string CollapseTopic(std::string_view topic);

// `{"as_of_seq", "gaps": [...], "next_cursor"}`: at most `limit` gaps (REQUIRES 1 <= limit) with the given
// status (any when nullopt), after `cursor` (a previous page's next_cursor). next_cursor is null on the last
// page. Errors: kBadParameter for a cursor this view did not make; storage read failures.
Result<std::string> ContentGapsJson(const ViewReader& view, std::string_view store_id, std::optional<GapStatus> status,
                                    size_t limit, std::optional<std::string_view> cursor);

}  // namespace tally
