#include "server/grpc_front/unary_admission.h"

#include <algorithm>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"

namespace tokend::grpc_front {
namespace {

TEST(UnaryAdmissionTest, AtMostTheLimitRunTheRestWaitInArrivalOrder) {
  UnaryAdmission admission(2);
  std::vector<int> started;
  for (int i = 0; i < 5; ++i) {
    admission.Admit([&started, i] { started.push_back(i); });
  }
  EXPECT_EQ(started, (std::vector<int>{0, 1}));
  admission.Release();
  EXPECT_EQ(started, (std::vector<int>{0, 1, 2}));
  admission.Release();
  admission.Release();
  EXPECT_EQ(started, (std::vector<int>{0, 1, 2, 3, 4}));
  // Two still in flight: releasing both frees both places.
  admission.Release();
  admission.Release();
  admission.Admit([&started] { started.push_back(5); });
  admission.Admit([&started] { started.push_back(6); });
  admission.Admit([&started] { started.push_back(7); });
  EXPECT_EQ(started, (std::vector<int>{0, 1, 2, 3, 4, 5, 6}));
}

TEST(UnaryAdmissionTest, NoLimitRunsEveryCallAtOnce) {
  UnaryAdmission admission(0);
  int started = 0;
  for (int i = 0; i < 100; ++i) admission.Admit([&started] { ++started; });
  EXPECT_EQ(started, 100);
  admission.Release();  // Nothing to do; must not underflow anything.
  admission.Admit([&started] { ++started; });
  EXPECT_EQ(started, 101);
}

// Calls finish on gRPC's threads while the front admits new ones: none is
// lost and the limit holds throughout.
constexpr int kCalls = 2000;

struct Calls {
  absl::Mutex mu;
  int running = 0;     // Started and not finished.
  int most = 0;        // The most ever running at once.
  int unfinished = 0;  // Started, not yet taken by a finishing thread.
  int finished = 0;
};

bool WorkOrDone(Calls* c) { return c->unfinished > 0 || c->finished == kCalls; }

TEST(UnaryAdmissionTest, ConcurrentReleasesStartEveryWaitingCall) {
  constexpr int kLimit = 3;
  UnaryAdmission admission(kLimit);
  Calls calls;
  auto start = [&calls] {
    absl::MutexLock lock(&calls.mu);
    ++calls.running;
    calls.most = std::max(calls.most, calls.running);
    ++calls.unfinished;
  };
  std::vector<std::thread> finishers;
  for (int t = 0; t < 4; ++t) {
    finishers.emplace_back([&] {
      while (true) {
        {
          absl::MutexLock lock(&calls.mu);
          calls.mu.Await(absl::Condition(&WorkOrDone, &calls));
          if (calls.unfinished == 0) return;  // All finished.
          --calls.unfinished;
          --calls.running;
          ++calls.finished;
        }
        admission.Release();  // May start a waiting call on this thread.
      }
    });
  }
  for (int i = 0; i < kCalls; ++i) admission.Admit(start);
  for (std::thread& t : finishers) t.join();
  EXPECT_EQ(calls.finished, kCalls);
  EXPECT_EQ(calls.running, 0);
  EXPECT_LE(calls.most, kLimit);
}

}  // namespace
}  // namespace tokend::grpc_front
