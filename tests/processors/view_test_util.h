// In-memory fold state and snapshot for unit tests of single views: a processor folds events into a std::map,
// and queries read the same map through a ViewReader, without storage or the runner.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "processors/processor.h"
#include "processors/view_reader.h"
#include "storage/storage.h"

namespace tally::testing {

class MemoryViewState final : public FoldState, public StateSnapshot {
 public:
  // FoldState
  std::optional<std::string_view> Get(std::string_view key) override {
    auto it = rows_.find(std::string(key));
    if (it == rows_.end()) return std::nullopt;
    return std::string_view(it->second);
  }
  void Put(std::string_view key, std::string value) override { rows_[std::string(key)] = std::move(value); }
  void Delete(std::string_view key) override { rows_.erase(std::string(key)); }

  // StateSnapshot
  uint64_t Offset(std::string_view) const override { return offset_; }
  Result<std::optional<std::string>> Get(std::string_view key) const override {
    auto it = rows_.find(std::string(key));
    if (it == rows_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  Status Scan(std::string_view start, std::string_view end,
              const std::function<bool(std::string_view, std::string_view)>& fn) const override {
    for (auto it = rows_.lower_bound(std::string(start)); it != rows_.end(); ++it) {
      if (!end.empty() && it->first >= end) break;
      if (!fn(it->first, it->second)) break;
    }
    return Status::Ok();
  }

  // Folds events in order as seqs offset+1, offset+2, ...
  void Fold(Processor& processor, const std::vector<Event>& events) {
    for (const Event& e : events) processor.Apply(++offset_, e, *this);
  }
  ViewReader Reader() const { return ViewReader(this, "", offset_); }
  size_t size() const { return rows_.size(); }

 private:
  std::map<std::string, std::string> rows_;
  uint64_t offset_ = 0;
};

// Event builders: envelope first, then the type's fields set by the caller.
inline Event MakeEvent(EventType type, std::string_view store, std::string_view when) {
  static uint64_t next_id = 0;
  Event e;
  e.event_id = "e" + std::to_string(++next_id);
  e.type = type;
  e.store_id = std::string(store);
  e.occurred_at_ms = ParseRfc3339(when).value();
  return e;
}

}  // namespace tally::testing

namespace tally::testing {

// The raw JSON value text following the n-th (0-based) occurrence of "key": in json ("" if absent).
inline std::string ValueAfter(std::string_view json, std::string_view key, size_t n = 0) {
  std::string needle = "\"" + std::string(key) + "\":";
  size_t pos = 0;
  for (size_t i = 0;; ++i) {
    pos = json.find(needle, pos);
    if (pos == std::string_view::npos) return "";
    pos += needle.size();
    if (i == n) break;
  }
  size_t end = pos;
  if (end < json.size() && json[end] == '"') {
    end = json.find('"', end + 1) + 1;
  } else {
    while (end < json.size() && json[end] != ',' && json[end] != '}' && json[end] != ']') ++end;
  }
  return std::string(json.substr(pos, end - pos));
}

// The number after the n-th "key": (NaN when it is null or absent).
inline double NumberAfter(std::string_view json, std::string_view key, size_t n = 0) {
  std::string v = ValueAfter(json, key, n);
  if (v.empty() || v == "null") return std::numeric_limits<double>::quiet_NaN();
  return std::stod(v);
}

}  // namespace tally::testing
