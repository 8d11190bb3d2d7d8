// Tokens file parsing, role and store checks, and the loopback rule for open mode.
#include "net/auth.h"

#include <gtest/gtest.h>

namespace tally::net {
namespace {

constexpr std::string_view kTokens = R"({"tokens": [
  {"token": "adm", "role": "admin", "stores": ["*"]},
  {"token": "prod-a", "role": "producer", "stores": ["a", "b"]},
  {"token": "read-a", "role": "reader", "stores": ["a"]}
]})";

TEST(Auth, ParsesRolesAndStores) {
  auto auth = Auth::Parse(kTokens);
  ASSERT_TRUE(auth.ok()) << auth.status().ToString();
  const Auth& a = **auth;
  EXPECT_FALSE(a.open());
  EXPECT_FALSE(a.Authenticate("").has_value());
  EXPECT_FALSE(a.Authenticate("nope").has_value());
  EXPECT_FALSE(a.Authenticate("prod-").has_value());
  EXPECT_FALSE(a.Authenticate("prod-ab").has_value());

  auto admin = a.Authenticate("adm");
  ASSERT_TRUE(admin);
  EXPECT_TRUE(admin->IsAdmin());
  EXPECT_TRUE(admin->CanWrite("zzz"));

  auto producer = a.Authenticate("prod-a");
  ASSERT_TRUE(producer);
  EXPECT_TRUE(producer->CanPush());
  EXPECT_TRUE(producer->CanWrite("a"));
  EXPECT_TRUE(producer->CanWrite("b"));
  EXPECT_FALSE(producer->CanWrite("c"));
  EXPECT_FALSE(producer->IsAdmin());

  auto reader = a.Authenticate("read-a");
  ASSERT_TRUE(reader);
  EXPECT_FALSE(reader->CanPush());
  EXPECT_FALSE(reader->CanWrite("a"));
  EXPECT_TRUE(reader->CanRead("a"));
  EXPECT_FALSE(reader->CanRead("b"));
}

TEST(Auth, RejectsBadFiles) {
  EXPECT_FALSE(Auth::Parse("not json").ok());
  EXPECT_FALSE(Auth::Parse(R"({"tokens": [{"token": "x", "role": "king", "stores": ["*"]}]})").ok());
  EXPECT_FALSE(Auth::Parse(R"({"tokens": [{"token": "", "role": "admin"}]})").ok());
  EXPECT_FALSE(Auth::Parse(R"({"tokens": [{"token": "x", "role": "producer"}]})").ok());
  EXPECT_FALSE(Auth::Parse(R"({"tokens": [{"token": "x", "role": "producer", "stores": []}]})").ok());
  EXPECT_FALSE(Auth::Parse(R"({"tokens": [{"token": "x", "role": "admin"}, {"token": "x", "role": "admin"}]})").ok());
  auto status = Auth::Parse(R"({"tokens": [{"token": "x", "role": "admin", "stores": ["*"], "extra": 1}]})").status();
  EXPECT_NE(status.message().find("extra"), std::string::npos);
}

TEST(Auth, OpenModeIsAdminOnLoopbackOnly) {
  auto open = Auth::Open();
  ASSERT_TRUE(open->Authenticate(""));
  EXPECT_TRUE(open->Authenticate("")->IsAdmin());
  EXPECT_TRUE(CheckOpenModeAllowed({"127.0.0.1", "::1", "localhost", "127.0.0.2"}).ok());
  Status refused = CheckOpenModeAllowed({"127.0.0.1", "0.0.0.0"});
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(refused.message().find("0.0.0.0"), std::string::npos);
  EXPECT_FALSE(CheckOpenModeAllowed({"10.1.2.3"}).ok());
}

TEST(Auth, SplitsHostPort) {
  std::string host;
  uint16_t port = 0;
  ASSERT_TRUE(SplitHostPort("127.0.0.1:7070", &host, &port).ok());
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 7070);
  ASSERT_TRUE(SplitHostPort("[::1]:0", &host, &port).ok());
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 0);
  EXPECT_FALSE(SplitHostPort("localhost", &host, &port).ok());
  EXPECT_FALSE(SplitHostPort("h:99999", &host, &port).ok());
  EXPECT_FALSE(SplitHostPort("h:", &host, &port).ok());
}

}  // namespace
}  // namespace tally::net
