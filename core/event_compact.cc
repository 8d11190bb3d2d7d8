#include "core/event_compact.h"

#include <bit>
#include <cstring>

namespace tally {
namespace {

static_assert(std::endian::native == std::endian::little, "the compact form copies doubles as little-endian");

// The optional fields in bit order, by kind. Appending to a list would move the bits of every later kind, so a
// new field gets the next free bit after kCsiWeightsBit instead (and its own list or constant).
using TextField = std::optional<std::string> Event::*;
using DoubleField = std::optional<double> Event::*;
using IntField = std::optional<int64_t> Event::*;
using BoolField = std::optional<bool> Event::*;

constexpr TextField kTexts[] = {
    &Event::properties, &Event::conversation_id, &Event::customer_id, &Event::channel, &Event::customer_name,
    &Event::text,       &Event::agent_id,        &Event::reason,      &Event::query,   &Event::topic,
    &Event::url,        &Event::shell_file_id,   &Event::profile_id,  &Event::model,   &Event::service,
    &Event::operation,  &Event::timezone,
};
constexpr DoubleField kDoubles[] = {
    &Event::confidence,
    &Event::overall,
    &Event::helpfulness,
    &Event::accuracy,
    &Event::politeness,
    &Event::sentiment_score,
    &Event::sentiment_shift,
    &Event::resolution_achieved,
    &Event::fcr_score,
    &Event::ces,
    &Event::cost_usd,
    &Event::gap_confidence_threshold,
    &Event::human_cost_per_hour,
    &Event::minutes_per_conversation,
    &Event::ai_cost_per_conversation,
};
constexpr IntField kInts[] = {&Event::tokens, &Event::processing_time_ms, &Event::entities};
constexpr BoolField kBools[] = {&Event::success, &Event::manual_review};

constexpr int kTextBit = 0;
constexpr int kDoubleBit = kTextBit + static_cast<int>(std::size(kTexts));   // 17
constexpr int kIntBit = kDoubleBit + static_cast<int>(std::size(kDoubles));  // 32
constexpr int kBoolBit = kIntBit + static_cast<int>(std::size(kInts));       // 35
constexpr int kPassBit = kBoolBit + static_cast<int>(std::size(kBools));     // 37
constexpr int kAnalysisDateBit = kPassBit + 1;                               // 38
constexpr int kSenderBit = kAnalysisDateBit + 1;                             // 39
constexpr int kResolvedByBit = kSenderBit + 1;                               // 40
constexpr int kStatusBit = kResolvedByBit + 1;                               // 41
constexpr int kCsiWeightsBit = kStatusBit + 1;                               // 42
constexpr uint64_t kKnownBits = (uint64_t{1} << (kCsiWeightsBit + 1)) - 1;
static_assert(kCsiWeightsBit == 42, "bit positions are stored in the log");

constexpr uint64_t Bit(int i) { return uint64_t{1} << i; }
constexpr uint64_t ZigZag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
constexpr int64_t UnZigZag(uint64_t u) { return static_cast<int64_t>(u >> 1) ^ -static_cast<int64_t>(u & 1); }

// Writes into a buffer sized in advance by the caller (Bound).
class Out {
 public:
  explicit Out(char* p) : p_(p) {}
  char* end() const { return p_; }
  void U8(uint8_t v) { *p_++ = static_cast<char>(v); }
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      *p_++ = static_cast<char>(v | 0x80);
      v >>= 7;
    }
    *p_++ = static_cast<char>(v);
  }
  void Bytes(std::string_view s) {
    Varint(s.size());
    std::memcpy(p_, s.data(), s.size());
    p_ += s.size();
  }
  void F64(double v) {
    std::memcpy(p_, &v, sizeof v);
    p_ += sizeof v;
  }

 private:
  char* p_;
};

