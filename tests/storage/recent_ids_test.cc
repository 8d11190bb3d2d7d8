// The writer's recent-ids cache: hits only for the exact key, overwritten slots forget, capacity 0 disables.
#include <functional>

#include <gtest/gtest.h>

#include "storage/recent_ids.h"

namespace tally {
namespace {

size_t Hash(std::string_view key) { return std::hash<std::string_view>()(key); }

TEST(RecentIdsTest, HitsOnlyTheExactKey) {
  using namespace std::string_view_literals;
  RecentIds cache(1024);
  const std::string_view a = "s\0a"sv, b = "s\0b"sv;
  cache.Insert(a, Hash(a), 7);
  EXPECT_EQ(cache.Find(a, Hash(a)), std::optional<uint64_t>(7));
  EXPECT_FALSE(cache.Find(b, Hash(b)).has_value());
  // Same slot (same hash passed), different key: a miss, never a false duplicate.
  EXPECT_FALSE(cache.Find(b, Hash(a)).has_value());
  EXPECT_FALSE(cache.Find("s"sv, Hash(a)).has_value());
}

TEST(RecentIdsTest, ANewerKeyInTheSameSlotReplacesTheOlder) {
  RecentIds cache(1);
  cache.Insert("first", Hash("first"), 1);
  cache.Insert("second", Hash("second"), 2);
  EXPECT_FALSE(cache.Find("first", Hash("first")).has_value());
  EXPECT_EQ(cache.Find("second", Hash("second")), std::optional<uint64_t>(2));
}

TEST(RecentIdsTest, ZeroCapacityDisablesTheCache) {
  RecentIds cache(0);
  cache.Insert("k", Hash("k"), 3);
  EXPECT_FALSE(cache.Find("k", Hash("k")).has_value());
}

}  // namespace
}  // namespace tally
