// MemoryFoldState: a FoldState over a plain hash map, nothing committed anywhere. For timing or trying a
// processor's Apply without storage (tally replay's cost estimate, benchmarks). Not thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "processors/processor.h"

namespace tally {

class MemoryFoldState final : public FoldState {
 public:
  std::optional<std::string_view> Get(std::string_view key) override {
    auto it = rows_.find(std::string(key));
    if (it == rows_.end()) return std::nullopt;
    return std::string_view(it->second);
  }
  void Put(std::string_view key, std::string value) override { rows_[std::string(key)] = std::move(value); }
  void Delete(std::string_view key) override { rows_.erase(std::string(key)); }
  size_t size() const { return rows_.size(); }

 private:
  std::unordered_map<std::string, std::string> rows_;
};

}  // namespace tally
