// Sub-command registry of the `tally` binary. Each tools/cmd_*.cc file registers its sub-command with a
// static CommandRegistrar; main() builds the CLI from the registry, so commands stay independent.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "storage/storage.h"

namespace tally::tools {

// What a sub-command's setup returns: its CLI node and the function that runs it (returns the exit code).
struct Command {
  CLI::App* app;
  std::function<int()> run;
};

// Adds the sub-command (with its options and --help text) to the root app.
using CommandSetup = std::function<Command(CLI::App& root)>;

std::vector<CommandSetup>& CommandRegistry();

struct CommandRegistrar {
  explicit CommandRegistrar(CommandSetup setup) { CommandRegistry().push_back(std::move(setup)); }
};

// Opens an existing data directory for an offline command (never creates one). On failure prints
// "error: ..." to stderr and returns nullptr. offline_rebuild: for `tally replay` (StorageOptions).
std::unique_ptr<Storage> OpenExistingData(const std::string& data_dir, bool offline_rebuild = false);

}  // namespace tally::tools
