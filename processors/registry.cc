// The list of views tally folds. To add a view: write its Processor and add one line here.
#include <memory>
#include <vector>

#include "processors/conversation_metrics.h"
#include "processors/engine.h"

namespace tally {

std::vector<std::unique_ptr<Processor>> MakeAllProcessors() {
  std::vector<std::unique_ptr<Processor>> processors;
  processors.push_back(std::make_unique<ConversationMetricsProcessor>());
  return processors;
}

}  // namespace tally
