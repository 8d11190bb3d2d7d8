#include "processors/files_view.h"

#include <algorithm>
#include <array>
#include <vector>

#include "core/json_writer.h"
#include "processors/decimal_sum.h"
#include "processors/view_codec.h"

namespace tally {

namespace {

constexpr uint8_t kVersion = 1;

struct PassRecord {
  bool success = false;
  std::string model;
  int64_t tokens = 0;
  double cost_usd = 0;
  int64_t processing_time_ms = 0;
  std::optional<int64_t> entities;
  std::optional<double> confidence;
  std::optional<bool> manual_review;
  TimeMs completed_at = 0;

  void Write(ValueWriter& w) const {
    w.Bool(success).Str(model).I64(tokens).F64(cost_usd).I64(processing_time_ms);
    w.Opt(entities).Opt(confidence).Opt(manual_review).I64(completed_at);
  }
  static PassRecord Read(ValueReader& r) {
    PassRecord p;
    p.success = r.Bool();
    p.model = r.Str();
    p.tokens = r.I64();
    p.cost_usd = r.F64();
    p.processing_time_ms = r.I64();
    p.entities = r.Opt<int64_t>();
    p.confidence = r.Opt<double>();
    p.manual_review = r.Opt<bool>();
    p.completed_at = r.I64();
    return p;
  }
};

struct FileRecord {
  std::string profile_id;                   // of the latest pass_completed
  TimeMs started_at = 0, completed_at = 0;  // min / max occurred_at over every pass_completed
  std::array<std::optional<PassRecord>, 3> passes;

