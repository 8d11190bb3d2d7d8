// The per-day response-time histogram (conversation_metrics_state.h): one value per day, edited in place by the
// fold. Checked against brute force: the bucket numbering against ResponseBucket, the encoded cells against a map
// of every bucket's count/min/max, and daily_metrics' p50/p90 against the sorted response times of each day.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

#include "processors/conversation_metrics_state.h"
#include "tests/processors/engine_harness.h"
#include "tests/testing/tally_process.h"

namespace tally::testing {
namespace {

// Response times from every part of the range: exact (< 256 ms), the usual seconds to hours, and buckets wider
// than 2^32 ms (from 2^40 ms, ~35 years), which the encoding keeps in a section of their own.
uint64_t RandomResponse(std::mt19937_64& rng) {
  switch (rng() % 4) {
    case 0:
      return rng() % 300;
    case 1:
      return 256 + rng() % 1'000'000;
    case 2:
      return rng() % 100'000'000;
    default:
      return (uint64_t{1} << 40) + rng() % (uint64_t{1} << 41);
  }
}

TEST(ResponseHistogramTest, BucketIndexIsDenseAndNamesTheSameBuckets) {
  std::vector<uint64_t> values;
  for (uint64_t v = 0; v < 70'000; ++v) values.push_back(v);
  for (int bit = 8; bit < 64; ++bit) {
    uint64_t p = uint64_t{1} << bit;
    for (uint64_t v : {p - 1, p, p + 1, p + p / 2, p + p / 2 - 1}) values.push_back(v);
  }
  values.push_back(UINT64_MAX);
  std::mt19937_64 rng(7);
  for (int i = 0; i < 100'000; ++i) values.push_back(rng() >> (rng() % 64));
  std::sort(values.begin(), values.end());
  uint32_t previous = 0;
  for (uint64_t v : values) {
    uint32_t index = ResponseBucketIndex(v);
    ASSERT_EQ(ResponseBucketLowerBound(index), ResponseBucket(v)) << v;
    ASSERT_LE(previous, index) << v;
    previous = index;
  }
  // Every index names a bucket: its lower bound maps back to it.
  const uint32_t last = ResponseBucketIndex(UINT64_MAX);
  EXPECT_EQ(last, 256u + 56 * 128 - 1);
  for (uint32_t index = 0; index <= last; ++index) {
    ASSERT_EQ(ResponseBucketIndex(ResponseBucketLowerBound(index)), index);
  }
}

TEST(ResponseHistogramTest, CellsMatchEveryBucketsCountMinAndMax) {
  std::mt19937_64 rng(11);
  std::string row;
  std::map<uint64_t, HistogramCell> expected;  // bucket lower bound -> cell
  std::vector<HistogramCell> cells;
  for (int i = 0; i < 20'000; ++i) {
    uint64_t ms = RandomResponse(rng);
    AddToDayHistogram(&row, ms);
    auto [it, added] = expected.try_emplace(ResponseBucket(ms), HistogramCell{0, ms, ms});
    ++it->second.count;
    it->second.min = std::min(it->second.min, ms);
    it->second.max = std::max(it->second.max, ms);
    if (i % 997 == 0 || i < 50) {
      DecodeDayHistogram(row, &cells);
      std::vector<HistogramCell> want;
      for (const auto& [bucket, cell] : expected) want.push_back(cell);
      ASSERT_EQ(cells, want) << "after " << i + 1 << " adds";
    }
  }
}

TEST(ResponseHistogramTest, AMalformedValueStartsAfresh) {
  std::vector<HistogramCell> cells;
  for (std::string row : {std::string("abc"), std::string("\x05\0\0\0", 4), std::string(4 + 16 + 5, '\0')}) {
    DecodeDayHistogram(row, &cells);
    EXPECT_TRUE(cells.empty());
    AddToDayHistogram(&row, 1000);
    DecodeDayHistogram(row, &cells);
    EXPECT_EQ(cells, (std::vector<HistogramCell>{{1, 1000, 1000}}));
  }
}

// Every rank of a histogram, asked for in one call and one at a time, against the decoded cells walked by hand;
// ranks past the end answer the last cell's largest value, an empty histogram 0.
TEST(ResponseHistogramTest, RanksMatchTheDecodedCells) {
  std::mt19937_64 rng(5);
  std::string row;
  std::vector<HistogramCell> cells;
  for (int adds : {0, 1, 2, 40, 700}) {
    row.clear();
    for (int i = 0; i < adds; ++i) AddToDayHistogram(&row, RandomResponse(rng));
    DecodeDayHistogram(row, &cells);
    std::vector<uint64_t> ranks, want;
    uint64_t seen = 0;
    for (const HistogramCell& cell : cells) {
      for (uint64_t k = 1; k <= cell.count; ++k) {
        ranks.push_back(seen + k);
        want.push_back(k == cell.count ? cell.max : cell.min);
      }
      seen += cell.count;
    }
    ASSERT_EQ(seen, static_cast<uint64_t>(adds));
    ranks.push_back(seen + 1);
    want.push_back(cells.empty() ? 0 : cells.back().max);
    std::vector<uint64_t> got(ranks.size(), UINT64_MAX);
    DayHistogramRanks(row, ranks, got);
    EXPECT_EQ(got, want) << adds << " adds";
    for (size_t i = 0; i < ranks.size(); ++i) {
      uint64_t one = UINT64_MAX;
      DayHistogramRanks(row, std::span<const uint64_t>(&ranks[i], 1), std::span<uint64_t>(&one, 1));
      ASSERT_EQ(one, want[i]) << "rank " << ranks[i] << " of " << adds;
    }
  }
  uint64_t value = UINT64_MAX;
  const uint64_t rank = 1;
  DayHistogramRanks("abc", std::span<const uint64_t>(&rank, 1), std::span<uint64_t>(&value, 1));
  EXPECT_EQ(value, 0u);
}

// What daily_metrics must report for the ⌈num/den · n⌉-th smallest of `sorted`: the value itself when it is the
// largest of its bucket, else the smallest value of its bucket (so never more than 1 % off, exact below 256 ms).
uint64_t BruteForcePercentile(const std::vector<uint64_t>& sorted, uint64_t num, uint64_t den) {
  if (sorted.empty()) return 0;
  size_t rank = (num * sorted.size() + den - 1) / den;
  uint64_t value = sorted[rank - 1];
  uint64_t bucket = ResponseBucket(value);
  bool last_of_bucket = rank == sorted.size() || ResponseBucket(sorted[rank]) != bucket;
  uint64_t answer = value;
  if (!last_of_bucket) {
    answer = *std::find_if(sorted.begin(), sorted.end(), [&](uint64_t v) { return ResponseBucket(v) == bucket; });
  }
  EXPECT_LE(answer, value);
  EXPECT_LE(value - answer, value < 256 ? 0 : value / 100);
  return answer;
}

uint64_t FieldOf(const std::string& json, const std::string& name) {
  size_t at = json.find("\"" + name + "\":");
  EXPECT_NE(at, std::string::npos) << name << " in " << json;
  return at == std::string::npos ? 0 : std::stoull(json.substr(at + name.size() + 3));
}

// Each response is a customer message answered by an agent in a conversation of its own; the day of the answer
// is the day the response counts on.
TEST(ResponseHistogramTest, DailyPercentilesMatchBruteForce) {
  std::mt19937_64 rng(2024);
  const DayNum first_day = *ParseDate("2090-03-01");
  constexpr int kDays = 4;
  std::vector<Event> customers, agents;
  std::map<DayNum, std::vector<uint64_t>> responses;
  for (int i = 0; i < 6000; ++i) {
    DayNum day = first_day + static_cast<DayNum>(rng() % kDays);
    // Day 1 keeps to exact buckets, so the percentiles there must be the exact nearest-rank values.
    uint64_t ms = day == first_day + 1 ? rng() % 256 : RandomResponse(rng);
    TimeMs answered = TimeMs{day} * kMsPerDay + static_cast<TimeMs>(rng() % kMsPerDay);
    responses[day].push_back(ms);
    for (Sender sender : {Sender::kCustomer, Sender::kAgent}) {
      Event e;
      e.event_id = "e" + std::to_string(i) + (sender == Sender::kCustomer ? "q" : "a");
      e.store_id = "s";
      e.type = EventType::kMessageSent;
      e.conversation_id = "c" + std::to_string(i);
      e.sender = sender;
      e.occurred_at_ms = sender == Sender::kCustomer ? answered - static_cast<TimeMs>(ms) : answered;
      (sender == Sender::kCustomer ? customers : agents).push_back(std::move(e));
    }
  }
  // Every question is in the log before any answer; the answers come in random order.
  std::shuffle(agents.begin(), agents.end(), rng);
  std::vector<Event> events = std::move(customers);
  events.insert(events.end(), agents.begin(), agents.end());
  TempDir dir;
  auto storage = OpenTestStorage(dir.path());
  ASSERT_TRUE(storage->AppendAndWait(events).status.ok());
  EngineOptions options;
  options.runner.chunk_events = 97;  // rows go through storage between chunks
  auto engine = ViewEngine::Open(storage.get(), options);
  ASSERT_TRUE(engine.ok());
  ASSERT_TRUE((*engine)->CatchUp().ok());
  for (auto& [day, times] : responses) {
    std::sort(times.begin(), times.end());
    std::string date = FormatDate(day);
    std::string json = RunQueryLine(**engine, "daily_metrics store=s from=" + date + " to=" + date);
    SCOPED_TRACE(date + ": " + json);
    EXPECT_EQ(FieldOf(json, "responses"), times.size());
    EXPECT_EQ(FieldOf(json, "p50_response_time_ms"), BruteForcePercentile(times, 1, 2));
    EXPECT_EQ(FieldOf(json, "p90_response_time_ms"), BruteForcePercentile(times, 9, 10));
  }
}

}  // namespace
}  // namespace tally::testing
