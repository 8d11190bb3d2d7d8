#include "storage/encoded_events.h"

#include "core/event_codec.h"
#include "storage/keys.h"

namespace tally {

EncodedEvents::EncodedEvents(const std::vector<Event>& events) {
  Reserve(events.size());
  for (const Event& event : events) Add(event);
}

void EncodedEvents::Reserve(size_t events, size_t bytes_per_event) {
  entries_.reserve(entries_.size() + events);
  bytes_.reserve(bytes_.size() + events * bytes_per_event);
}

void EncodedEvents::Add(const Event& event) {
  Entry entry;
  entry.begin = bytes_.size();
  storage_keys::AppendDedupKey(event.store_id, event.event_id, &bytes_);
  entry.key_size = static_cast<uint32_t>(bytes_.size() - entry.begin);
  AppendStoredEvent(event, &bytes_);
  entry.value_size = static_cast<uint32_t>(bytes_.size() - entry.begin - entry.key_size);
  entries_.push_back(entry);
}

}  // namespace tally
