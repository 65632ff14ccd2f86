// Topic filter matching and routing of inbound messages.
#include "gateway/mqtt/router.h"

#include <gtest/gtest.h>

namespace shaobing::mqtt {
namespace {

TEST(TopicMatches, FollowsMqttWildcardRules) {
  EXPECT_TRUE(topicMatches("a/b", "a/b"));
  EXPECT_FALSE(topicMatches("a/b", "a/b/c"));
  EXPECT_TRUE(topicMatches("a/+/c", "a/x/c"));
  EXPECT_FALSE(topicMatches("a/+/c", "a/x/y/c"));
  EXPECT_TRUE(topicMatches("a/#", "a/x/y"));
  EXPECT_TRUE(topicMatches("a/#", "a"));
  EXPECT_TRUE(topicMatches("#", "anything/at/all"));
  EXPECT_FALSE(topicMatches("#", "$SYS/broker"));
  EXPECT_TRUE(topicMatches("shaobing/+/in/access/+", "shaobing/s1/in/access/door-1"));
  EXPECT_FALSE(topicMatches("shaobing/+/in/access/+", "shaobing/s1/in/sensor/door-1"));
}

// Records subscriptions; publishes nothing.
class RecordingConnection : public Connection {
 public:
  void setInboundHandler(InboundHandler) override {}
  void setStateHandler(StateHandler) override {}
  void start() override {}
  void publish(Message, PublishDone) override {}
  void subscribe(const std::string& filter, int qos) override {
    subscribed.emplace_back(filter, qos);
  }
  void stop(std::chrono::milliseconds, std::function<void()> done) override { done(); }
  bool isConnected() const override { return true; }
  LinkStats stats() const override { return {}; }
  std::vector<std::pair<std::string, int>> subscribed;
};

TEST(Router, SubscribesAndDispatchesToEveryMatchingRoute) {
  auto conn = std::make_shared<RecordingConnection>();
  Router router(conn);
  int access = 0, all = 0;
  router.add("s/in/access/+", 1, [&](const Message&) { ++access; });
  router.add("s/in/#", 0, [&](const Message&) { ++all; });
  ASSERT_EQ(conn->subscribed.size(), 2u);
  EXPECT_EQ(conn->subscribed[0], std::make_pair(std::string("s/in/access/+"), 1));

  EXPECT_EQ(router.dispatch(Message{"s/in/access/d1", "{}", 1, false, false, {}}), 2u);
  EXPECT_EQ(router.dispatch(Message{"s/in/sensor/d1", "{}", 1, false, false, {}}), 1u);
  EXPECT_EQ(router.dispatch(Message{"other", "{}", 1, false, false, {}}), 0u);
  EXPECT_EQ(access, 1);
  EXPECT_EQ(all, 2);
}

}  // namespace
}  // namespace shaobing::mqtt
