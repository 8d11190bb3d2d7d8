#include "processors/row_store.h"

namespace tally {

RowStore::RowStore(size_t clean_bytes) : capacity_(clean_bytes) {}

uint32_t RowStore::Lookup(std::string_view key, uint64_t hash) const {
  if (slots_.empty()) return kNone;
  const size_t mask = slots_.size() - 1;
  const uint32_t low = static_cast<uint32_t>(hash);
  for (size_t pos = low & mask;; pos = (pos + 1) & mask) {
    const Slot& slot = slots_[pos];
    if (slot.row == 0) return kNone;
    if (slot.hash == low && At(slot.row - 1).key == key) return slot.row - 1;
  }
}

uint32_t RowStore::Insert(std::string_view key, uint64_t hash) {
  if ((live_rows_ + 1) * 2 > slots_.size()) Grow();
  uint32_t index;
  if (free_.empty()) {
    if (row_count_ == blocks_.size() * kBlockRows) blocks_.push_back(std::make_unique<Row[]>(kBlockRows));
    index = row_count_++;
  } else {
    index = free_.back();
    free_.pop_back();
  }
  Row& row = At(index);
  row.key.assign(key);
  row.hash = hash;
  row.chunk = chunk_;
  const size_t mask = slots_.size() - 1;
  const uint32_t low = static_cast<uint32_t>(hash);
  size_t pos = low & mask;
  while (slots_[pos].row != 0) pos = (pos + 1) & mask;
  slots_[pos] = Slot{low, index + 1};
  ++live_rows_;
  return index;
}

// Backward-shift deletion: later slots of the probe run move up into the hole unless their home lies after it,
// so look-ups never need tombstones. The row is found by index, not by key: Abandon erases rows whose keys
// TakeDirty moved out.
void RowStore::Erase(uint32_t index) {
  const size_t mask = slots_.size() - 1;
  size_t hole = static_cast<uint32_t>(At(index).hash) & mask;
  while (slots_[hole].row != index + 1) hole = (hole + 1) & mask;
  for (size_t next = (hole + 1) & mask; slots_[next].row != 0; next = (next + 1) & mask) {
    size_t home = slots_[next].hash & mask;
    if (((next - home) & mask) >= ((next - hole) & mask)) {
      slots_[hole] = slots_[next];
      hole = next;
    }
  }
  slots_[hole].row = 0;
  At(index) = Row{};  // releases the key and value
  free_.push_back(index);
  --live_rows_;
}

void RowStore::Grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.empty() ? 1024 : old.size() * 2, Slot{0, 0});
  const size_t mask = slots_.size() - 1;
  for (const Slot& slot : old) {
    if (slot.row == 0) continue;
    size_t pos = slot.hash & mask;
    while (slots_[pos].row != 0) pos = (pos + 1) & mask;
    slots_[pos] = slot;
  }
}

void RowStore::LinkFront(uint32_t index) {
  Row& row = At(index);
  row.prev = kNone;
  row.next = head_;
  if (head_ != kNone) At(head_).prev = index;
  head_ = index;
  if (tail_ == kNone) tail_ = index;
}

void RowStore::Unlink(uint32_t index) {
  Row& row = At(index);
  (row.prev != kNone ? At(row.prev).next : head_) = row.next;
  (row.next != kNone ? At(row.next).prev : tail_) = row.prev;
  row.prev = row.next = kNone;
}

// A row moves to the front of the LRU once per chunk, however often the chunk uses it: ordering at chunk
// granularity is all eviction needs, and it saves relinking hot rows on every read.
void RowStore::Touch(uint32_t index) {
  Row& row = At(index);
  if (row.chunk == chunk_) return;
  row.chunk = chunk_;
  if (row.dirty) return;
  Unlink(index);
  LinkFront(index);
}

// Stops at the first row the current chunk used: everything in front of it was used by this chunk too.
void RowStore::EvictToFit() {
  while (clean_bytes_ > capacity_ && tail_ != kNone && At(tail_).chunk != chunk_) {
    uint32_t index = tail_;
    clean_bytes_ -= Cost(At(index));
    Unlink(index);
    Erase(index);
  }
}

void RowStore::EndChunk() {
  ++chunk_;
  EvictToFit();
}

