// SharedLog: one read of the event log for several readers that walk it in step. `tally replay --threads N`
// rebuilds each group of views with its own engine on its own thread, and each engine used to read and decode
// the whole log itself: a quarter of a replay's CPU, paid once per thread.
//
// Each reader gets its own Storage (Reader()) that forwards everything to the real storage except ReadLog, whose
// cursors take their chunks from a common window: the first reader to need the next chunk of the log reads and
// decodes it (outside the lock) and publishes it, and the others fold the same read-only events (LogCursor::
// ReadChunk hands them out without a copy). A chunk leaves the window once every registered reader has read past
// it (and let go of it). The window holds at most `window_chunks` chunks: a reader that gets that far ahead of the
// slowest one waits for it — which gives the slower thread the core — but never longer than `max_wait`, after which it
// reads on by itself; so does a reader whose next chunk lies beyond the window's end, until the others bring the
// window there. A reader that goes back behind the window when no reader holds any of its chunks drops them and
// starts the window where it is (in tally replay each engine first folds the tail its views had not folded, then
// rebuilds from seq 1). Memory stays bounded and no reader can stall another for good.
//
// Sharing is an optimisation, never a condition for correctness: a cursor that does not line up with the window
// (another start or chunk size, or made after the log head moved past the head the SharedLog was made at) reads
// alone, through the real storage, exactly as it would without a SharedLog.
//
// Threading: Reader() and the readers' cursors may be used from any threads. The SharedLog must outlive its
// readers, and the real storage must outlive both.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "storage/storage.h"

namespace tally {

class SharedLog {
 public:
  struct Stats {
    uint64_t chunks_read = 0;   // chunks read and decoded into the window: each once, for every reader
    uint64_t chunks_taken = 0;  // chunks readers took from the window (chunks_read of them by their reader)
    uint64_t reads_alone = 0;   // Read calls served by a reader's own storage cursor instead
    uint64_t waits = 0;         // times a reader ahead of the window waited for the slowest
    size_t max_window = 0;      // the most chunks the window held
    uint64_t restarts = 0;      // times a reader behind the window dropped its unheld chunks to start it anew
  };

  // window_chunks: a runner's chunk of 4 096 events is ~5 MiB decoded. On a 570 K-event replay with 2 threads,
  // windows of 2, 3, 4 and 8 chunks replayed equally fast within the noise; peak RSS grew ~15 MiB from 2 to 4
  // and the leader waited ~24, 18 and 2 times. 3 keeps the memory low and the waits few.
  explicit SharedLog(Storage* storage, size_t window_chunks = 3,
                     std::chrono::milliseconds max_wait = std::chrono::milliseconds(200));
  SharedLog(const SharedLog&) = delete;
  SharedLog& operator=(const SharedLog&) = delete;

  // A storage for one more reader, registered from now until it is destroyed: the window keeps every chunk
  // it has not read yet (from the log's start, until its first cursor says where it starts).
  std::unique_ptr<Storage> Reader();

  Stats stats() const;

 private:
  class ReaderStorage;
  class SharedCursor;
  struct Chunk {
    uint64_t first = 0, last = 0;  // the seqs of its first and last event
    size_t max_events = 0;         // what its reader asked for: only a read of the same size shares it
    std::shared_ptr<EventChunk> events;
  };

  size_t Register();
  void Unregister(size_t slot);
  // The first seq the reader in `slot` still needs (the chunk it holds, or what it reads next); chunks every
  // reader is done with leave the window.
  void SetPosition(size_t slot, uint64_t next);
  // The chunk of up to max_events events starting at seq `next`, from the window (read into it first when
  // `next` is its frontier), in *out; *out empty when the reader must read alone.
  Status Take(size_t slot, uint64_t next, size_t max_events, std::shared_ptr<const EventChunk>* out);
  void RetireLocked();
  void DropFrontLocked();           // takes the window's first chunk out, keeping its vector for reuse
  bool WindowUnheldLocked() const;  // no reader holds any chunk of the window

  Storage* const storage_;
  const size_t window_chunks_;
  const std::chrono::milliseconds max_wait_;
  const uint64_t head_;  // the log head when the SharedLog was made: the end of every shared read

  mutable std::mutex mu_;
  std::condition_variable changed_;                 // a chunk was published or retired, or a read of one ended
  std::deque<Chunk> window_;                        // contiguous, in log order
  std::unique_ptr<LogCursor> source_;               // reads the window's next chunk; used by one reader at a time
  uint64_t source_next_ = 0;                        // the seq source_ reads next (0: no source yet)
  bool reading_ = false;                            // a reader is reading the next chunk outside the lock
  std::vector<std::shared_ptr<EventChunk>> spare_;  // retired chunks' vectors, reused for the next reads
  std::vector<uint64_t> positions_;                 // per reader slot: the first seq it still needs (kFree: no reader)
  Stats stats_;
};

}  // namespace tally
