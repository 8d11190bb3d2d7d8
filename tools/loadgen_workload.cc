#include "tools/loadgen_workload.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace tally::tools {
namespace {

const std::vector<std::string_view> kCustomerTexts = {
    "Hi, my order has not arrived yet, can you check?",
    "I was charged twice for the same subscription this month.",
    "How do I change the delivery address on an open order?",
    "The app crashes when I open the invoices page.",
    "Can I return an item after thirty days?",
    "Thanks, that worked!",
    "Is there a discount for annual plans?",
};
const std::vector<std::string_view> kAgentTexts = {
    "Let me look into that for you, one moment please.",
    "I have refunded the duplicate charge; it shows within 5 days.",
    "You can change it under Orders > Details > Delivery.",
    "Could you send me the order number?",
    "Our return window is 30 days, but I can make an exception.",
};
const std::vector<std::string_view> kQueries = {
    "where is my order", "refund duplicate charge", "change delivery address", "app crash invoices",
    "return policy after 30 days", "annual plan discount", "reset password", "export invoices as pdf",
};
// Spelling variants on purpose: the content-gap view normalises case and white space.
const std::vector<std::string_view> kTopics = {
    "Shipping delays", "shipping  delays", "Refunds", "REFUNDS", "Address change", "Invoices", "Returns",
    "Pricing", "Password reset", "Data export", "Integrations", "Account deletion",
};
const std::vector<std::string_view> kChannels = {"chat", "email", "whatsapp", "web"};
const std::vector<std::string_view> kModels = {"gpt-4o-mini", "gpt-4o", "claude-haiku", "mistral-small"};
const std::vector<std::string_view> kServices = {"openai", "embeddings", "ocr"};
const std::vector<std::string_view> kOperations = {"chat", "embed", "extract"};
const std::vector<std::string_view> kProperties = {R"({"source":"web","version":2})",
                                                   R"({"source":"mobile","build":"4.1.7"})"};
constexpr size_t kRingSize = 4096;
constexpr size_t kOpenFiles = 32;

}  // namespace

Workload::Workload(const WorkloadOptions& options)
    : options_(options), rng_(options.seed * 0x9E3779B97F4A7C15ULL + options.stream), ring_(kRingSize) {
  options_.stores = std::max<size_t>(options_.stores, 1);
  options_.events = std::max<uint64_t>(options_.events, 1);
  options_.span_ms = std::max<TimeMs>(options_.span_ms, 1);
  prefix_ = "lg" + std::to_string(options_.seed) + "-" + std::to_string(options_.stream) + "-";
  conversations_.resize(std::max<size_t>(options_.open_conversations, 1));
  for (Conversation& c : conversations_) StartConversation(c);
  files_.resize(kOpenFiles);
  for (File& f : files_) {
    f.store = PickStore();
    f.id = prefix_ + "f" + std::to_string(next_file_++);
    f.profile = "profile-" + std::to_string(Below(20));
  }
}

const Event& Workload::Next(bool* resend) {
  ++generated_;
  // Re-send a recent event: what a producer retrying after a lost ack does.
  if (ring_filled_ > 1 && Chance(options_.duplicate_share)) {
    *resend = true;
    ++resends_;
    size_t back = 1 + Below(ring_filled_ - 1);  // an older slot than the newest
    return ring_[(ring_next_ + kRingSize - 1 - back) % kRingSize];
  }
  *resend = false;
  Event& e = NewSlot();
  double roll = Uniform(0, 1);
  if (roll < 0.08) {
    PassEvent(e);
  } else if (roll < 0.12) {
    UsageEvent(e);
  } else if (roll < 0.1215) {
    GapStatusEvent(e);
  } else if (roll < 0.1218) {
    ConfigureEvent(e);
  } else {
    NextConversationEvent(e);
  }
  if (Chance(0.2)) e.properties = std::string(Pick(kProperties));
  return e;
}

Event& Workload::NewSlot() {
  Event& e = ring_[ring_next_];
  e = Event();
  ring_next_ = (ring_next_ + 1) % kRingSize;
  ring_filled_ = std::min(ring_filled_ + 1, kRingSize);
  return e;
}

void Workload::FillEnvelope(Event& e, EventType type, uint32_t store, TimeMs at) {
  e.event_id = prefix_ + std::to_string(next_event_++);
  e.type = type;
  char name[24];
  std::snprintf(name, sizeof name, "store-%05u", store);
  e.store_id = name;
  e.occurred_at_ms = std::min(at, options_.start_ms + options_.span_ms - 1);
}