// Reads with bounds checks; the first failure sticks (ok() false) and every later read returns zero.
class In {
 public:
  In(const char* p, const char* end) : p_(p), end_(end) {}
  bool ok() const { return ok_; }
  bool done() const { return p_ == end_; }
  uint8_t U8() {
    if (p_ == end_) return Fail();
    return static_cast<uint8_t>(*p_++);
  }
  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ == end_) return Fail();
      const auto b = static_cast<uint8_t>(*p_++);
      if (shift == 63 && b > 1) return Fail();  // more than 64 bits
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    return Fail();
  }
  std::string_view Bytes() {
    const uint64_t n = Varint();
    if (!ok_ || n > static_cast<uint64_t>(end_ - p_)) return Fail(), std::string_view();
    std::string_view s(p_, n);
    p_ += n;
    return s;
  }
  double F64() {
    double v = 0;
    if (end_ - p_ < static_cast<std::ptrdiff_t>(sizeof v)) return static_cast<double>(Fail());
    std::memcpy(&v, p_, sizeof v);
    p_ += sizeof v;
    return v;
  }
  int32_t I32() {
    const int64_t v = UnZigZag(Varint());
    if (v < INT32_MIN || v > INT32_MAX) return static_cast<int32_t>(Fail());
    return static_cast<int32_t>(v);
  }
  // A byte that must be at most `max` (a bool: 1, an enum: its last ordinal).
  uint8_t Small(uint8_t max) {
    const uint8_t v = U8();
    if (v > max) return static_cast<uint8_t>(Fail());
    return v;
  }

 private:
  uint8_t Fail() {
    ok_ = false;
    p_ = end_;
    return 0;
  }
  const char* p_;
  const char* end_;
  bool ok_ = true;
};

constexpr size_t kMaxVarint = 10;

// An upper bound of the compact form's size: type, time and mask, the two ids, the present texts, then every
// scalar as if present.
size_t Bound(const Event& e) {
  size_t n = 1 + 2 * kMaxVarint + 2 * kMaxVarint + e.event_id.size() + e.store_id.size();
  for (TextField f : kTexts) {
    if (e.*f) n += kMaxVarint + (e.*f)->size();
  }
  return n + std::size(kDoubles) * 8 + (std::size(kInts) + 2) * kMaxVarint + std::size(kBools) + 3 + 4 * 8;
}

uint64_t PresenceMask(const Event& e) {
  uint64_t mask = 0;
  for (size_t i = 0; i < std::size(kTexts); ++i) {
    if (e.*kTexts[i]) mask |= Bit(kTextBit + static_cast<int>(i));
  }
  for (size_t i = 0; i < std::size(kDoubles); ++i) {
    if (e.*kDoubles[i]) mask |= Bit(kDoubleBit + static_cast<int>(i));
  }
  for (size_t i = 0; i < std::size(kInts); ++i) {
    if (e.*kInts[i]) mask |= Bit(kIntBit + static_cast<int>(i));
  }
  for (size_t i = 0; i < std::size(kBools); ++i) {
    if (e.*kBools[i]) mask |= Bit(kBoolBit + static_cast<int>(i));
  }
  if (e.pass) mask |= Bit(kPassBit);
  if (e.analysis_date) mask |= Bit(kAnalysisDateBit);
  if (e.sender) mask |= Bit(kSenderBit);
  if (e.resolved_by) mask |= Bit(kResolvedByBit);
  if (e.status) mask |= Bit(kStatusBit);
  if (e.csi_weights) mask |= Bit(kCsiWeightsBit);
  return mask;
}

template <typename T>
void SetOrReset(std::optional<T>* out, bool present, T value) {
  if (present) {
    *out = value;
  } else {
    out->reset();
  }
}

}  // namespace

