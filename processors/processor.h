// The processor contract (STYLE rule 6): a processor is a deterministic fold of (seq, event, its own state)
// into its own view rows. No I/O, no wall clock, no other view's state. The runner (processors/runner.h) owns
// offsets, chunking and the atomic commit of rows + offset.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/event.h"

namespace tally {

// A processor's key-value state during one chunk. Keys are relative to the processor's own keyspace (the
// runner prefixes them with the view name and generation). Reads see the chunk's own earlier writes first,
// then the last committed state. Writes become visible to queries only when the runner commits the chunk,
// together with the new offset.
class FoldState {
 public:
  virtual ~FoldState() = default;
  // The row's value, nullopt when absent. A view of the state's own copy, valid until the next call on this
  // state: decode it before reading or writing another key (no copy per read).
  virtual std::optional<std::string_view> Get(std::string_view key) = 0;
  virtual void Put(std::string_view key, std::string value) = 0;
  virtual void Delete(std::string_view key) = 0;
  // Read-modify-write of one row: `edit` gets the current value (nullopt: absent) and changes it in place; the
  // result is then written like Put, or like Delete when edit leaves nullopt. The default is Get + Put, which
  // copies the value once; a state that holds the row in memory may override it to let edit change its own
  // copy, so editing a large row (conversation_metrics' day histogram, up to tens of KB) copies nothing.
  virtual void Update(std::string_view key, const std::function<void(std::optional<std::string>&)>& edit) {
    std::optional<std::string> value;
    if (std::optional<std::string_view> current = Get(key)) value.emplace(*current);
    edit(value);
    if (value) {
      Put(key, std::move(*value));
    } else {
      Delete(key);
    }
  }
};

class Processor {
 public:
  virtual ~Processor() = default;
  // Stable view name ("daily_metrics", "quality", ...): used in offsets, /v1/admin/status and rebuild.
  virtual std::string_view name() const = 0;
  // Folds one event. Must depend only on (seq, event, state): replaying the log gives the same rows.
  virtual void Apply(uint64_t seq, const Event& event, FoldState& state) = 0;
  // The version of the view's state layout (its keys and value encodings). Bump it whenever rows written by
  // an older build would be misread: on open, a view whose stored layout differs is dropped and refolded from
  // the log (ViewEngine::Open). Views written before layouts were recorded count as layout 1.
  virtual uint32_t layout_version() const { return 1; }
};

}  // namespace tally
