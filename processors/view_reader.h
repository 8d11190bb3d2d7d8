// ViewReader: a query's consistent, read-only window onto one view's rows. Wraps a storage snapshot and the
// key prefix of the view's serving generation, so query code uses the same relative keys the processor wrote.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "storage/storage.h"

namespace tally {

// The smallest string greater than every string with this prefix ("" if none exists: scan to the end).
std::string PrefixSuccessor(std::string_view prefix);

class ViewReader {
 public:
  // snapshot must outlive the reader. prefix: the view generation's key prefix; as_of_seq: the view's offset
  // in that snapshot.
  ViewReader(const StateSnapshot* snapshot, std::string prefix, uint64_t as_of_seq)
      : snapshot_(snapshot), prefix_(std::move(prefix)), as_of_seq_(as_of_seq) {}

  uint64_t as_of_seq() const { return as_of_seq_; }

  Result<std::optional<std::string>> Get(std::string_view key) const {
    return snapshot_->Get(prefix_ + std::string(key));
  }
  // fn(relative_key, value) for relative keys in [start, end) in order, until fn returns false. An empty end
  // means "to the end of this view".
  Status Scan(std::string_view start, std::string_view end,
              const std::function<bool(std::string_view, std::string_view)>& fn) const {
    std::string abs_end = end.empty() ? PrefixSuccessor(prefix_) : prefix_ + std::string(end);
    size_t n = prefix_.size();
    return snapshot_->Scan(prefix_ + std::string(start), abs_end,
                           [&](std::string_view k, std::string_view v) { return fn(k.substr(n), v); });
  }
  Status ScanPrefix(std::string_view prefix, const std::function<bool(std::string_view, std::string_view)>& fn) const {
    std::string end = PrefixSuccessor(prefix);
    return Scan(prefix, end, fn);
  }

 private:
  const StateSnapshot* snapshot_;
  std::string prefix_;
  uint64_t as_of_seq_;
};

inline std::string PrefixSuccessor(std::string_view prefix) {
  std::string s(prefix);
  while (!s.empty()) {
    unsigned char c = static_cast<unsigned char>(s.back());
    if (c != 0xFF) {
      s.back() = static_cast<char>(c + 1);
      return s;
    }
    s.pop_back();
  }
  return s;
}

}  // namespace tally