  std::string Encode() const {
    ValueWriter w(256 + profile_id.size());
    w.U8(kVersion).Str(profile_id).I64(started_at).I64(completed_at);
    for (const auto& p : passes) {
      w.Bool(p.has_value());
      if (p) p->Write(w);
    }
    return w.Take();
  }
  static std::optional<FileRecord> Decode(std::string_view value) {
    ValueReader r(value);
    FileRecord f;
    if (r.U8() != kVersion) return std::nullopt;
    f.profile_id = r.Str();
    f.started_at = r.I64();
    f.completed_at = r.I64();
    for (auto& p : f.passes) {
      if (r.Bool()) p = PassRecord::Read(r);
    }
    if (!r.ok() || !r.done()) return std::nullopt;
    return f;
  }
};

std::string FilePrefix(std::string_view store) { return StoreKey(store, 'P'); }

std::string FileKey(std::string_view store, std::string_view shell_file_id) {
  std::string k = FilePrefix(store);
  AppendOrderedString(&k, shell_file_id);
  return k;
}

}  // namespace

void FilesProcessor::Apply(uint64_t /*seq*/, const Event& e, FoldState& state) {
  if (e.type != EventType::kPassCompleted) return;
  std::string key = FileKey(e.store_id, *e.shell_file_id);
  std::optional<std::string_view> raw = state.Get(key);
  std::optional<FileRecord> existing = raw ? FileRecord::Decode(*raw) : std::nullopt;
  FileRecord f = existing.value_or(FileRecord{});
  if (!existing) {
    f.started_at = f.completed_at = e.occurred_at_ms;
  } else {
    f.started_at = std::min(f.started_at, e.occurred_at_ms);
    f.completed_at = std::max(f.completed_at, e.occurred_at_ms);
  }
  f.profile_id = *e.profile_id;
  PassRecord p;
  p.success = *e.success;
  p.model = *e.model;
  p.tokens = *e.tokens;
  p.cost_usd = *e.cost_usd;
  p.processing_time_ms = *e.processing_time_ms;
  p.entities = e.entities;
  p.confidence = e.confidence;
  p.manual_review = e.manual_review;
  p.completed_at = e.occurred_at_ms;
  f.passes[static_cast<size_t>(std::clamp(*e.pass, 1, 3) - 1)] = std::move(p);
  state.Put(key, f.Encode());
}

namespace {

struct Outcome {
  std::string_view status;
  std::optional<std::string> failure_stage;
};

Outcome StatusOf(const FileRecord& f) {
  for (size_t i = 0; i < f.passes.size(); ++i) {
    if (f.passes[i] && !f.passes[i]->success) return {"failed", "pass" + std::to_string(i + 1)};
  }
  size_t run = 0;
  while (run < f.passes.size() && f.passes[run]) ++run;
  static constexpr std::string_view kByRun[] = {"pending", "pass1_only", "pass1_pass2", "complete_pipeline"};
  return {kByRun[run], std::nullopt};
}

void WritePass(JsonWriter& w, const std::optional<PassRecord>& p) {
  if (!p) {
    w.Null();
    return;
  }
  w.BeginObject().Field("success", p->success).Field("model", p->model).Field("tokens", p->tokens);
  w.Field("cost_usd", p->cost_usd).Field("processing_time_ms", p->processing_time_ms);
  w.Field("entities", p->entities).Field("confidence", p->confidence).Field("manual_review", p->manual_review);
  w.Field("completed_at", FormatRfc3339(p->completed_at)).EndObject();
}

void WriteTotals(JsonWriter& w, const FileRecord& f) {
  int64_t tokens = 0, cost_micros = 0, time_ms = 0, entities = 0;
  DecimalSum confidence;
  uint64_t confidences = 0;
  bool manual_review = false;
  for (const auto& p : f.passes) {
    if (!p) continue;
    tokens += p->tokens;
    cost_micros += ToMicros(p->cost_usd);
    time_ms += p->processing_time_ms;
    entities += p->entities.value_or(0);
    if (p->confidence) {
      confidence.Add(*p->confidence);
      ++confidences;
    }
    manual_review = manual_review || p->manual_review.value_or(false);
  }
  w.Field("total_tokens", tokens).Field("total_cost_usd", FromMicros(cost_micros));
  w.Field("total_processing_time_ms", time_ms).Field("entities_extracted_total", entities);
  w.Key("overall_confidence_score");
  if (confidences > 0)
    w.Double(confidence.Mean(confidences));
  else
    w.Null();
  w.Field("manual_review_required", manual_review);
}

// The file's fields (without as_of_seq) into an object already begun.
void WriteFileFields(JsonWriter& w, std::string_view shell_file_id, const FileRecord& f) {
  w.Field("shell_file_id", shell_file_id).Field("profile_id", f.profile_id).Key("passes").BeginObject();
  for (size_t i = 0; i < f.passes.size(); ++i) {
    w.Key("pass" + std::to_string(i + 1));
    WritePass(w, f.passes[i]);
  }
  w.EndObject();
  Outcome o = StatusOf(f);
  w.Field("processing_status", o.status).Field("failure_stage", o.failure_stage);
  w.Field("overall_success", o.status == "complete_pipeline");
  WriteTotals(w, f);
  w.Field("processing_started_at", FormatRfc3339(f.started_at));
  w.Field("processing_completed_at", FormatRfc3339(f.completed_at));
}

}  // namespace

bool IsFileStatus(std::string_view status) {
  return status == "failed" || status == "complete_pipeline" || status == "pass1_pass2" || status == "pass1_only" ||
         status == "pending";
}

Result<std::string> FileJson(const ViewReader& view, std::string_view store_id, std::string_view shell_file_id) {
  Result<std::optional<std::string>> raw = view.Get(FileKey(store_id, shell_file_id));
  if (!raw.ok()) return raw.status();
  if (!raw.value()) return Status(Code::kNotFound, "no pass_completed for shell file " + std::string(shell_file_id));
  std::optional<FileRecord> f = FileRecord::Decode(**raw);
  if (!f) return Status(Code::kCorruption, "files: bad file row");
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Field("as_of_seq", view.as_of_seq());
  WriteFileFields(w, shell_file_id, *f);
  w.EndObject();
  return out;
}

namespace {

using FilePage = std::vector<std::pair<std::string, FileRecord>>;  // (key suffix, record)

// The scan start after a cursor (a previous page's next_cursor), or kBadParameter.
Result<std::string> StartAfter(const std::string& prefix, std::optional<std::string_view> cursor) {
  if (!cursor) return prefix;
  std::optional<std::string> after = HexDecode(*cursor);
  std::string_view probe = after ? std::string_view(*after) : std::string_view();
  if (!after || !ConsumeOrderedString(&probe) || !probe.empty()) {
    return Status(Code::kBadParameter, "cursor is not a files cursor");
  }
  return prefix + *after + '\0';  // the smallest key after the cursor's
}

// Up to limit + 1 files with the status (one more than the page, to know whether another page follows).
Result<FilePage> ScanFiles(const ViewReader& view, const std::string& prefix, const std::string& start,
                           std::optional<std::string_view> status, size_t limit) {
  FilePage page;
  Status scan = view.Scan(start, PrefixSuccessor(prefix), [&](std::string_view key, std::string_view value) {
    std::optional<FileRecord> f = FileRecord::Decode(value);
    if (!f || (status && StatusOf(*f).status != *status)) return true;
    page.emplace_back(std::string(key.substr(prefix.size())), std::move(*f));
    return page.size() <= limit;
  });
  if (!scan.ok()) return scan;
  return page;
}

}  // namespace

Result<std::string> FilesJson(const ViewReader& view, std::string_view store_id, std::optional<std::string_view> status,
                              size_t limit, std::optional<std::string_view> cursor) {
  std::string prefix = FilePrefix(store_id);
  Result<std::string> start = StartAfter(prefix, cursor);
  if (!start.ok()) return start.status();
  Result<FilePage> page = ScanFiles(view, prefix, *start, status, limit);
  if (!page.ok()) return page.status();
  bool more = page->size() > limit;
  if (more) page->resize(limit);

  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Field("as_of_seq", view.as_of_seq()).Key("files").BeginArray();
  for (const auto& [suffix, f] : *page) {
    std::string_view rest = suffix;
    std::optional<std::string> id = ConsumeOrderedString(&rest);
    w.BeginObject();
    WriteFileFields(w, id.value_or(""), f);
    w.EndObject();
  }
  w.EndArray().Key("next_cursor");
  if (more) {
    w.String(HexEncode(page->back().first));
  } else {
    w.Null();
  }
  w.EndObject();
  return out;
}

}  // namespace tally
