// The "files" view (CONTRACT §3.8): the AI processing summary of each shell file, from pass_completed. The
// latest event of each pass counts for every field, except processing_started_at / _completed_at, which span
// every pass_completed of the file (retries included).
//
// Key layout, under StoreKey(store_id, 'P') (processors/view_codec.h): AppendOrderedString(shell_file_id) ->
// FileRecord, so a prefix scan lists files in shell_file_id order.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "processors/processor.h"
#include "processors/view_reader.h"

namespace tally {

class FilesProcessor final : public Processor {
 public:
  static constexpr std::string_view kName = "files";
  std::string_view name() const override { return kName; }
  void Apply(uint64_t seq, const Event& event, FoldState& state) override;
};

// True for the five processing_status values (`failed`, `complete_pipeline`, `pass1_pass2`, `pass1_only`,
// `pending`): callers validate a status filter with it.
bool IsFileStatus(std::string_view status);

// One file's summary with `as_of_seq`. Errors: kNotFound when the store has no pass_completed for it;
// storage read failures.
Result<std::string> FileJson(const ViewReader& view, std::string_view store_id, std::string_view shell_file_id);

// `{"as_of_seq", "files": [...], "next_cursor"}` in shell_file_id order, at most `limit` (REQUIRES limit >= 1)
// files whose processing_status is `status` (any when nullopt), after `cursor`. Errors: kBadParameter for a
// cursor this view did not make; storage read failures.
Result<std::string> FilesJson(const ViewReader& view, std::string_view store_id, std::optional<std::string_view> status,
                              size_t limit, std::optional<std::string_view> cursor);

}  // namespace tally
