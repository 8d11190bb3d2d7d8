// Placeholder until the first network source lands; remove when net/ has real sources.
namespace tally { int net_anchor = 0; }
