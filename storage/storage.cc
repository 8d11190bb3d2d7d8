#include "storage/storage.h"

#include <algorithm>
#include <future>

namespace tally {
namespace {

class ReadEventsCursor final : public LogCursor {
 public:
  ReadEventsCursor(Storage* storage, uint64_t from)
      : storage_(storage), next_(std::max<uint64_t>(from, 1)), end_(storage->LogHead()) {}

  Status Read(size_t max_events, std::vector<std::pair<uint64_t, Event>>* out) override {
    out->clear();
    if (next_ > end_) return Status::Ok();
    Status s = storage_->ReadEvents(next_, std::min<uint64_t>(max_events, end_ - next_ + 1), out);
    if (s.ok() && !out->empty()) next_ = out->back().first + 1;
    return s;
  }

 private:
  Storage* storage_;
  uint64_t next_;
  uint64_t end_;
};

}  // namespace

std::unique_ptr<LogCursor> Storage::ReadLog(uint64_t from) { return std::make_unique<ReadEventsCursor>(this, from); }

AppendResult Storage::AppendAndWait(const std::vector<Event>& events, std::vector<QuarantineEntry> rejects) {
  std::promise<AppendResult> promise;
  auto future = promise.get_future();
  Append(events, std::move(rejects), [&promise](AppendResult result) { promise.set_value(std::move(result)); });
  return future.get();
}

}  // namespace tally
