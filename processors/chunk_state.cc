#include "processors/chunk_state.h"

namespace tally {

std::string_view ChunkState::Absolute(std::string_view key) {
  scratch_.resize(prefix_size_);
  scratch_.append(key);
  return scratch_;
}

std::optional<std::string> ChunkState::Get(std::string_view key) {
  std::string_view absolute = Absolute(key);
  const uint64_t hash = RowStore::Hash(absolute);
  if (const std::optional<std::string>* held = rows_->Find(absolute, hash)) return *held;
  std::optional<std::string> value;
  if (written_ == nullptr || written_->MayContainHash(hash)) {
    auto stored = snapshot_->Get(absolute);
    if (!stored.ok()) {
      // Not kept: the store holds only what is known to be committed. The chunk will be abandoned.
      if (status_.ok()) status_ = stored.status();
      return std::nullopt;
    }
    value = std::move(stored.value());
  }
  rows_->AddClean(absolute, hash, value);
  return value;
}

void ChunkState::Put(std::string_view key, std::string value) {
  rows_->Put(Absolute(key), std::move(value), written_ != nullptr);
}

void ChunkState::Delete(std::string_view key) { rows_->Delete(Absolute(key)); }

}  // namespace tally
