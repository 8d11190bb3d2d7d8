// Workload: a seeded generator of realistic, valid tally events for `tally loadgen` and the micro-benchmarks.
//
// One Workload is one independent stream (a producer connection). Streams of the same seed share the stores
// but never an event_id, a conversation or a file, so any number of them can run side by side and every event
// they make is accepted — except the deliberate re-sends, which the server must report as duplicates.
//
// The mix follows a support desk with an AI pipeline behind it: conversations open, exchange customer / agent /
// ai messages with knowledge look-ups (about half below the default gap threshold) and the odd citation click,
// end resolved (half by the AI), escalated or abandoned (some stay open), and are scored for quality and
// analysed; files go through passes 1–3 with failures and retries; usage is recorded; now and then a content
// gap changes status or a store is configured. Stores are skewed (a few busy ones, a long tail). occurred_at
// advances from start_ms to start_ms + span_ms over the stream's events, so date-bucketed views have data on
// every day of the span.
//
// Deterministic: the same options give the same events in the same order. Not thread-safe; one per thread.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "core/time.h"

namespace tally::tools {

struct WorkloadOptions {
  uint64_t seed = 1;
  uint32_t stream = 0;             // streams of one seed never share an event_id, conversation or file
  size_t stores = 100;             // store ids "store-00000" .. (stores - 1)
  uint64_t events = 100'000;       // how many Next() calls this stream expects (spreads occurred_at)
  TimeMs start_ms = 0;             // first occurred_at; must be after 2000-01-01
  TimeMs span_ms = 30 * kMsPerDay;  // occurred_at stays below start_ms + span_ms (keep that <= now)
  double duplicate_share = 0.05;   // share of Next() answers that re-send an earlier event of this stream
  size_t open_conversations = 64;  // conversations in progress at once
};

class Workload {
 public:
  explicit Workload(const WorkloadOptions& options);

  // The next event to send. *resend is true when it is a copy of an event this stream returned earlier (same
  // store_id and event_id: the server answers it as a duplicate). The reference stays valid until the next
  // call.
  const Event& Next(bool* resend);

  uint64_t generated() const { return generated_; }  // Next() calls so far
  uint64_t resends() const { return resends_; }

 private:
  struct Conversation {
    uint32_t store = 0;
    std::string id;
    std::string customer;
    TimeMs clock = 0;
    int phase = 0;           // 0 start, 1 messages, 2 outcome, 3 quality, 4 analysis, 5 done
    int messages_left = 0;
    int customer_run = 0;    // customer messages still to send before the next response
  };
  struct File {
    uint32_t store = 0;
    std::string id;
    std::string profile;
    int next_pass = 1;
  };

  Event& NewSlot();
  void FillEnvelope(Event& e, EventType type, uint32_t store, TimeMs at);
  void NextConversationEvent(Event& e);
  void StartConversation(Conversation& c);
  void MessageEvent(Conversation& c, Event& e);
  void OutcomeEvent(Conversation& c, Event& e);
  void ScoreEvent(Conversation& c, Event& e);
  void PassEvent(Event& e);
  void UsageEvent(Event& e);
  void GapStatusEvent(Event& e);
  void ConfigureEvent(Event& e);

  uint32_t PickStore();
  TimeMs Now() const;
  double Uniform(double lo, double hi);
  bool Chance(double p);
  size_t Below(size_t n);
  std::string_view Pick(const std::vector<std::string_view>& list) { return list[Below(list.size())]; }

  WorkloadOptions options_;
  std::mt19937_64 rng_;
  std::string prefix_;  // "lg<seed>-<stream>-": makes ids unique across streams and seeds
  uint64_t generated_ = 0;
  uint64_t resends_ = 0;
  uint64_t next_event_ = 0;
  uint64_t next_conversation_ = 0;
  uint64_t next_file_ = 0;
  std::vector<Conversation> conversations_;
  std::vector<File> files_;
  // Ring of the most recent generated events: the current one is built in a slot, re-sends copy an older one.
  std::vector<Event> ring_;
  size_t ring_next_ = 0;
  size_t ring_filled_ = 0;
};

}  // namespace tally::tools
