// UnaryAdmission: how many unary calls the gRPC front (proxy.h) has in
// flight to the server at once, the others waiting in arrival order.
#ifndef TOKEND_SERVER_GRPC_FRONT_UNARY_ADMISSION_H_
#define TOKEND_SERVER_GRPC_FRONT_UNARY_ADMISSION_H_

#include <deque>
#include <functional>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace tokend::grpc_front {

// At most `limit` unary calls in flight (0: any number); the others wait in
// arrival order. With every call started at once, the server's threads
// share the CPU among all of them and finish them in no particular order:
// the mean is as good, the tail longer (BENCHMARKS.md, issue 19).
class UnaryAdmission {
 public:
  explicit UnaryAdmission(int limit) : limit_(limit) {}

  // Runs `start` now, or once an earlier call has been released.
  template <typename Start>
  void Admit(Start&& start) {
    if (limit_ > 0) {
      absl::MutexLock lock(&mu_);
      if (in_flight_ >= limit_) {
        waiting_.emplace_back(std::forward<Start>(start));
        return;
      }
      ++in_flight_;
    }
    start();
  }

  // An admitted call has finished: the oldest waiting one takes its place.
  void Release() {
    if (limit_ <= 0) return;
    std::function<void()> next;
    {
      absl::MutexLock lock(&mu_);
      if (waiting_.empty()) {
        --in_flight_;
        return;
      }
      next = std::move(waiting_.front());
      waiting_.pop_front();
    }
    next();
  }

 private:
  const int limit_;
  absl::Mutex mu_;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<std::function<void()>> waiting_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tokend::grpc_front

#endif  // TOKEND_SERVER_GRPC_FRONT_UNARY_ADMISSION_H_
