#include "storage/storage.h"

#include <future>

namespace tally {

AppendResult Storage::AppendAndWait(std::vector<Event> events, std::vector<QuarantineEntry> rejects) {
  std::promise<AppendResult> promise;
  auto future = promise.get_future();
  Append(std::move(events), std::move(rejects), [&promise](AppendResult result) { promise.set_value(std::move(result)); });
  return future.get();
}

}  // namespace tally
