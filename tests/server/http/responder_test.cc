#include "server/http/responder.h"

#include <memory>
#include <vector>

#include "gtest/gtest.h"

namespace tokend::http::internal {
namespace {

// Records deliveries.
class RecordingSink : public ResponseSink {
 public:
  void Deliver(uint64_t sequence, HttpResponse response) override {
    delivered.emplace_back(sequence, std::move(response));
  }
  void DeliverInline(uint64_t sequence, HttpResponse response) override {
    delivered_inline.emplace_back(sequence, std::move(response));
  }
  std::vector<std::pair<uint64_t, HttpResponse>> delivered;
  std::vector<std::pair<uint64_t, HttpResponse>> delivered_inline;
};

HttpResponse Status(int status) {
  HttpResponse response;
  response.status = status;
  return response;
}

TEST(ResponderTest, DeliversOnceWithItsSequence) {
  auto gate = std::make_shared<ResponderGate>();
  auto sink = std::make_shared<RecordingSink>();
  Responder respond = MakeResponder(gate, sink, 7);
  std::move(respond)(Status(201));
  ASSERT_EQ(sink->delivered.size(), 1u);
  EXPECT_EQ(sink->delivered[0].first, 7u);
  EXPECT_EQ(sink->delivered[0].second.status, 201);
}

TEST(ResponderTest, DroppedUncalledAnswers500) {
  auto gate = std::make_shared<ResponderGate>();
  auto sink = std::make_shared<RecordingSink>();
  { Responder respond = MakeResponder(gate, sink, 1); }
  ASSERT_EQ(sink->delivered.size(), 1u);
  EXPECT_EQ(sink->delivered[0].second.status, 500);
}

TEST(ResponderTest, MovingDoesNotAnswer) {
  auto gate = std::make_shared<ResponderGate>();
  auto sink = std::make_shared<RecordingSink>();
  Responder first = MakeResponder(gate, sink, 1);
  Responder second = std::move(first);
  Responder third = std::move(second);
  EXPECT_TRUE(sink->delivered.empty());
  std::move(third)(Status(200));
  ASSERT_EQ(sink->delivered.size(), 1u);
  EXPECT_EQ(sink->delivered[0].second.status, 200);
}

TEST(ResponderTest, NoOpOnceTheSinkIsGoneOrTheGateClosed) {
  auto gate = std::make_shared<ResponderGate>();
  auto sink = std::make_shared<RecordingSink>();
  Responder after_close = MakeResponder(gate, sink, 1);
  Responder dropped_after_close = MakeResponder(gate, sink, 2);
  gate->Close();
  std::move(after_close)(Status(200));
  { Responder gone = std::move(dropped_after_close); }
  EXPECT_TRUE(sink->delivered.empty());

  auto open_gate = std::make_shared<ResponderGate>();
  Responder orphan = MakeResponder(open_gate, sink, 3);
  sink.reset();                    // The connection is gone.
  std::move(orphan)(Status(200));  // Must not crash.
}

TEST(ResponderTest, InsideTheSinksHandlerScopeDeliversInline) {
  auto gate = std::make_shared<ResponderGate>();
  auto sink = std::make_shared<RecordingSink>();
  auto other = std::make_shared<RecordingSink>();
  Responder mine = MakeResponder(gate, sink, 1);
  Responder dropped = MakeResponder(gate, sink, 2);
  Responder theirs = MakeResponder(gate, other, 3);
  {
    InlineScope scope(sink.get());
    std::move(mine)(Status(200));
    { Responder gone = std::move(dropped); }
    // Another sink's responder takes the ordinary path.
    std::move(theirs)(Status(202));
  }
  EXPECT_EQ(InlineScope::Current(), nullptr);
  ASSERT_EQ(sink->delivered_inline.size(), 2u);
  EXPECT_EQ(sink->delivered_inline[0].second.status, 200);
  EXPECT_EQ(sink->delivered_inline[1].second.status, 500);
  EXPECT_TRUE(sink->delivered.empty());
  ASSERT_EQ(other->delivered.size(), 1u);
  EXPECT_EQ(other->delivered[0].second.status, 202);

  // Outside the scope (answered later, or from another thread): the gate.
  Responder later = MakeResponder(gate, sink, 4);
  std::move(later)(Status(201));
  ASSERT_EQ(sink->delivered.size(), 1u);
  EXPECT_EQ(sink->delivered[0].second.status, 201);
}

TEST(ResponderTest, ResponderOfAVanishedSinkIsNeverInline) {
  // Made after its sink died, a responder has no address to match; it must
  // not mistake "no scope" (null) for its own.
  auto gate = std::make_shared<ResponderGate>();
  std::weak_ptr<ResponseSink> dead;
  {
    auto sink = std::make_shared<RecordingSink>();
    dead = sink;
  }
  Responder orphan = MakeResponder(gate, dead, 1);
  std::move(orphan)(Status(200));  // Must not crash.
}

}  // namespace
}  // namespace tokend::http::internal