void Workload::NextConversationEvent(Event& e) {
  Conversation& c = conversations_[Below(conversations_.size())];
  if (c.phase == 5) StartConversation(c);
  c.clock = std::max(c.clock, Now()) + static_cast<TimeMs>(Uniform(5'000, 240'000));
  switch (c.phase) {
    case 0:
      FillEnvelope(e, EventType::kConversationStarted, c.store, c.clock);
      e.conversation_id = c.id;
      e.customer_id = c.customer;
      e.channel = std::string(Pick(kChannels));
      if (Chance(0.3)) e.customer_name = "Customer " + c.customer.substr(c.customer.rfind('-') + 1);
      c.phase = 1;
      break;
    case 1:
      MessageEvent(c, e);
      break;
    case 2:
      OutcomeEvent(c, e);
      break;
    default:
      ScoreEvent(c, e);
      break;
  }
}

void Workload::StartConversation(Conversation& c) {
  c.store = PickStore();
  c.id = prefix_ + "c" + std::to_string(next_conversation_++);
  c.customer = "cust-" + std::to_string(c.store) + "-" + std::to_string(Below(5000));
  c.clock = Now();
  c.phase = 0;
  c.messages_left = 2 + static_cast<int>(Below(9));
  c.customer_run = 1 + static_cast<int>(Below(2));
}

// Customer runs of one or two messages, each answered by an agent or the AI; the AI looks things up first.
void Workload::MessageEvent(Conversation& c, Event& e) {
  if (c.customer_run == 0 && Chance(0.35)) {
    FillEnvelope(e, EventType::kKnowledgeRetrieved, c.store, c.clock);
    e.conversation_id = c.id;
    e.query = std::string(Pick(kQueries));
    e.topic = std::string(Pick(kTopics));
    e.confidence = std::round(Uniform(0, 1) * 1000) / 1000;
    return;
  }
  if (c.customer_run == 0 && Chance(0.05)) {
    FillEnvelope(e, EventType::kCitationClicked, c.store, c.clock);
    e.conversation_id = c.id;
    e.url = "https://help.example.com/articles/" + std::to_string(Below(500));
    return;
  }
  FillEnvelope(e, EventType::kMessageSent, c.store, c.clock);
  e.conversation_id = c.id;
  if (c.customer_run > 0) {
    e.sender = Sender::kCustomer;
    e.text = std::string(Pick(kCustomerTexts));
    --c.customer_run;
  } else {
    bool ai = Chance(0.6);
    e.sender = ai ? Sender::kAi : Sender::kAgent;
    e.text = std::string(Pick(kAgentTexts));
    if (!ai) e.agent_id = "agent-" + std::to_string(Below(40));
    c.customer_run = 1 + static_cast<int>(Below(2));
  }
  if (--c.messages_left <= 0) c.phase = 2;
}

void Workload::OutcomeEvent(Conversation& c, Event& e) {
  c.phase = 3;
  double roll = Uniform(0, 1);
  if (roll < 0.6) {
    FillEnvelope(e, EventType::kConversationResolved, c.store, c.clock);
    if (Chance(0.5)) e.resolved_by = ResolvedBy::kAi;
  } else if (roll < 0.75) {
    FillEnvelope(e, EventType::kConversationEscalated, c.store, c.clock);
    e.reason = "customer asked for a human";
  } else if (roll < 0.85) {
    FillEnvelope(e, EventType::kConversationAbandoned, c.store, c.clock);
  } else {  // stays open: one more customer message
    FillEnvelope(e, EventType::kMessageSent, c.store, c.clock);
    e.sender = Sender::kCustomer;
    e.text = "Hello? Anyone there?";
  }
  e.conversation_id = c.id;
}

