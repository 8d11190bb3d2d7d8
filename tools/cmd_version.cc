// `tally version`: prints the build's version.
#include <cstdio>

#include "tools/command.h"

namespace tally::tools {
namespace {

const CommandRegistrar kRegistrar([](CLI::App& root) {
  CLI::App* sub = root.add_subcommand("version", "Print tally's version");
  return Command{sub, [] {
                   std::printf("tally 0.1.0\n");
                   return 0;
                 }};
});

}  // namespace
}  // namespace tally::tools
