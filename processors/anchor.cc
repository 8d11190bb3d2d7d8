// Placeholder until the first processor lands; remove when processors/ has real sources.
namespace tally { int processors_anchor = 0; }
