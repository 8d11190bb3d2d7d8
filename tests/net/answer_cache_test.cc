// AnswerCache and its key: every input of an answer changes the key, min_seq does not; the byte bound holds
// under many distinct answers; least recently used answers go first; ETags and If-None-Match.
#include "net/answer_cache.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

namespace tally::net {
namespace {

std::shared_ptr<const CachedAnswer> Answer(std::string body) {
  auto answer = std::make_shared<CachedAnswer>();
  answer->content_type = "application/json";
  answer->wire = std::move(body);
  answer->etag = "\"e\"";
  return answer;
}

struct KeyInputs {
  std::string route = "/v1/stores/{store}/metrics";
  std::string store = "acme";
  ParamMap query = {{"period", "day"}};
  ParamMap path = {{"store", "acme"}};
  DayNum today = 20'000;
  std::string view = "conversation_metrics";
  uint32_t generation = 1;
  uint64_t offset = 42;

  std::string Key() const {
    AnswerKeyParts parts;
    parts.route = route;
    parts.store = store;
    parts.query = &query;
    parts.path = &path;
    parts.today = today;
    parts.view = view;
    parts.generation = generation;
    parts.offset = offset;
    return AnswerKey(parts);
  }
};

TEST(AnswerKey, EveryInputOfTheAnswerChangesTheKey) {
  const KeyInputs base;
  std::vector<KeyInputs> variants(10, base);
  variants[0].route = "/v1/stores/{store}/trends";
  variants[1].store = "acme2";
  variants[2].query["period"] = "week";
  variants[3].query["date"] = "2026-11-20";
  variants[4].today = base.today + 1;  // "today" is what routes default their dates to
  variants[5].view = "quality";
  variants[6].generation = 2;
  variants[7].offset = 43;
  variants[8].path["conversation_id"] = "period";
  // A parameter moved from the query string to the path is a different request.
  variants[9].query.erase("period");
  variants[9].path["period"] = "day";
  std::set<std::string> keys = {base.Key()};
  for (const KeyInputs& v : variants) keys.insert(v.Key());
  EXPECT_EQ(keys.size(), variants.size() + 1);
}

TEST(AnswerKey, MinSeqAndTheStorePathParameterAreNotPartOfIt) {
  KeyInputs a;
  KeyInputs b = a;
  b.query["min_seq"] = "40";
  b.path.erase("store");
  EXPECT_EQ(a.Key(), b.Key());
}

TEST(AnswerKey, LengthPrefixesKeepPiecesApart) {
  KeyInputs a;
  KeyInputs b = a;
  a.query = {{"ab", "c"}};
  b.query = {{"a", "bc"}};
  EXPECT_NE(a.Key(), b.Key());
}

TEST(AnswerEtag, IsQuotedStableAndFollowsTheKey) {
  std::string etag = AnswerEtag("key-1");
  EXPECT_EQ(etag.size(), 18u);
  EXPECT_EQ(etag.front(), '"');
  EXPECT_EQ(etag.back(), '"');
  EXPECT_EQ(AnswerEtag("key-1"), etag);
  EXPECT_NE(AnswerEtag("key-2"), etag);
}

TEST(EtagMatches, ListsWeakPrefixesAndStar) {
  EXPECT_TRUE(EtagMatches("\"a\"", "\"a\""));
  EXPECT_TRUE(EtagMatches("\"x\", W/\"a\"", "\"a\""));
  EXPECT_TRUE(EtagMatches(" * ", "\"a\""));
  EXPECT_FALSE(EtagMatches("\"b\"", "\"a\""));
  EXPECT_FALSE(EtagMatches("", "\"a\""));
  EXPECT_FALSE(EtagMatches("a", "\"a\""));
}

TEST(AnswerCache, FindsWhatWasInsertedAndCountsHitsAndMisses) {
  AnswerCache cache(1 << 20);
  EXPECT_EQ(cache.Find("k"), nullptr);
  cache.Insert("k", Answer("body"));
  auto found = cache.Find("k");
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->body(), "body");
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.misses(), 1u);
  cache.Insert("k", Answer("newer"));  // replaces, charged once
  EXPECT_EQ(cache.Find("k")->body(), "newer");
  EXPECT_EQ(cache.entries(), 1u);
  EXPECT_EQ(cache.bytes(), AnswerCache::Charge("k", *Answer("newer")));
}

TEST(AnswerCache, StaysUnderItsByteBoundWithManyDistinctAnswers) {
  constexpr size_t kBound = 256 * 1024;
  AnswerCache cache(kBound, 4);
  for (int i = 0; i < 5000; ++i) {
    cache.Insert("key-" + std::to_string(i), Answer(std::string(100 + i % 900, 'x')));
    ASSERT_LE(cache.bytes(), kBound) << "after " << i;
  }
  EXPECT_GT(cache.evictions(), 0u);
  EXPECT_GT(cache.entries(), 0u);
  EXPECT_LT(cache.entries(), 5000u);
  // The newest answer is still there; the first ones are gone.
  EXPECT_NE(cache.Find("key-4999"), nullptr);
  EXPECT_EQ(cache.Find("key-0"), nullptr);
}

TEST(AnswerCache, EvictsTheLeastRecentlyUsed) {
  size_t charge = AnswerCache::Charge("key-0", *Answer(std::string(1000, 'x')));
  AnswerCache small(3 * charge, 1);  // room for three
  small.Insert("key-0", Answer(std::string(1000, 'x')));
  small.Insert("key-1", Answer(std::string(1000, 'x')));
  small.Insert("key-2", Answer(std::string(1000, 'x')));
  ASSERT_NE(small.Find("key-0"), nullptr);  // now key-1 is the least recently used
  small.Insert("key-3", Answer(std::string(1000, 'x')));
  EXPECT_NE(small.Find("key-0"), nullptr);
  EXPECT_EQ(small.Find("key-1"), nullptr);
  EXPECT_NE(small.Find("key-2"), nullptr);
  EXPECT_NE(small.Find("key-3"), nullptr);
  EXPECT_EQ(small.evictions(), 1u);
}

TEST(AnswerCache, AnAnswerLargerThanAShardIsNotStoredAndZeroDisables) {
  AnswerCache cache(64 * 1024, 16);  // 4 KiB a shard
  cache.Insert("big", Answer(std::string(8 * 1024, 'x')));
  EXPECT_EQ(cache.Find("big"), nullptr);
  EXPECT_EQ(cache.bytes(), 0u);
  AnswerCache off(0);
  EXPECT_FALSE(off.enabled());
  off.Insert("k", Answer("x"));
  EXPECT_EQ(off.Find("k"), nullptr);
}

TEST(AnswerCache, ConcurrentInsertsAndLookupsKeepTheBound) {
  constexpr size_t kBound = 64 * 1024;
  AnswerCache cache(kBound, 8);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, t] {
      for (int i = 0; i < 2000; ++i) {
        std::string key = "k" + std::to_string((i * 7 + t) % 300);
        if (auto found = cache.Find(key)) {
          EXPECT_EQ(found->body(), key);  // an answer is only ever found under its own key
        } else {
          cache.Insert(key, Answer(key));
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_LE(cache.bytes(), kBound);
  EXPECT_EQ(cache.hits() + cache.misses(), 8000u);
}

}  // namespace
}  // namespace tally::net
