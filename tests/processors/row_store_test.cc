// The runner's row store: one row per key, dirty until its chunk commits, erased when the chunk is abandoned,
// clean rows evicted least recently used beyond the byte budget (never during the chunk that uses them), and
// a random workload checked against a plain map of what is committed.
#include "processors/row_store.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

namespace tally::testing {
namespace {

// The held value, or nullptr when the store does not hold the key.
const std::optional<std::string>* Find(RowStore& store, std::string_view key) {
  RowStore::Handle row = store.Find(key, RowStore::Hash(key));
  return row == RowStore::kMissing ? nullptr : &store.Value(row);
}

void AddClean(RowStore& store, std::string_view key, std::optional<std::string> value) {
  store.AddClean(key, RowStore::Hash(key), std::move(value));
}

// The size of a row with `key` and a value of `value_bytes` in the budget.
size_t RowBytes(std::string_view key, size_t value_bytes) { return key.size() + value_bytes + RowStore::kRowOverhead; }

TEST(RowStoreTest, HoldsWhatWasReadAndWhatWasWritten) {
  RowStore store;
  EXPECT_EQ(Find(store, "k"), nullptr);
  AddClean(store, "k", std::string("v"));
  AddClean(store, "gone", std::nullopt);
  ASSERT_NE(Find(store, "k"), nullptr);
  EXPECT_EQ(**Find(store, "k"), "v");
  ASSERT_NE(Find(store, "gone"), nullptr) << "a read that found nothing is held as absent";
  EXPECT_FALSE(Find(store, "gone")->has_value());
  store.Put("k", "v2", false);
  store.Delete("gone");
  EXPECT_EQ(**Find(store, "k"), "v2") << "a chunk reads its own writes";
  EXPECT_EQ(store.rows(), 2u);
  EXPECT_EQ(store.dirty_rows(), 2u);
  EXPECT_EQ(store.clean_bytes(), 0u) << "dirty rows are not charged to the clean budget";
}

TEST(RowStoreTest, CommittedRowsTurnCleanWithTheirValues) {
  RowStore store;
  AddClean(store, "present", std::string("old"));
  AddClean(store, "absent", std::nullopt);
  store.Put("present", "new", false);
  store.Put("blind", "b", false);
  store.Delete("absent");   // known absent: nothing to write
  store.Delete("unknown");  // never read: its committed state is unknown, so the delete is written
  StateWrite write;
  write.puts.emplace_back("other", "x");  // rows of the same commit that are not the store's
  store.TakeDirty(&write, nullptr);
  std::map<std::string, std::string> puts(write.puts.begin(), write.puts.end());
  EXPECT_EQ(puts, (std::map<std::string, std::string>{{"blind", "b"}, {"other", "x"}, {"present", "new"}}));
  EXPECT_EQ(write.deletes, std::vector<std::string>{"unknown"});
  store.Committed(write);
  EXPECT_EQ(store.dirty_rows(), 0u);
  EXPECT_EQ(**Find(store, "present"), "new");
  EXPECT_EQ(**Find(store, "blind"), "b");
  EXPECT_FALSE(Find(store, "absent")->has_value());
  EXPECT_FALSE(Find(store, "unknown")->has_value());
  EXPECT_EQ(Find(store, "other"), nullptr);
  EXPECT_EQ(store.clean_bytes(),
            RowBytes("present", 3) + RowBytes("blind", 1) + RowBytes("absent", 0) + RowBytes("unknown", 0));
}

TEST(RowStoreTest, AbandonErasesEveryDirtyRowAndKeepsTheClean) {
  RowStore store;
  AddClean(store, "clean", std::string("c"));
  AddClean(store, "overwritten", std::string("committed"));
  store.Put("overwritten", "ahead of the commit", false);
  store.Put("new", "n", false);
  store.Abandon();
  EXPECT_EQ(Find(store, "overwritten"), nullptr) << "its value was ahead of the committed state";
  EXPECT_EQ(Find(store, "new"), nullptr);
  ASSERT_NE(Find(store, "clean"), nullptr);
  EXPECT_EQ(**Find(store, "clean"), "c");
  EXPECT_EQ(store.rows(), 1u);
  // After TakeDirty moved the keys out (the commit failed), the rows are still found and erased.
  store.Put("a", "1", false);
  store.Delete("clean");
  StateWrite write;
  store.TakeDirty(&write, nullptr);
  store.Abandon();
  EXPECT_EQ(Find(store, "a"), nullptr);
  EXPECT_EQ(Find(store, "clean"), nullptr);
  EXPECT_EQ(store.rows(), 0u);
  EXPECT_EQ(store.clean_bytes(), 0u);
}

TEST(RowStoreTest, EvictsTheLeastRecentlyUsedCleanRowsBetweenChunks) {
  RowStore store(3 * RowBytes("k0", 1));  // room for three rows
  for (int i = 0; i < 3; ++i) AddClean(store, "k" + std::to_string(i), std::string("v"));
  store.Abandon();                        // ends the chunk
  ASSERT_NE(Find(store, "k0"), nullptr);  // k0 is now the most recent; k1 the least
  AddClean(store, "k3", std::string("v"));
  EXPECT_EQ(Find(store, "k1"), nullptr);
  EXPECT_NE(Find(store, "k0"), nullptr);
  EXPECT_NE(Find(store, "k2"), nullptr);
  EXPECT_NE(Find(store, "k3"), nullptr);
  EXPECT_LE(store.clean_bytes(), 3 * RowBytes("k0", 1));
  // Every row in use by this chunk stays, over budget, until the chunk ends.
  for (int i = 4; i < 8; ++i) AddClean(store, "k" + std::to_string(i), std::string("v"));
  EXPECT_EQ(store.rows(), 7u);
  store.Abandon();
  EXPECT_EQ(store.rows(), 3u);
  EXPECT_NE(Find(store, "k7"), nullptr);
}

TEST(RowStoreTest, AHandleStaysValidForTheWholeChunk) {
  RowStore store(2 * RowBytes("k0", 1));
  AddClean(store, "k0", std::string("v"));
  store.Abandon();  // k0 is from an earlier chunk now: evictable, until this chunk uses it
  RowStore::Handle row = store.Find("k0", RowStore::Hash("k0"));
  ASSERT_NE(row, RowStore::kMissing);
  for (int i = 1; i < 2000; ++i) AddClean(store, "k" + std::to_string(i), std::string("v"));  // over budget, grows
  store.PutAt(row, "written through the handle", false);
  EXPECT_EQ(**Find(store, "k0"), "written through the handle");
  StateWrite write;
  store.TakeDirty(&write, nullptr);
  ASSERT_EQ(write.puts.size(), 1u);
  EXPECT_EQ(write.puts[0].first, "k0");
  store.Committed(write);
  EXPECT_LE(store.clean_bytes(), 2 * RowBytes("k0", 1)) << "the chunk over, its rows are evicted to the budget";
  EXPECT_NE(Find(store, "k0"), nullptr) << "committed last: the most recently used";
}

TEST(RowStoreTest, EditChangesTheHeldRowInPlace) {
  RowStore store;
  AddClean(store, "big", std::string(1000, 'a'));
  AddClean(store, "gone", std::string("g"));
  RowStore::Handle big = store.Find("big", RowStore::Hash("big"));
  const char* buffer = store.Value(big)->data();
  std::optional<std::string>& value = store.Edit(big, false);
  (*value)[0] = 'b';
  EXPECT_EQ(value->data(), buffer) << "the row's own buffer, not a copy";
  store.Edit(store.Find("gone", RowStore::Hash("gone")), false).reset();
  EXPECT_EQ(store.dirty_rows(), 2u);
  StateWrite write;
  store.TakeDirty(&write, nullptr);
  ASSERT_EQ(write.puts.size(), 1u);
  EXPECT_EQ(write.puts[0].second, "b" + std::string(999, 'a'));
  EXPECT_EQ(write.deletes, std::vector<std::string>{"gone"});
  store.Committed(write);
  EXPECT_EQ((*Find(store, "big"))->front(), 'b');
  EXPECT_FALSE(Find(store, "gone")->has_value());
}

TEST(RowStoreTest, WithNoBudgetNothingOutlivesItsChunk) {
  RowStore store(0);
  AddClean(store, "read", std::string("r"));
  store.Put("written", "w", false);
  EXPECT_NE(Find(store, "read"), nullptr) << "the chunk still reads a row twice from memory";
  StateWrite write;
  store.TakeDirty(&write, nullptr);
  store.Committed(write);
  EXPECT_EQ(store.rows(), 0u);
}

TEST(RowStoreTest, ClearForgetsEverything) {
  RowStore store;
  for (int i = 0; i < 5000; ++i) AddClean(store, "k" + std::to_string(i), std::string("v"));
  store.Abandon();
  store.Clear();
  EXPECT_EQ(store.rows(), 0u);
  EXPECT_EQ(store.clean_bytes(), 0u);
  EXPECT_EQ(Find(store, "k1"), nullptr);
  AddClean(store, "k1", std::string("again"));
  EXPECT_EQ(**Find(store, "k1"), "again");
}

TEST(RowStoreTest, TrackedPutsOfKeysNotKnownPresentGoToTheFilter) {
  WrittenKeys filter(1 << 12);
  filter.Track("g");
  RowStore store;
  AddClean(store, "g/present", std::string("p"));
  AddClean(store, "g/absent", std::nullopt);
  store.Put("g/present", "p2", true);
  store.Put("g/absent", "a", true);
  store.Put("g/blind", "b", true);
  store.Put("untracked", "u", false);
  StateWrite write;
  store.TakeDirty(&write, &filter);
  EXPECT_EQ(filter.keys(), 2u) << "a key already present in a tracked generation was added when first written";
  EXPECT_TRUE(filter.MayContain("g/absent"));
  EXPECT_TRUE(filter.MayContain("g/blind"));
  store.Committed(write);
}

// Chi-square of 64 Ki keys over 4 096 buckets, for the bits linear probing uses (low) and the bits the filter
// picks its block with (the top of the low half): ~4 096 for a uniform hash, standard deviation ~90.
double ChiSquare(const std::vector<uint64_t>& hashes, int shift) {
  std::vector<int> buckets(4096);
  for (uint64_t h : hashes) ++buckets[(h >> shift) & 4095];
  const double expected = static_cast<double>(hashes.size()) / 4096;
  double sum = 0;
  for (int c : buckets) sum += (c - expected) * (c - expected) / expected;
  return sum;
}

TEST(KeyHashTest, SimilarKeysSpreadAndDiffer) {
  std::vector<uint64_t> hashes;
  std::string prefix("daily_metrics\0\0\0\0\2", 18);
  for (int i = 0; i < 65536; ++i)
    hashes.push_back(HashKey(prefix + "store-" + std::to_string(i % 100) + "/" + std::to_string(i)));
  EXPECT_LT(ChiSquare(hashes, 0), 4096 + 6 * 90);
  EXPECT_LT(ChiSquare(hashes, 20), 4096 + 6 * 90);
  EXPECT_EQ(std::set<uint64_t>(hashes.begin(), hashes.end()).size(), hashes.size());
  // Every length through the tail cases, and a one-bit change anywhere.
  std::set<uint64_t> seen;
  for (size_t n = 0; n <= 40; ++n) {
    std::string key(n, 'a');
    EXPECT_TRUE(seen.insert(HashKey(key)).second) << n;
    for (size_t i = 0; i < n; ++i) {
      std::string flipped = key;
      flipped[i] ^= 1;
      EXPECT_TRUE(seen.insert(HashKey(flipped)).second) << n << " " << i;
    }
  }
}

// Random reads, writes, commits and abandons over few keys (so rows are reused, moved, evicted and erased in
// long probe runs) against a map of the committed state: a held row always shows the chunk's view of the state.
// A workload of `keys` keys under a budget of `budget_rows` small rows, checked against a plain map. The large
// one spans several of the store's blocks of row records.
void RunRandomWorkload(int keys, size_t budget_rows, int steps) {
  std::mt19937 rng(7);
  RowStore store(budget_rows * RowBytes("key-00000", 6));
  std::map<std::string, std::string> committed, chunk;  // chunk: committed + this chunk's writes ("" = deleted)
  auto current = [&](const std::string& key) -> std::optional<std::string> {
    auto it = chunk.find(key);
    if (it != chunk.end()) return it->second.empty() ? std::nullopt : std::optional<std::string>(it->second);
    auto c = committed.find(key);
    return c == committed.end() ? std::nullopt : std::optional<std::string>(c->second);
  };
  for (int step = 0; step < steps; ++step) {
    std::string key = "key-" + std::to_string(rng() % static_cast<unsigned>(keys));
    switch (rng() % 10) {
      case 0:
      case 1:
      case 2:
      case 3: {  // a read
        const auto* held = Find(store, key);
        if (held == nullptr) {
          ASSERT_EQ(chunk.count(key), 0u) << "a row written by the chunk is never evicted: " << key;
          AddClean(store, key, current(key));  // what a read of storage would find
          continue;
        }
        ASSERT_EQ(*held, current(key)) << key << " at step " << step;
        break;
      }
      case 4:
      case 5:
      case 6:
        store.Put(key, "v" + std::to_string(step), false);
        chunk[key] = "v" + std::to_string(step);
        break;
      case 7:
        store.Delete(key);
        chunk[key] = "";
        break;
      default:
        if (rng() % 8 != 0) continue;
        StateWrite write;
        store.TakeDirty(&write, nullptr);
        if (rng() % 4 == 0) {
          store.Abandon();
        } else {
          for (const auto& [k, v] : write.puts) committed[k] = v;
          for (const auto& k : write.deletes) committed.erase(k);
          store.Committed(write);
        }
        chunk.clear();
        ASSERT_EQ(store.dirty_rows(), 0u);
    }
  }
}

TEST(RowStoreTest, RandomWorkloadMatchesAPlainMap) { RunRandomWorkload(500, 40, 200000); }

TEST(RowStoreTest, RandomWorkloadOverManyBlocksOfRowsMatchesAPlainMap) { RunRandomWorkload(20000, 9000, 200000); }

TEST(RowStoreTest, RowsDoNotMoveWhenTheStoreGrows) {
  RowStore store(64 << 20);
  AddClean(store, "first", std::string(100, 'f'));
  const std::optional<std::string>* first = &store.Value(store.Find("first", RowStore::Hash("first")));
  for (int i = 0; i < 3 * 4096 + 10; ++i) AddClean(store, "k" + std::to_string(i), "v" + std::to_string(i));
  EXPECT_EQ(store.rows(), 3u * 4096 + 11);
  EXPECT_EQ(&store.Value(store.Find("first", RowStore::Hash("first"))), first) << "the row record was not moved";
  EXPECT_EQ(**first, std::string(100, 'f'));
  for (int i = 0; i < 3 * 4096 + 10; i += 997) {
    std::string key = "k" + std::to_string(i);
    EXPECT_EQ(**Find(store, key), "v" + std::to_string(i)) << key;
  }
}

}  // namespace
}  // namespace tally::testing
