#include "tools/loadgen/runner.h"

#include <atomic>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "grpcpp/alarm.h"
#include "grpcpp/client_context.h"
#include "grpcpp/completion_queue.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/async_unary_call.h"
#include "tools/loadgen/unary_call.h"

namespace tokend::loadgen {
namespace {

enum Phase : int { kWarmup = 0, kMeasure = 1, kDone = 2 };

// State the workers share with the controlling thread.
struct Shared {
  // Set before any worker starts: with no warm-up the first call is already
  // a measured one, so no uncounted call reaches the server.
  std::atomic<int> phase;
  // With a count: calls started during measurement, and those completed.
  const int64_t count;
  std::atomic<int64_t> started{0};
  std::atomic<int64_t> completed{0};
  std::atomic<int64_t> last_completion_ns{0};
  absl::Notification count_reached;

  Shared(Phase first_phase, int64_t count) : phase(first_phase), count(count) {}
};

class Worker {
 public:
  Worker(std::shared_ptr<grpc::Channel> channel, int calls,
         const CallConfig* config, Shared* shared)
      : stub_(std::move(channel)), config_(config), shared_(shared) {
    slots_.reserve(calls);
    for (int i = 0; i < calls; ++i) slots_.push_back(std::make_unique<Slot>());
  }

  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // The worker thread's body; returns once Stop() was called and every call
  // has completed.
  void Run() {
    for (auto& slot : slots_) Start(slot.get());
    void* tag;
    bool ok;
    while ((outstanding_ > 0 || !stopping_) && cq_.Next(&tag, &ok)) {
      if (tag == &stop_alarm_) {
        stopping_ = true;
        for (auto& slot : slots_) {
          if (slot->call.context.has_value()) {
            slot->call.context->TryCancel();
          }
        }
        continue;
      }
      OnDone(static_cast<Slot*>(tag));
    }
    cq_.Shutdown();
    while (cq_.Next(&tag, &ok)) {
    }
  }

  // From the controlling thread, after the phase became kDone: wakes the
  // worker so it cancels what is in flight and returns.
  void Stop() {
    stop_alarm_.Set(&cq_, gpr_time_0(GPR_CLOCK_MONOTONIC), &stop_alarm_);
  }

  RunStats& stats() { return stats_; }

 private:
  // One of the calls this worker keeps outstanding.
  struct Slot {
    UnaryCall call;
    int64_t start_ns = 0;
    bool counted = false;  // count mode: holds one of the `count` tickets
  };

  void Start(Slot* slot) {
    const int phase = shared_->phase.load(std::memory_order_acquire);
    if (phase == kDone || stopping_) return;
    slot->counted = false;
    if (shared_->count > 0 && phase == kMeasure) {
      if (shared_->started.fetch_add(1, std::memory_order_relaxed) >=
          shared_->count) {
        return;  // every measured call has been started
      }
      slot->counted = true;
    }
    slot->start_ns = NowNanos();
    slot->call.Start(stub_, &cq_, *config_, slot);
    ++outstanding_;
  }

  void OnDone(Slot* slot) {
    const int64_t end_ns = NowNanos();
    --outstanding_;
    const int phase = shared_->phase.load(std::memory_order_acquire);
    const bool measured =
        phase == kMeasure && (shared_->count == 0 || slot->counted);
    if (measured) {
      slot->call.Record(stats_, static_cast<uint64_t>(end_ns - slot->start_ns));
      if (shared_->count > 0 &&
          shared_->completed.fetch_add(1, std::memory_order_acq_rel) + 1 ==
              shared_->count) {
        shared_->last_completion_ns.store(end_ns, std::memory_order_relaxed);
        shared_->count_reached.Notify();
      }
    }
    slot->call.Reset();
    Start(slot);
  }

  grpc::GenericStub stub_;
  grpc::CompletionQueue cq_;
  grpc::Alarm stop_alarm_;
  const CallConfig* config_;
  Shared* shared_;
  std::vector<std::unique_ptr<Slot>> slots_;
  int outstanding_ = 0;
  bool stopping_ = false;
  RunStats stats_;
};

}  // namespace

absl::StatusOr<RunStats> RunClosedLoop(
    const LoadOptions& options, const std::string& method_path,
    const grpc::ByteBuffer& request,
    const std::vector<std::shared_ptr<grpc::Channel>>& channels) {
  if (channels.empty()) {
    return absl::InvalidArgumentError("no channels to run on");
  }
  if (options.concurrency < static_cast<int>(channels.size())) {
    return absl::InvalidArgumentError(
        absl::StrCat("concurrency ", options.concurrency, " is below the ",
                     channels.size(), " channels"));
  }
  const CallConfig config = CallConfig::Of(options, method_path, request);
  const bool warm_up = options.warmup > absl::ZeroDuration();
  Shared shared(warm_up ? kWarmup : kMeasure, options.count);

  const int n = static_cast<int>(channels.size());
  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < n; ++i) {
    const int calls =
        options.concurrency / n + (i < options.concurrency % n ? 1 : 0);
    workers.push_back(
        std::make_unique<Worker>(channels[i], calls, &config, &shared));
  }
  int64_t measure_start = NowNanos();
  std::vector<std::thread> threads;
  for (auto& worker : workers) {
    threads.emplace_back([w = worker.get()] { w->Run(); });
  }

  if (warm_up) {
    absl::SleepFor(options.warmup);
    measure_start = NowNanos();
    shared.phase.store(kMeasure, std::memory_order_release);
  }
  int64_t measure_end;
  if (options.count > 0) {
    const bool reached =
        shared.count_reached.WaitForNotificationWithTimeout(options.duration);
    measure_end =
        reached ? shared.last_completion_ns.load(std::memory_order_relaxed)
                : NowNanos();
  } else {
    absl::SleepFor(options.duration);
    measure_end = NowNanos();
  }
  shared.phase.store(kDone, std::memory_order_release);

  for (auto& worker : workers) worker->Stop();
  for (auto& thread : threads) thread.join();

  RunStats total;
  for (auto& worker : workers) total.Merge(worker->stats());
  total.elapsed = absl::Nanoseconds(measure_end - measure_start);
  return total;
}

}  // namespace tokend::loadgen
