// tally: one binary, sub-commands registered by tools/cmd_*.cc.
#include <spdlog/spdlog.h>

#include <cstdio>

#include "tools/command.h"

#ifdef TALLY_WITH_JEMALLOC
// jemalloc's options, read at its first allocation (MALLOC_CONF in the environment still overrides them). Freed
// pages go back to the kernel after 1 s instead of 10 s, and two arenas instead of four per core: under full-
// speed ingest into 10 000 stores the resident set's peak went 555 -> 509 MiB over the same minute (memtables
// of tens of MiB and evicted cache blocks are freed in bursts; docs/performance.md, "Memory").
extern "C" {
const char* malloc_conf = "dirty_decay_ms:1000,muzzy_decay_ms:0,narenas:2";
}
#endif

namespace tally::tools {

std::vector<CommandSetup>& CommandRegistry() {
  static std::vector<CommandSetup> registry;
  return registry;
}

std::unique_ptr<Storage> OpenExistingData(const std::string& data_dir, bool offline_rebuild) {
  StorageOptions options;
  options.path = data_dir;
  options.create_if_missing = false;
  options.offline_rebuild = offline_rebuild;
  auto storage = Storage::Open(options);
  if (!storage.ok()) {
    std::fprintf(stderr, "error: %s\n", storage.status().ToString().c_str());
    return nullptr;
  }
  return std::move(storage.value());
}

}  // namespace tally::tools

int main(int argc, char** argv) {
  CLI::App app{"tally: an event-sourced stream processor for conversation and AI-pipeline analytics"};
  app.require_subcommand(1);
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error|off")->capture_default_str();

  std::vector<tally::tools::Command> commands;
  for (auto& setup : tally::tools::CommandRegistry()) commands.push_back(setup(app));
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::from_str(log_level));
  for (auto& command : commands) {
    if (command.app->parsed()) return command.run();
  }
  return 2;
}
