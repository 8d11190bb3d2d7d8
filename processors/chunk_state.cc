#include "processors/chunk_state.h"

#include <cstring>

namespace tally {

std::string_view ChunkState::Absolute(std::string_view key) {
  key_size_ = prefix_size_ + key.size();
  if (key_.size() < key_size_) key_.resize(key_size_);
  std::memcpy(key_.data() + prefix_size_, key.data(), key.size());
  return std::string_view(key_.data(), key_size_);
}

bool ChunkState::IsLast(std::string_view key) const {
  return last_ != RowStore::kMissing && key.size() == key_size_ - prefix_size_ &&
         std::memcmp(key_.data() + prefix_size_, key.data(), key.size()) == 0;
}

RowStore::Handle ChunkState::Load(std::string_view key) {
  if (IsLast(key)) return last_;
  std::string_view absolute = Absolute(key);
  const uint64_t hash = RowStore::Hash(absolute);
  last_ = rows_->Find(absolute, hash);
  if (last_ != RowStore::kMissing) return last_;
  std::optional<std::string> value;
  if (written_ == nullptr || written_->MayContainHash(hash)) {
    auto stored = snapshot_->Get(absolute);
    if (!stored.ok()) {
      // Not kept: the store holds only what is known to be committed. The chunk will be abandoned.
      if (status_.ok()) status_ = stored.status();
      return RowStore::kMissing;
    }
    value = std::move(stored.value());
  }
  last_ = rows_->AddClean(absolute, hash, std::move(value));
  return last_;
}

std::optional<std::string_view> ChunkState::Get(std::string_view key) {
  RowStore::Handle row = Load(key);
  if (row == RowStore::kMissing) return std::nullopt;
  const std::optional<std::string>& value = rows_->Value(row);
  if (!value) return std::nullopt;
  return std::string_view(*value);
}

void ChunkState::Update(std::string_view key, const std::function<void(std::optional<std::string>&)>& edit) {
  RowStore::Handle row = Load(key);
  if (row == RowStore::kMissing) {
    FoldState::Update(key, edit);  // the read failed: the chunk is abandoned anyway
    return;
  }
  edit(rows_->Edit(row, written_ != nullptr));
}

void ChunkState::Put(std::string_view key, std::string value) {
  if (IsLast(key)) {
    rows_->PutAt(last_, std::move(value), written_ != nullptr);
  } else {
    last_ = rows_->Put(Absolute(key), std::move(value), written_ != nullptr);
  }
}

void ChunkState::Delete(std::string_view key) {
  if (IsLast(key)) {
    rows_->DeleteAt(last_);
  } else {
    last_ = rows_->Delete(Absolute(key));
  }
}

}  // namespace tally
