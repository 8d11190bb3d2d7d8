// Keeps tally_testing non-empty before the first shared helper lands.
namespace tally::testing { int testing_stub_anchor = 0; }