RowStore::Handle RowStore::Find(std::string_view key, uint64_t hash) {
  uint32_t index = Lookup(key, hash);
  if (index != kNone) Touch(index);
  return index;
}

RowStore::Handle RowStore::AddClean(std::string_view key, uint64_t hash, std::optional<std::string> value) {
  uint32_t index = Insert(key, hash);
  Row& row = At(index);
  row.committed = value ? Known::kPresent : Known::kAbsent;
  row.value = std::move(value);
  clean_bytes_ += Cost(row);
  LinkFront(index);
  EvictToFit();
  return index;
}

void RowStore::MakeDirty(uint32_t index) {
  Row& row = At(index);
  if (row.dirty) return;
  clean_bytes_ -= Cost(row);
  Unlink(index);
  row.dirty = true;
  row.chunk = chunk_;
  dirty_.push_back(index);
}

RowStore::Handle RowStore::Writable(std::string_view key) {
  uint64_t hash = Hash(key);
  uint32_t index = Lookup(key, hash);
  if (index != kNone) {
    MakeDirty(index);
    return index;
  }
  index = Insert(key, hash);  // written blind: what is committed is unknown
  At(index).dirty = true;
  dirty_.push_back(index);
  return index;
}

RowStore::Handle RowStore::Put(std::string_view key, std::string value, bool track) {
  Handle row = Writable(key);
  PutAt(row, std::move(value), track);
  return row;
}

void RowStore::PutAt(Handle index, std::string value, bool track) {
  MakeDirty(index);
  Row& row = At(index);
  row.value = std::move(value);
  row.track = track;
}

RowStore::Handle RowStore::Delete(std::string_view key) {
  Handle row = Writable(key);
  At(row).value.reset();
  return row;
}

std::optional<std::string>& RowStore::Edit(Handle index, bool track) {
  MakeDirty(index);
  At(index).track = track;
  return At(index).value;
}

void RowStore::DeleteAt(Handle index) {
  MakeDirty(index);
  At(index).value.reset();
}

// Two passes so the write's puts and deletes each stay in dirty_ order, which Committed walks again. A deletion
// of a row known to be absent from the committed state changes nothing and is not written.
void RowStore::TakeDirty(StateWrite* write, WrittenKeys* written) {
  first_put_ = write->puts.size();
  first_delete_ = write->deletes.size();
  taken_.clear();
  write->puts.reserve(write->puts.size() + dirty_.size());
  for (uint32_t index : dirty_) {
    Row& row = At(index);
    if (!row.value) continue;
    // A key already present in a tracked generation was added when it was first written.
    if (written != nullptr && row.track && row.committed != Known::kPresent) written->AddHash(row.hash);
    write->puts.emplace_back(std::move(row.key), std::move(*row.value));
    taken_.push_back(index);
  }
  for (uint32_t index : dirty_) {
    Row& row = At(index);
    if (row.value || row.committed == Known::kAbsent) continue;
    write->deletes.push_back(std::move(row.key));
    taken_.push_back(index);
  }
}

void RowStore::Committed(StateWrite& write) {
  size_t put = first_put_, del = first_delete_;
  for (uint32_t index : taken_) {
    Row& row = At(index);
    if (row.value) {
      row.key = std::move(write.puts[put].first);
      *row.value = std::move(write.puts[put].second);
      ++put;
    } else {
      row.key = std::move(write.deletes[del++]);
    }
  }
  for (uint32_t index : dirty_) {
    Row& row = At(index);
    row.dirty = false;
    row.committed = row.value ? Known::kPresent : Known::kAbsent;
    clean_bytes_ += Cost(row);
    LinkFront(index);
  }
  dirty_.clear();
  taken_.clear();
  EndChunk();
}

void RowStore::Abandon() {
  for (uint32_t index : dirty_) Erase(index);
  dirty_.clear();
  taken_.clear();
  EndChunk();
}

void RowStore::Clear() {
  std::vector<Slot>().swap(slots_);
  std::vector<std::unique_ptr<Row[]>>().swap(blocks_);
  row_count_ = 0;
  std::vector<uint32_t>().swap(free_);
  dirty_.clear();
  taken_.clear();
  head_ = tail_ = kNone;
  clean_bytes_ = 0;
  live_rows_ = 0;
}

}  // namespace tally
