// Helpers shared by the storage tests: small events and an opened Storage in a temporary directory.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "storage/storage.h"
#include "tests/testing/tally_process.h"

namespace tally::storage_test {

inline Event MakeEvent(std::string store, std::string id, std::string conversation = "c1") {
  Event e;
  e.event_id = std::move(id);
  e.type = EventType::kConversationStarted;
  e.store_id = std::move(store);
  e.occurred_at_ms = 1'780'000'000'000;
  e.conversation_id = std::move(conversation);
  e.customer_id = "cust";
  return e;
}

inline std::vector<Event> MakeEvents(const std::string& store, const std::string& prefix, int n) {
  std::vector<Event> events;
  for (int i = 0; i < n; ++i) events.push_back(MakeEvent(store, prefix + std::to_string(i)));
  return events;
}

inline StorageOptions OptionsFor(const std::string& path) {
  StorageOptions options;
  options.path = path;
  return options;
}

inline std::unique_ptr<Storage> OpenOrDie(const StorageOptions& options) {
  auto storage = Storage::Open(options);
  EXPECT_TRUE(storage.ok()) << storage.status().ToString();
  if (!storage.ok()) return nullptr;
  return std::move(storage).value();
}

// Every event of the log, in order.
inline std::vector<std::pair<uint64_t, Event>> ReadAll(Storage& storage) {
  std::vector<std::pair<uint64_t, Event>> all, chunk;
  uint64_t from = 1;
  while (true) {
    Status s = storage.ReadEvents(from, 1000, &chunk);
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (!s.ok() || chunk.empty()) break;
    from = chunk.back().first + 1;
    for (auto& item : chunk) all.push_back(std::move(item));
  }
  return all;
}

}  // namespace tally::storage_test
