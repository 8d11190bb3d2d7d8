// Names the calling thread, so that `top -H`, `perf report --sort comm` and /proc/PID/task/*/comm tell tally's
// threads apart (the writer, the fold runner, the io threads...). Linux keeps at most 15 bytes; longer names
// are cut. Best effort: a failure changes nothing else.
#pragma once

#include <string_view>

namespace tally {

void NameThisThread(std::string_view name);

}  // namespace tally
