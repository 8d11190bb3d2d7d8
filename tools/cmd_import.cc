// `tally import --data DIR FILE|-`: offline bulk load. Reads NDJSON (blank lines ignored), validates each line
// with the one validator, appends accepted events through Storage::Append in large batches (dedup applies, as
// for any producer), quarantines rejected lines with their raw bytes, then brings every view up to date.
// Prints each rejected line to stderr ("rejected line=N event_id=ID code=C message=M") and finally
// "accepted N duplicates N rejected N" on stdout. Exit status: 0 when every batch was appended (rejections are
// data problems, reported but not fatal); 1 on a storage error; 2 when the input cannot be read.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include "core/validator.h"
#include "processors/engine.h"
#include "storage/storage.h"
#include "tools/command.h"

namespace tally::tools {
namespace {

struct ImportFlags {
  std::string data;
  std::string file;
  size_t batch = 10'000;
};

// Lines of a FILE*, read in 1 MiB blocks. A returned view is valid until the next call.
class LineReader {
 public:
  explicit LineReader(FILE* file) : file_(file) {}

  bool Next(std::string_view* line) {
    while (true) {
      size_t newline = buf_.find('\n', pos_);
      if (newline != std::string::npos || (eof_ && pos_ < buf_.size())) {
        size_t end = newline == std::string::npos ? buf_.size() : newline;
        *line = std::string_view(buf_).substr(pos_, end - pos_);
        if (!line->empty() && line->back() == '\r') line->remove_suffix(1);
        pos_ = newline == std::string::npos ? buf_.size() : newline + 1;
        return true;
      }
      if (eof_) return false;
      buf_.erase(0, pos_);
      pos_ = 0;
      size_t old = buf_.size();
      buf_.resize(old + kBlock);
      size_t n = std::fread(buf_.data() + old, 1, kBlock, file_);
      buf_.resize(old + n);
      bytes_read_ += n;
      if (n == 0) eof_ = true;
    }
  }
  uint64_t bytes_read() const { return bytes_read_; }
  bool failed() const { return std::ferror(file_) != 0; }

 private:
  static constexpr size_t kBlock = 1 << 20;
  FILE* file_;
  std::string buf_;
  size_t pos_ = 0;
  bool eof_ = false;
  uint64_t bytes_read_ = 0;
};

bool IsBlank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

// Batches in flight in the storage writer; their outcomes are tallied by the writer's callbacks.
class Appender {
 public:
  explicit Appender(Storage& storage) : storage_(storage) {}

  void Submit(std::vector<Event> events, std::vector<QuarantineEntry> rejects) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return in_flight_ < kMaxInFlight; });  // bounds memory on huge inputs
      ++in_flight_;
    }
    storage_.Append(std::move(events), std::move(rejects), [this](AppendResult r) {
      std::lock_guard<std::mutex> lock(mu_);
      accepted_ += r.accepted;
      if (r.status.ok()) duplicates_ += r.outcomes.size() - r.accepted;
      else if (error_.ok()) error_ = r.status;
      --in_flight_;
      cv_.notify_all();
    });
  }
  // Waits for every submitted batch; the first storage error, if any.
  Status Drain() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return in_flight_ == 0; });
    return error_;
  }
  bool failed() {
    std::lock_guard<std::mutex> lock(mu_);
    return !error_.ok();
  }
  uint64_t accepted() const { return accepted_; }      // REQUIRES: drained
  uint64_t duplicates() const { return duplicates_; }  // REQUIRES: drained

 private:
  static constexpr size_t kMaxInFlight = 4;
  Storage& storage_;
  std::mutex mu_;
  std::condition_variable cv_;
  size_t in_flight_ = 0;
  uint64_t accepted_ = 0, duplicates_ = 0;
  Status error_;
};