void AppendCompactEvent(const Event& e, std::string* out) {
  const size_t start = out->size();
  out->resize(start + Bound(e));
  Out w(out->data() + start);
  const uint64_t mask = PresenceMask(e);
  w.U8(static_cast<uint8_t>(e.type));
  w.Varint(ZigZag(e.occurred_at_ms));
  w.Varint(mask);
  w.Bytes(e.event_id);
  w.Bytes(e.store_id);
  for (TextField f : kTexts) {
    if (e.*f) w.Bytes(*(e.*f));
  }
  for (DoubleField f : kDoubles) {
    if (e.*f) w.F64(*(e.*f));
  }
  for (IntField f : kInts) {
    if (e.*f) w.Varint(ZigZag(*(e.*f)));
  }
  for (BoolField f : kBools) {
    if (e.*f) w.U8(*(e.*f) ? 1 : 0);
  }
  if (e.pass) w.Varint(ZigZag(*e.pass));
  if (e.analysis_date) w.Varint(ZigZag(*e.analysis_date));
  if (e.sender) w.U8(static_cast<uint8_t>(*e.sender));
  if (e.resolved_by) w.U8(static_cast<uint8_t>(*e.resolved_by));
  if (e.status) w.U8(static_cast<uint8_t>(*e.status));
  if (e.csi_weights) {
    w.F64(e.csi_weights->effectiveness);
    w.F64(e.csi_weights->effort);
    w.F64(e.csi_weights->efficiency);
    w.F64(e.csi_weights->empathy);
  }
  out->resize(static_cast<size_t>(w.end() - out->data()));
}

Status DecodeCompactEvent(std::string_view bytes, Event* e) {
  In r(bytes.data(), bytes.data() + bytes.size());
  const uint8_t type = r.U8();
  e->occurred_at_ms = UnZigZag(r.Varint());
  const uint64_t mask = r.Varint();
  if (!r.ok()) return Status(Code::kCorruption, "stored event is truncated");
  if (type >= kEventTypeCount) return Status(Code::kCorruption, "stored event holds an unknown enum value");
  if ((mask & ~kKnownBits) != 0)
    return Status(Code::kCorruption, "stored event holds a field this build does not know");
  e->type = static_cast<EventType>(type);
  auto has = [mask](int bit) { return (mask & Bit(bit)) != 0; };
  std::string_view id = r.Bytes(), store = r.Bytes();
  e->event_id.assign(id);
  e->store_id.assign(store);
  for (size_t i = 0; i < std::size(kTexts); ++i) {
    std::optional<std::string>& field = e->*kTexts[i];
    if (has(kTextBit + static_cast<int>(i))) {
      field = r.Bytes();  // assigns into the held string when there is one
    } else {
      field.reset();
    }
  }
  for (size_t i = 0; i < std::size(kDoubles); ++i) {
    const bool present = has(kDoubleBit + static_cast<int>(i));
    SetOrReset(&(e->*kDoubles[i]), present, present ? r.F64() : 0.0);
  }
  for (size_t i = 0; i < std::size(kInts); ++i) {
    const bool present = has(kIntBit + static_cast<int>(i));
    SetOrReset(&(e->*kInts[i]), present, present ? UnZigZag(r.Varint()) : int64_t{0});
  }
  for (size_t i = 0; i < std::size(kBools); ++i) {
    const bool present = has(kBoolBit + static_cast<int>(i));
    SetOrReset(&(e->*kBools[i]), present, present && r.Small(1) == 1);
  }
  SetOrReset(&e->pass, has(kPassBit), has(kPassBit) ? r.I32() : 0);
  SetOrReset(&e->analysis_date, has(kAnalysisDateBit), has(kAnalysisDateBit) ? r.I32() : 0);
  SetOrReset(&e->sender, has(kSenderBit), static_cast<Sender>(has(kSenderBit) ? r.Small(2) : 0));
  SetOrReset(&e->resolved_by, has(kResolvedByBit), static_cast<ResolvedBy>(has(kResolvedByBit) ? r.Small(1) : 0));
  SetOrReset(&e->status, has(kStatusBit), static_cast<GapStatus>(has(kStatusBit) ? r.Small(2) : 0));
  if (has(kCsiWeightsBit)) {
    CsiWeights w;
    w.effectiveness = r.F64();
    w.effort = r.F64();
    w.efficiency = r.F64();
    w.empathy = r.F64();
    e->csi_weights = w;
  } else {
    e->csi_weights.reset();
  }
  if (!r.ok()) return Status(Code::kCorruption, "stored event is truncated or holds a value out of range");
  if (!r.done()) return Status(Code::kCorruption, "stored event has trailing bytes");
  return Status::Ok();
}

}  // namespace tally
