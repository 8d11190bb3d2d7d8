// conversation_metrics against a brute-force model: random conversation events spread over month, quarter
// and year boundaries (ISO weeks crossing them, times out of log order) are folded by the real engine and
// every daily row and every period's distinct customer count is compared with sets computed naively.
#include <map>
#include <random>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "core/json_writer.h"
#include "tests/processors/engine_harness.h"
#include "tests/testing/tally_process.h"

namespace tally::testing {
namespace {

struct DayModel {
  std::set<std::string> started, resolved, escalated, abandoned, ai_resolved, customers;
  uint64_t messages = 0, customer_messages = 0, agent_messages = 0, responses = 0;
  int64_t response_sum = 0;
};

struct Model {
  std::map<std::string, std::string> customer_of;
  std::map<std::string, TimeMs> run_start;
  std::map<DayNum, DayModel> days;
  std::map<std::pair<int, DayNum>, std::set<std::string>> period_customers;  // (granularity, start) -> customers

  void Customer(const std::string& customer, DayNum day) {
    days[day].customers.insert(customer);
    period_customers[{2, IsoWeekStart(day)}].insert(customer);
    period_customers[{3, MonthStart(day)}].insert(customer);
    period_customers[{4, QuarterStart(day)}].insert(customer);
    period_customers[{5, YearStart(day)}].insert(customer);
  }

  void Apply(const Event& e) {
    DayNum day = DayOf(e.occurred_at_ms);
    DayModel& d = days[day];
    const std::string& c = *e.conversation_id;
    switch (e.type) {
      case EventType::kConversationStarted:
        customer_of.emplace(c, *e.customer_id);
        d.started.insert(c);
        Customer(customer_of[c], day);
        break;
      case EventType::kMessageSent:
        ++d.messages;
        if (e.sender == Sender::kCustomer) {
          ++d.customer_messages;
          run_start.emplace(c, e.occurred_at_ms);
          if (customer_of.count(c)) Customer(customer_of[c], day);
        } else {
          ++d.agent_messages;
          auto run = run_start.find(c);
          if (run != run_start.end()) {
            if (e.occurred_at_ms >= run->second) {
              ++d.responses;
              d.response_sum += e.occurred_at_ms - run->second;
            }
            run_start.erase(run);
          }
        }
        break;
      case EventType::kConversationResolved:
        d.resolved.insert(c);
        if (e.resolved_by == ResolvedBy::kAi) d.ai_resolved.insert(c);
        break;
      case EventType::kConversationEscalated: d.escalated.insert(c); break;
      default: d.abandoned.insert(c); break;
    }
  }

  // The CSV row export would print for this day, p50/p90 left out.
  std::string CsvRow(DayNum day) {
    DayModel& d = days[day];
    std::ostringstream row;
    row << FormatDate(day) << ',' << d.started.size() << ',' << d.resolved.size() << ',' << d.escalated.size() << ','
        << d.abandoned.size() << ',' << d.ai_resolved.size() << ',' << d.messages << ',' << d.customer_messages << ','
        << d.agent_messages << ',' << d.responses << ','
        << FormatDouble(d.responses ? static_cast<double>(d.response_sum) / static_cast<double>(d.responses) : 0.0)
        << ",*,*," << d.customers.size();
    return row.str();
  }
};

std::vector<Event> MakeEvents(uint32_t seed, size_t n) {
  std::mt19937 rng(seed);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const TimeMs start = *ParseRfc3339("2026-09-20T00:00:00Z");
  std::vector<Event> events;
  for (size_t i = 0; i < n; ++i) {
    Event e;
    e.event_id = "m" + std::to_string(i);
    e.store_id = "s";
    e.occurred_at_ms = start + static_cast<TimeMs>(pick(0, 130 * 24 * 60)) * 60'000;  // to 2027-01-28
    e.conversation_id = "c" + std::to_string(pick(1, 150));
    int kind = pick(0, 9);
    if (kind < 3) {
      e.type = EventType::kConversationStarted;
      e.customer_id = "u" + std::to_string(pick(1, 40));
    } else if (kind < 8) {
      e.type = EventType::kMessageSent;
      e.sender = static_cast<Sender>(pick(0, 1) ? 0 : pick(1, 2));
    } else {
      e.type = static_cast<EventType>(pick(2, 4));  // resolved, escalated, abandoned
      if (e.type == EventType::kConversationResolved && pick(0, 1)) e.resolved_by = ResolvedBy::kAi;
    }
    events.push_back(std::move(e));
  }
  return events;
}

// Drops the p50/p90 columns (histogram-approximated, checked by the golden tests).
std::string MaskPercentiles(const std::string& row) {
  std::vector<std::string> cells;
  std::stringstream in(row);
  std::string cell;
  while (std::getline(in, cell, ',')) cells.push_back(cell);
  if (cells.size() == 14) cells[11] = cells[12] = "*";
  std::string out;
  for (size_t i = 0; i < cells.size(); ++i) out += (i ? "," : "") + cells[i];
  return out;
}

TEST(ConversationMetricsModelTest, DailyRowsAndPeriodDistinctCustomersMatchBruteForce) {
  std::vector<Event> events = MakeEvents(42, 6000);
  Model model;
  for (const Event& e : events) model.Apply(e);
  TempDir dir;
  auto storage = OpenTestStorage(dir.path());
  ASSERT_TRUE(storage->AppendAndWait(events).status.ok());
  EngineOptions options;
  options.runner.chunk_events = 97;
  auto engine = ViewEngine::Open(storage.get(), options);
  ASSERT_TRUE(engine.ok());
  ASSERT_TRUE((*engine)->CatchUp().ok());

  std::string csv = RunQueryLine(**engine, "export store=s from=2026-09-20 to=2027-01-28 format=csv");
  std::stringstream lines(csv);
  std::string line;
  std::getline(lines, line);  // header
  DayNum day = *ParseDate("2026-09-20");
  for (; std::getline(lines, line); ++day) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    EXPECT_EQ(MaskPercentiles(line), model.CsvRow(day));
  }
  EXPECT_EQ(day, *ParseDate("2027-01-29"));
  const char* names[] = {"", "", "week", "month", "quarter", "year"};
  for (const auto& [bucket, customers] : model.period_customers) {
    std::string q = std::string("metrics store=s period=") + names[bucket.first] + " date=" + FormatDate(bucket.second);
    std::string answer = RunQueryLine(**engine, q);
    size_t begin = answer.find("\"metrics\":");
    ASSERT_NE(begin, std::string::npos) << answer;
    std::string metrics = answer.substr(begin, answer.find('}', begin) - begin + 1);
    EXPECT_NE(metrics.find("\"unique_customers\":" + std::to_string(customers.size()) + "}"), std::string::npos)
        << q << " " << metrics;
  }
}

}  // namespace
}  // namespace tally::testing