// Phase 3: a quality score for half the conversations; then an analysis, and the conversation is done.
void Workload::ScoreEvent(Conversation& c, Event& e) {
  if (c.phase == 3 && Chance(0.5)) {
    FillEnvelope(e, EventType::kQualityScored, c.store, c.clock);
    e.overall = std::round(Uniform(0.3, 1) * 100) / 100;
    e.helpfulness = std::round(Uniform(0.3, 1) * 100) / 100;
    e.accuracy = std::round(Uniform(0.3, 1) * 100) / 100;
    e.politeness = std::round(Uniform(0.5, 1) * 100) / 100;
    e.conversation_id = c.id;
    c.phase = 4;
    return;
  }
  FillEnvelope(e, EventType::kAnalysisScored, c.store, c.clock);
  e.conversation_id = c.id;
  e.analysis_date = DayOf(e.occurred_at_ms);
  e.sentiment_score = std::round(Uniform(0, 10) * 10) / 10;
  e.sentiment_shift = std::round(Uniform(-5, 5) * 10) / 10;
  e.resolution_achieved = std::round(Uniform(0, 10) * 10) / 10;
  e.fcr_score = std::round(Uniform(0, 10) * 10) / 10;
  e.ces = std::round(Uniform(1, 7) * 10) / 10;
  c.phase = 5;
}

// Files go pass 1 → 2 → 3; a failed pass is retried or the file is given up; then a new file takes its place.
void Workload::PassEvent(Event& e) {
  File& f = files_[Below(files_.size())];
  FillEnvelope(e, EventType::kPassCompleted, f.store, Now());
  e.shell_file_id = f.id;
  e.profile_id = f.profile;
  e.pass = f.next_pass;
  bool ok = Chance(0.95);
  e.success = ok;
  e.model = std::string(Pick(kModels));
  int64_t tokens = 500 + static_cast<int64_t>(Below(20'000));
  e.tokens = tokens;
  e.cost_usd = static_cast<double>(tokens) * 2e-6;
  e.processing_time_ms = 200 + static_cast<int64_t>(Below(30'000));
  if (Chance(0.7)) e.entities = static_cast<int64_t>(Below(60));
  if (Chance(0.7)) e.confidence = std::round(Uniform(0.5, 1) * 1000) / 1000;
  if (Chance(0.1)) e.manual_review = Chance(0.3);
  bool retry = !ok && Chance(0.5);
  if (ok && f.next_pass < 3) {
    ++f.next_pass;
  } else if (!retry) {
    f.store = PickStore();
    f.id = prefix_ + "f" + std::to_string(next_file_++);
    f.profile = "profile-" + std::to_string(Below(20));
    f.next_pass = 1;
  }
}

void Workload::UsageEvent(Event& e) {
  FillEnvelope(e, EventType::kUsageRecorded, PickStore(), Now());
  size_t kind = Below(kServices.size());
  e.service = std::string(kServices[kind]);
  e.operation = std::string(kOperations[kind]);
  int64_t tokens = static_cast<int64_t>(Below(8'000));
  e.tokens = tokens;
  e.cost_usd = static_cast<double>(tokens) * 1e-6;
  if (Chance(0.8)) e.profile_id = "profile-" + std::to_string(Below(20));
}

void Workload::GapStatusEvent(Event& e) {
  FillEnvelope(e, EventType::kContentGapStatusChanged, PickStore(), Now());
  e.topic = std::string(Pick(kTopics));
  e.status = Chance(0.5) ? GapStatus::kInProgress : GapStatus::kResolved;
}

void Workload::ConfigureEvent(Event& e) {
  FillEnvelope(e, EventType::kStoreConfigured, PickStore(), Now());
  e.gap_confidence_threshold = std::round(Uniform(0.4, 0.6) * 100) / 100;
  if (Chance(0.5)) e.human_cost_per_hour = std::round(Uniform(15, 45));
  if (Chance(0.3)) e.csi_weights = CsiWeights{0.4, 0.2, 0.2, 0.2};
}

// Skewed: u² puts about 30 % of the traffic on the first 10 % of stores.
uint32_t Workload::PickStore() {
  double u = Uniform(0, 1);
  return static_cast<uint32_t>(std::min<double>(u * u * static_cast<double>(options_.stores),
                                                static_cast<double>(options_.stores - 1)));
}

TimeMs Workload::Now() const {
  uint64_t done = std::min(generated_, options_.events);
  return options_.start_ms +
         static_cast<TimeMs>(static_cast<double>(options_.span_ms) * static_cast<double>(done) /
                             static_cast<double>(options_.events));
}

double Workload::Uniform(double lo, double hi) {
  return lo + (hi - lo) * std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
}

bool Workload::Chance(double p) { return Uniform(0, 1) < p; }

size_t Workload::Below(size_t n) { return static_cast<size_t>(rng_() % n); }

}  // namespace tally::tools
