// A connection's one deadline, on one Asio timer re-armed lazily: the timer
// is re-armed only when a new deadline is earlier than the pending wait;
// otherwise that wait fires early, finds the deadline moved, and waits again.
// Steady keep-alive traffic thus costs no timer operations per request.
// Internal to server/http; used on the connection's executor only.
#ifndef TOKEND_SERVER_HTTP_DEADLINE_TIMER_H_
#define TOKEND_SERVER_HTTP_DEADLINE_TIMER_H_

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <utility>

#include "absl/time/time.h"

namespace tokend::http::internal {

class DeadlineTimer {
 public:
  using Clock = std::chrono::steady_clock;

  // `on_expired` runs on the executor when a deadline passes (once per Set).
  DeadlineTimer(const boost::asio::any_io_executor& executor,
                std::function<void()> on_expired)
      : timer_(executor), on_expired_(std::move(on_expired)) {}

  // The deadline is now + `timeout`; a timeout of a year or more means none
  // (steady_clock cannot represent now + absl::InfiniteDuration()). `owner`
  // is kept alive while a wait is pending.
  void Set(absl::Duration timeout, std::shared_ptr<void> owner) {
    deadline_ = timeout >= absl::Hours(24 * 365)
                    ? Clock::time_point::max()
                    : Clock::now() + absl::ToChronoNanoseconds(timeout);
    if (deadline_ < wait_expiry_) StartWait(deadline_, std::move(owner));
  }

  void Clear() { deadline_ = Clock::time_point::max(); }

  // On close: releases the pending wait (and the owner it holds) now rather
  // than at its expiry. Can throw (Asio's cancel), so call it last.
  void Cancel() {
    Clear();
    timer_.cancel();
  }

 private:
  void StartWait(Clock::time_point expiry, std::shared_ptr<void> owner) {
    wait_expiry_ = expiry;
    timer_.expires_at(expiry);  // A pending wait completes as aborted.
    timer_.async_wait([this, owner = std::move(owner),
                       expiry](boost::system::error_code ec) mutable {
      // Aborted, or superseded by a later StartWait.
      if (ec || expiry != wait_expiry_) return;
      wait_expiry_ = Clock::time_point::max();
      if (deadline_ == Clock::time_point::max()) return;
      if (Clock::now() < deadline_) return StartWait(deadline_, owner);
      Clear();
      on_expired_();
    });
  }

  boost::asio::steady_timer timer_;
  const std::function<void()> on_expired_;
  Clock::time_point deadline_ = Clock::time_point::max();
  Clock::time_point wait_expiry_ = Clock::time_point::max();  // Pending wait.
};

}  // namespace tokend::http::internal

#endif  // TOKEND_SERVER_HTTP_DEADLINE_TIMER_H_
