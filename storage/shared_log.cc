#include "storage/shared_log.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <utility>

#include "storage/forwarding_storage.h"

namespace tally {
namespace {

constexpr uint64_t kFree = std::numeric_limits<uint64_t>::max();
constexpr size_t kMaxSpare = 2;

}  // namespace

// One reader's cursor: shares the window while it lines up with it, and once it does not, reads alone (through
// the real storage) for the rest of its life.
class SharedLog::SharedCursor final : public LogCursor {
 public:
  SharedCursor(SharedLog* log, size_t slot, uint64_t from)
      : log_(log), slot_(slot), next_(std::max<uint64_t>(from, 1)), end_(log->storage_->LogHead()) {
    log_->SetPosition(slot_, next_);
  }

  Status Read(size_t max_events, EventChunk* out) override {
    std::shared_ptr<const EventChunk> keep;
    const EventChunk* events = nullptr;
    Status s = ReadChunk(max_events, out, &keep, &events);
    if (s.ok() && events != out) *out = *events;
    return s;
  }

  Status ReadChunk(size_t max_events, EventChunk* scratch, std::shared_ptr<const EventChunk>* keep,
                   const EventChunk** events) override {
    keep->reset();
    *events = scratch;
    if (next_ > end_ || max_events == 0) {
      scratch->clear();
      return Status::Ok();
    }
    if (!alone_ && end_ == log_->head_) {
      std::shared_ptr<const EventChunk> chunk;
      if (Status s = log_->Take(slot_, next_, max_events, &chunk); !s.ok()) return s;
      if (chunk) {
        next_ = chunk->back().first + 1;
        *events = chunk.get();
        *keep = std::move(chunk);
        return Status::Ok();
      }
    }
    if (!alone_) alone_ = log_->storage_->ReadLog(next_);
    Status s = alone_->Read(max_events, scratch);
    if (s.ok() && !scratch->empty()) next_ = scratch->back().first + 1;
    log_->SetPosition(slot_, next_);
    std::lock_guard lock(log_->mu_);
    ++log_->stats_.reads_alone;
    return s;
  }

 private:
  SharedLog* log_;
  size_t slot_;
  uint64_t next_;  // the seq this cursor reads next
  uint64_t end_;   // the log head when the cursor was made: it reads no further
  std::unique_ptr<LogCursor> alone_;
};

// Everything but ReadLog goes to the real storage. Close leaves it open: it belongs to whoever made the SharedLog.
class SharedLog::ReaderStorage final : public ForwardingStorage {
 public:
  explicit ReaderStorage(SharedLog* log) : ForwardingStorage(log->storage_), log_(log), slot_(log->Register()) {}
  ~ReaderStorage() override { log_->Unregister(slot_); }

  std::unique_ptr<LogCursor> ReadLog(uint64_t from) override {
    return std::make_unique<SharedCursor>(log_, slot_, from);
  }
  Status Close() override { return Status::Ok(); }

