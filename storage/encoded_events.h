// EncodedEvents: validated events on their way into the log, already in their stored form. The thread that
// validates them (a TCP io thread, an HTTP session, `tally import`) encodes each one as it goes, so a batch is
// one buffer of its dedup keys and compact values (~120 bytes an event of loadgen's mix) instead of a vector of
// 1 144-byte `Event`s (whose pages the writer freed and the next batch faulted in again), and the group-commit
// writer only reads keys and copies bytes.
//
// Threading: none; built by one thread, then handed to storage whole.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"

namespace tally {

class EncodedEvents {
 public:
  EncodedEvents() = default;
  explicit EncodedEvents(const std::vector<Event>& events);

  // Room for `events` more events of about `bytes_per_event` bytes each (key and value). The default leaves room
  // for text and properties; reserved pages that are never written cost no resident memory.
  void Reserve(size_t events, size_t bytes_per_event = 320);
  // Appends one event: its dedup key and its log value.
  void Add(const Event& event);

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  // Event i's dedup key (storage_keys::DedupKey: store_id, a 0 byte, event_id) and log value
  // (EncodeStoredEvent). Valid while the batch lives and is not added to.
  std::string_view dedup_key(size_t i) const {
    return std::string_view(bytes_).substr(entries_[i].begin, entries_[i].key_size);
  }
  std::string_view value(size_t i) const {
    return std::string_view(bytes_).substr(entries_[i].begin + entries_[i].key_size, entries_[i].value_size);
  }

 private:
  struct Entry {
    size_t begin = 0;  // in bytes_: the dedup key, then the value
    uint32_t key_size = 0;
    uint32_t value_size = 0;
  };
  std::string bytes_;
  std::vector<Entry> entries_;
};

}  // namespace tally