// "\rimport: 42% 120.3/287.0 MiB, 1234567 lines" at most ten times a second (terminal only).
class Progress {
 public:
  Progress(FILE* input, bool enabled) : enabled_(enabled) {
    struct stat st;
    if (fstat(fileno(input), &st) == 0 && S_ISREG(st.st_mode)) total_ = static_cast<uint64_t>(st.st_size);
  }
  void Update(uint64_t bytes, uint64_t lines, bool final = false) {
    if (!enabled_) return;
    auto now = std::chrono::steady_clock::now();
    if (!final && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    const double mib = static_cast<double>(bytes) / (1 << 20);
    if (total_ > 0) {
      std::fprintf(stderr, "\rimport: %3d%% %.1f/%.1f MiB, %llu lines", static_cast<int>(100.0 * bytes / total_), mib,
                   static_cast<double>(total_) / (1 << 20), static_cast<unsigned long long>(lines));
    } else {
      std::fprintf(stderr, "\rimport: %.1f MiB, %llu lines", mib, static_cast<unsigned long long>(lines));
    }
    if (final) std::fprintf(stderr, "\n");
    std::fflush(stderr);
  }

 private:
  bool enabled_;
  uint64_t total_ = 0;
  std::chrono::steady_clock::time_point last_{};
};

QuarantineEntry ToQuarantine(const Rejection& rejection, std::string_view raw, TimeMs received_at) {
  QuarantineEntry entry;
  entry.store_id = rejection.quarantine_store;
  entry.received_at = received_at;
  entry.code = rejection.code;
  entry.message = rejection.message;
  entry.raw = std::string(raw.substr(0, kMaxEventBytes));  // CONTRACT §1.3: raw bytes capped at 64 KiB
  return entry;
}

void PrintRejected(uint64_t line, const Rejection& r) {
  std::fprintf(stderr, "rejected line=%llu event_id=%s code=%s message=%s\n", static_cast<unsigned long long>(line),
               r.event_id.c_str(), std::string(CodeName(r.code)).c_str(), r.message.c_str());
}

struct ReadTotals {
  uint64_t rejected = 0;
  bool read_error = false;
};

// Validates every line and hands batches to the appender.
ReadTotals ReadAndAppend(FILE* input, size_t batch_size, Appender& appender) {
  LineReader reader(input);
  Progress progress(input, isatty(STDERR_FILENO) != 0);
  ReadTotals totals;
  std::vector<Event> events;
  std::vector<QuarantineEntry> rejects;
  std::string_view line;
  uint64_t line_no = 0;
  while (!appender.failed() && reader.Next(&line)) {
    ++line_no;
    if (IsBlank(line)) continue;
    ValidationContext ctx;
    ctx.now_ms = ctx.received_at = SystemClock::Instance().NowMs();
    ValidationResult result = ValidateJsonEvent(line, ctx);
    if (Event* event = std::get_if<Event>(&result)) {
      events.push_back(std::move(*event));
    } else {
      const Rejection& rejection = std::get<Rejection>(result);
      PrintRejected(line_no, rejection);
      rejects.push_back(ToQuarantine(rejection, line, ctx.received_at));
      ++totals.rejected;
    }
    if (events.size() + rejects.size() >= batch_size) {
      appender.Submit(std::move(events), std::move(rejects));
      events = {};
      rejects = {};
    }
    progress.Update(reader.bytes_read(), line_no);
  }
  if (!events.empty() || !rejects.empty()) appender.Submit(std::move(events), std::move(rejects));
  progress.Update(reader.bytes_read(), line_no, /*final=*/true);
  totals.read_error = reader.failed();
  return totals;
}

// VIEWS: the import contract ends with every view up to date. The processors layer owns how; this is the one
// place import hands over to it (the same synchronous catch-up `tally replay` uses).
Status BringViewsUpToDate(Storage& storage) {
  auto engine = ViewEngine::Open(&storage);
  if (!engine.ok()) return engine.status();
  const bool tty = isatty(STDERR_FILENO) != 0;
  auto last = std::chrono::steady_clock::now();
  Status status = (*engine)->CatchUp(tty ? ProgressFn([&](uint64_t done, uint64_t target) {
    auto now = std::chrono::steady_clock::now();
    if (done < target && now - last < std::chrono::milliseconds(100)) return;
    last = now;
    std::fprintf(stderr, "\rviews: %llu/%llu events", static_cast<unsigned long long>(done),
                 static_cast<unsigned long long>(target));
    std::fflush(stderr);
  }) : nullptr);
  if (tty) std::fprintf(stderr, "\n");
  return status;
}

int RunImport(const ImportFlags& f) {
  FILE* input = f.file == "-" ? stdin : std::fopen(f.file.c_str(), "rb");
  if (input == nullptr) {
    std::fprintf(stderr, "error: cannot open %s\n", f.file.c_str());
    return 2;
  }
  StorageOptions options;
  options.path = f.data;
  auto storage = Storage::Open(options);
  if (!storage.ok()) {
    std::fprintf(stderr, "error: %s\n", storage.status().ToString().c_str());
    return 1;
  }
  Appender appender(**storage);
  ReadTotals totals = ReadAndAppend(input, f.batch, appender);
  if (input != stdin) std::fclose(input);
  Status status = appender.Drain();
  if (status.ok() && totals.read_error) status = Status(Code::kIoError, "reading " + f.file + " failed");
  if (status.ok()) status = BringViewsUpToDate(**storage);
  Status closed = (*storage)->Close();
  if (status.ok()) status = closed;
  std::printf("accepted %llu duplicates %llu rejected %llu\n", static_cast<unsigned long long>(appender.accepted()),
              static_cast<unsigned long long>(appender.duplicates()), static_cast<unsigned long long>(totals.rejected));
  if (!status.ok()) {
    std::fprintf(stderr, "error: %s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}

const CommandRegistrar kRegistrar([](CLI::App& root) {
  static ImportFlags flags;
  CLI::App* sub = root.add_subcommand(
      "import",
      "Load NDJSON events offline into a data directory (created if missing): validate, dedup, append, quarantine "
      "rejects, and bring every view up to date before exiting. Rejected lines are listed on stderr; the totals "
      "\"accepted N duplicates N rejected N\" go to stdout. The directory must not be in use by `tally serve`.");
  sub->add_option("--data", flags.data, "Data directory")->required();
  sub->add_option("--batch", flags.batch, "Events per append batch (one WAL fsync each)")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{1'000'000}));
  sub->add_option("file", flags.file, "NDJSON file, or - for stdin (blank lines are ignored)")->required();
  return Command{sub, [] { return RunImport(flags); }};
});

}  // namespace
}  // namespace tally::tools