 private:
  SharedLog* log_;
  size_t slot_;
};

SharedLog::SharedLog(Storage* storage, size_t window_chunks, std::chrono::milliseconds max_wait)
    : storage_(storage),
      window_chunks_(std::max<size_t>(window_chunks, 1)),
      max_wait_(max_wait),
      head_(storage->LogHead()) {}

std::unique_ptr<Storage> SharedLog::Reader() { return std::make_unique<ReaderStorage>(this); }

SharedLog::Stats SharedLog::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

size_t SharedLog::Register() {
  std::lock_guard lock(mu_);
  for (size_t slot = 0; slot < positions_.size(); ++slot) {
    if (positions_[slot] == kFree) {
      positions_[slot] = 0;
      return slot;
    }
  }
  positions_.push_back(0);
  return positions_.size() - 1;
}

void SharedLog::Unregister(size_t slot) {
  std::lock_guard lock(mu_);
  positions_[slot] = kFree;
  RetireLocked();
  changed_.notify_all();
}

void SharedLog::SetPosition(size_t slot, uint64_t next) {
  std::lock_guard lock(mu_);
  positions_[slot] = next;
  RetireLocked();
  changed_.notify_all();
}

bool SharedLog::WindowUnheldLocked() const {
  for (const Chunk& chunk : window_) {
    if (chunk.events.use_count() != 1) return false;
  }
  return true;
}

void SharedLog::RetireLocked() {
  uint64_t slowest = kFree;
  for (uint64_t position : positions_) slowest = std::min(slowest, position);
  while (!window_.empty() && window_.front().last < slowest) DropFrontLocked();
}

void SharedLog::DropFrontLocked() {
  std::shared_ptr<EventChunk> events = std::move(window_.front().events);
  window_.pop_front();
  // When nobody holds it any more, its vector (a few MiB of event records) serves the next read instead of
  // fresh memory that would fault in again.
  if (events.use_count() == 1 && spare_.size() < kMaxSpare) spare_.push_back(std::move(events));
}

Status SharedLog::Take(size_t slot, uint64_t next, size_t max_events, std::shared_ptr<const EventChunk>* out) {
  out->reset();
  std::unique_lock lock(mu_);
  std::optional<std::chrono::steady_clock::time_point> waited_since;
  for (;;) {
    for (const Chunk& chunk : window_) {
      if (chunk.first != next) continue;
      if (chunk.max_events != max_events) return Status::Ok();  // another chunk size: read alone
      *out = chunk.events;
      ++stats_.chunks_taken;
      // The reader is done with everything before this chunk (it released the last one it held) but holds this
      // one: the chunk stays in the window until the reader moves on, and then its vector is free for reuse.
      positions_[slot] = chunk.first;
      RetireLocked();
      changed_.notify_all();
      return Status::Ok();
    }
    if (!reading_ && !window_.empty() && next < window_.front().first && WindowUnheldLocked()) {
      // A reader went back behind the window, and nobody holds its chunks: they were kept only for readers yet
      // to reach them — the tail a view's live lane read before a rebuild restarts from seq 1, in tally replay
      // — and would keep every reader out of the window for the rest of the log. Drop them and start the window
      // here; whoever reaches them later reads them again.
      while (!window_.empty()) DropFrontLocked();
      ++stats_.restarts;
    }
    if (window_.empty() && !reading_ && next != source_next_) {
      source_.reset();  // every reader has passed the old frontier: start the window where this one is
      source_next_ = next;
    }
    const uint64_t frontier = window_.empty() ? source_next_ : window_.back().last + 1;
    if (next > frontier) {
      // Ahead of the window: the slower readers bring it here, and reading alone now would leave this reader
      // ahead of it for good (each reading the whole log) — so wait, as when the window is full, but never past
      // max_wait in all.
      if (!waited_since) {
        waited_since = std::chrono::steady_clock::now();
        ++stats_.waits;
      }
      if (changed_.wait_until(lock, *waited_since + max_wait_) == std::cv_status::timeout) return Status::Ok();
      continue;
    }
    if (next != frontier) return Status::Ok();  // behind the window: read alone
    if (reading_ || window_.size() >= window_chunks_) {
      // Another reader is reading this very chunk, or the window is full of chunks a slower reader still needs.
      if (!reading_) ++stats_.waits;
      if (changed_.wait_for(lock, max_wait_) == std::cv_status::timeout) return Status::Ok();
      continue;
    }
    reading_ = true;
    std::shared_ptr<EventChunk> events;
    if (!spare_.empty()) {
      events = std::move(spare_.back());
      spare_.pop_back();
    } else {
      events = std::make_shared<EventChunk>();
    }
    lock.unlock();
    if (!source_) source_ = storage_->ReadLog(next);
    // Never past the SharedLog's head, whatever the source's own bound: every sharing cursor ends there.
    const size_t limit = static_cast<size_t>(std::min<uint64_t>(max_events, head_ - next + 1));
    Status read = source_->Read(limit, events.get());
    lock.lock();
    reading_ = false;
    changed_.notify_all();
    if (!read.ok()) {
      source_.reset();
      source_next_ = 0;
      return read;
    }
    if (events->empty() || events->size() < limit) {
      // The log ended early (it cannot, below the head): leave the window as it is and let the reader find out.
      source_.reset();
      source_next_ = 0;
      return Status::Ok();
    }
    window_.push_back(Chunk{next, events->back().first, max_events, std::move(events)});
    source_next_ = window_.back().last + 1;
    ++stats_.chunks_read;
    stats_.max_window = std::max(stats_.max_window, window_.size());
  }
}

}  // namespace tally
