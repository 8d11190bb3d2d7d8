// The list of views tally folds. To add a view: write its Processor and add one line here.
#include <memory>
#include <vector>

#include "processors/content_gaps_view.h"
#include "processors/conversation_metrics.h"
#include "processors/engine.h"
#include "processors/files_view.h"
#include "processors/quality_view.h"
#include "processors/usage_view.h"

namespace tally {

std::vector<std::unique_ptr<Processor>> MakeAllProcessors() {
  std::vector<std::unique_ptr<Processor>> processors;
  processors.push_back(std::make_unique<ConversationMetricsProcessor>());
  processors.push_back(std::make_unique<QualityProcessor>());
  processors.push_back(std::make_unique<ContentGapsProcessor>());
  processors.push_back(std::make_unique<FilesProcessor>());
  processors.push_back(std::make_unique<UsageProcessor>());
  return processors;
}

}  // namespace tally
