// ForwardingStorage: a Storage that hands every call to another one. A decorator derives from it and overrides
// only what it changes (SharedLog's readers their log cursors, tests their injected failures), so a change to
// the Storage interface is made here once rather than in every wrapper.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/storage.h"

namespace tally {

class ForwardingStorage : public Storage {
 public:
  // target must outlive this object.
  explicit ForwardingStorage(Storage* target) : target_(target) {}

  void AppendEncoded(EncodedEvents events, std::vector<QuarantineEntry> rejects,
                     std::function<void(AppendResult)> done) override {
    target_->AppendEncoded(std::move(events), std::move(rejects), std::move(done));
  }
  Status TryAppendEncoded(EncodedEvents&& events, std::vector<QuarantineEntry>&& rejects,
                          std::function<void(AppendResult)>&& done) override {
    return target_->TryAppendEncoded(std::move(events), std::move(rejects), std::move(done));
  }
  uint64_t LogHead() const override { return target_->LogHead(); }
  void SetAppendListener(std::function<void(uint64_t head)> listener) override {
    target_->SetAppendListener(std::move(listener));
  }
  Status ReadEvents(uint64_t from, size_t max_events, EventChunk* out) override {
    return target_->ReadEvents(from, max_events, out);
  }
  std::unique_ptr<LogCursor> ReadLog(uint64_t from) override { return target_->ReadLog(from); }
  Result<std::optional<uint64_t>> FindEvent(std::string_view store_id, std::string_view event_id) override {
    return target_->FindEvent(store_id, event_id);
  }
  Result<QuarantinePage> ReadQuarantine(std::string_view store_id, size_t limit,
                                        std::optional<std::string_view> cursor) override {
    return target_->ReadQuarantine(store_id, limit, cursor);
  }
  std::unique_ptr<StateSnapshot> Snapshot() override { return target_->Snapshot(); }
  std::unique_ptr<StateSnapshot> CommittedState() override { return target_->CommittedState(); }
  Status CommitState(const StateWrite& write) override { return target_->CommitState(write); }
  Status Close() override { return target_->Close(); }
  std::vector<std::pair<std::string, uint64_t>> SizesByColumnFamily() override {
    return target_->SizesByColumnFamily();
  }
  std::vector<std::pair<std::string, uint64_t>> MemoryUsage() override { return target_->MemoryUsage(); }
  StorageStats Stats() const override { return target_->Stats(); }

 protected:
  Storage* target() const { return target_; }

 private:
  Storage* target_;
};

}  // namespace tally
