// `tally query`: answers one view query offline, exactly as the HTTP API would (same query API, same JSON),
// after bringing every view up to date with the log.
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "processors/engine.h"
#include "processors/query.h"
#include "storage/storage.h"
#include "tools/command.h"

namespace tally::tools {
namespace {

struct QueryFlags {
  std::string data;
  std::string route;
  std::string store;
  std::map<std::string, std::string> named;  // --from, --to, ... by query-string name
  std::vector<std::string> params;           // --param name=value
};

std::string RouteList() {
  std::string names;
  for (const QueryRoute& route : QueryRoutes()) names += (names.empty() ? "" : ", ") + std::string(route.name);
  return names;
}

int RunQueryCommand(const QueryFlags& f) {
  std::unique_ptr<Storage> storage = OpenExistingData(f.data);
  if (!storage) return 1;
  auto engine = ViewEngine::Open(storage.get());
  Status caught_up = engine.ok() ? (*engine)->CatchUp() : engine.status();
  if (!caught_up.ok()) {
    std::fprintf(stderr, "error: %s\n", caught_up.ToString().c_str());
    return 1;
  }
  QueryArgs args;
  args.store = f.store;
  args.now_ms = SystemClock::Instance().NowMs();
  for (const auto& [name, value] : f.named) {
    if (!value.empty()) args.params[name] = value;
  }
  for (const std::string& p : f.params) {
    size_t eq = p.find('=');
    if (eq == std::string::npos) {
      std::fprintf(stderr, "error: --param wants name=value, got %s\n", p.c_str());
      return 2;
    }
    args.params[p.substr(0, eq)] = p.substr(eq + 1);
  }
  auto body = RunQuery(**engine, f.route, args);
  if (!body.ok()) {
    std::fprintf(stderr, "error: %s\n", body.status().ToString().c_str());
    return body.status().code() == Code::kBadParameter || body.status().code() == Code::kNotFound ? 2 : 1;
  }
  std::fwrite(body->data(), 1, body->size(), stdout);
  if (body->empty() || body->back() != '\n') std::fputc('\n', stdout);
  return 0;
}

const CommandRegistrar kRegistrar([](CLI::App& root) {
  static QueryFlags flags;
  CLI::App* sub = root.add_subcommand("query", "Answer a view query offline (same JSON as the HTTP API)");
  sub->add_option("--data", flags.data, "Data directory")->required();
  sub->add_option("view", flags.route, "Query: " + RouteList())->required();
  sub->add_option("--store", flags.store, "Store id");
  for (const char* name : {"from", "to", "date", "period", "granularity", "format", "month", "status", "limit",
                           "cursor"}) {
    sub->add_option(std::string("--") + name, flags.named[name], std::string("Query parameter ") + name);
  }
  sub->add_option("--period-days", flags.named["period_days"], "Query parameter period_days (roi)");
  sub->add_option("--min-seq", flags.named["min_seq"], "Query parameter min_seq");
  sub->add_option("--param", flags.params, "Any other parameter as name=value (repeatable), e.g. "
                                           "conversation_id=c1, shell_file_id=f1, human_cost_per_hour=30");
  return Command{sub, [] { return RunQueryCommand(flags); }};
});

}  // namespace
}  // namespace tally::tools
