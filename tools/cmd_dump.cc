// `tally dump --data DIR [--from SEQ] [--store S]`: prints the stored events in log order as NDJSON, one
// event per line, with the stored occurred_at (UTC, milliseconds) and properties byte for byte. Importing the
// output into an empty directory gives the same log (same events, same seqs) and therefore the same views.
// Exit status: 0 on success, 1 when the directory cannot be opened or read.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "core/event_codec.h"
#include "core/json_writer.h"
#include "storage/storage.h"
#include "tools/command.h"

namespace tally::tools {
namespace {

struct DumpFlags {
  std::string data;
  uint64_t from = 1;
  std::string store;
};

Status Dump(Storage& storage, const DumpFlags& f) {
  constexpr size_t kChunk = 4096;
  std::vector<std::pair<uint64_t, Event>> events;
  std::string out;
  std::unique_ptr<LogCursor> log = storage.ReadLog(f.from);
  while (true) {
    Status s = log->Read(kChunk, &events);
    if (!s.ok()) return s;
    if (events.empty()) return Status::Ok();
    out.clear();
    for (const auto& [seq, event] : events) {
      if (!f.store.empty() && event.store_id != f.store) continue;
      JsonWriter writer(&out);
      WriteEventJson(event, &writer);
      out.push_back('\n');
    }
    if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size()) {
      return Status(Code::kIoError, "writing to stdout failed");
    }
  }
}

int RunDump(const DumpFlags& f) {
  std::unique_ptr<Storage> storage = OpenExistingData(f.data);
  if (!storage) return 1;
  Status status = Dump(*storage, f);
  if (std::fflush(stdout) != 0 && status.ok()) status = Status(Code::kIoError, "writing to stdout failed");
  Status closed = storage->Close();
  if (status.ok()) status = closed;
  if (!status.ok()) {
    std::fprintf(stderr, "error: %s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}

const CommandRegistrar kRegistrar([](CLI::App& root) {
  static DumpFlags flags;
  CLI::App* sub = root.add_subcommand(
      "dump",
      "Print the stored events as NDJSON in log order (occurred_at and properties exactly as stored). "
      "`tally dump` then `tally import` into an empty directory reproduces the same log and views. "
      "The directory must not be in use by `tally serve`.");
  sub->add_option("--data", flags.data, "Data directory")->required();
  sub->add_option("--from", flags.from, "First sequence number to print (inclusive)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  sub->add_option("--store", flags.store, "Print only this store's events");
  return Command{sub, [] { return RunDump(flags); }};
});

}  // namespace
}  // namespace tally::tools
